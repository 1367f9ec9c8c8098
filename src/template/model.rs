//! The processing-template model: what a `templates/*.toml` file (or a
//! `processing_templates.definition` row) says, checked strictly (`deny_unknown_fields`, so a
//! typo in a key is an error, not a silently ignored setting).
//!
//! The format is documented for operators in `templates/README.md`.

use crate::values::dates::DateOrder;
use serde::{Deserialize, Serialize};

/// One processing template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Unique name (`processing_templates.name`).
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// One shift per row, or employees down and days across.
    pub layout: Layout,
    /// Breaks ties between templates that fit a file equally well (higher wins).
    #[serde(default)]
    pub priority: i32,
    /// When the template applies.
    #[serde(default, rename = "match")]
    pub matching: MatchRules,
    /// Column aliases per target field.
    #[serde(default)]
    pub columns: Columns,
    /// Where the store number comes from when no column holds it.
    #[serde(default)]
    pub store: StoreRules,
    /// Where a grid's week comes from.
    #[serde(default)]
    pub week: WeekRules,
    /// Value transforms and row skipping.
    #[serde(default)]
    pub values: ValueRules,
    /// Validation limits.
    #[serde(default)]
    pub limits: Limits,
}

/// The two layouts extraction knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One shift per row under a header row.
    Rows,
    /// The weekly matrix: employees down the left, one column per day.
    Grid,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Rows => "rows",
            Layout::Grid => "grid",
        }
    }
}

/// When a template applies. Every rule that is set must hold.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchRules {
    /// Regular expression the file name must match (case-insensitive).
    pub file_name: Option<String>,
    /// Formats the template reads (`xlsx`, `xls`, `xlsb`, `ods`, `csv`, `pdf`); empty: all.
    pub formats: Vec<String>,
    /// Regular expression a sheet's name must match for that sheet to be read.
    pub sheet_name: Option<String>,
    /// Header signature: aliases that must all appear in the header row.
    pub header: Vec<String>,
}

/// The fields a column can be mapped to, in the order `data_mappings.position` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    StoreNumber,
    EmployeeName,
    FirstName,
    LastName,
    EmployeePhone,
    Date,
    Start,
    End,
    Shift,
    StartDatetime,
    EndDatetime,
    Position,
    Notes,
    /// A grid's weekly total hours column (used only to complete a clipped cell).
    TotalHours,
}

impl Field {
    /// Whether the field holds (part of) a person's name.
    pub fn is_name(self) -> bool {
        matches!(
            self,
            Field::EmployeeName | Field::FirstName | Field::LastName
        )
    }

    pub const ALL: [Field; 14] = [
        Field::StoreNumber,
        Field::EmployeeName,
        Field::FirstName,
        Field::LastName,
        Field::EmployeePhone,
        Field::Date,
        Field::Start,
        Field::End,
        Field::Shift,
        Field::StartDatetime,
        Field::EndDatetime,
        Field::Position,
        Field::Notes,
        Field::TotalHours,
    ];

    /// The name used in TOML and in `data_mappings.target_field`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::StoreNumber => "store_number",
            Field::EmployeeName => "employee_name",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::EmployeePhone => "employee_phone",
            Field::Date => "date",
            Field::Start => "start",
            Field::End => "end",
            Field::Shift => "shift",
            Field::StartDatetime => "start_datetime",
            Field::EndDatetime => "end_datetime",
            Field::Position => "position",
            Field::Notes => "notes",
            Field::TotalHours => "total_hours",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Column aliases per target field (compared ignoring case, spacing and punctuation).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Columns {
    pub store_number: Vec<String>,
    pub employee_name: Vec<String>,
    pub first_name: Vec<String>,
    pub last_name: Vec<String>,
    pub employee_phone: Vec<String>,
    pub date: Vec<String>,
    pub start: Vec<String>,
    pub end: Vec<String>,
    /// A combined shift such as `9a-5p` or `8-12, 1-5`.
    pub shift: Vec<String>,
    pub start_datetime: Vec<String>,
    pub end_datetime: Vec<String>,
    pub position: Vec<String>,
    pub notes: Vec<String>,
    /// A grid's total hours per employee (`Total Hrs`).
    pub total_hours: Vec<String>,
}

impl Columns {
    pub fn get(&self, f: Field) -> &Vec<String> {
        match f {
            Field::StoreNumber => &self.store_number,
            Field::EmployeeName => &self.employee_name,
            Field::FirstName => &self.first_name,
            Field::LastName => &self.last_name,
            Field::EmployeePhone => &self.employee_phone,
            Field::Date => &self.date,
            Field::Start => &self.start,
            Field::End => &self.end,
            Field::Shift => &self.shift,
            Field::StartDatetime => &self.start_datetime,
            Field::EndDatetime => &self.end_datetime,
            Field::Position => &self.position,
            Field::Notes => &self.notes,
            Field::TotalHours => &self.total_hours,
        }
    }

    pub fn get_mut(&mut self, f: Field) -> &mut Vec<String> {
        match f {
            Field::StoreNumber => &mut self.store_number,
            Field::EmployeeName => &mut self.employee_name,
            Field::FirstName => &mut self.first_name,
            Field::LastName => &mut self.last_name,
            Field::EmployeePhone => &mut self.employee_phone,
            Field::Date => &mut self.date,
            Field::Start => &mut self.start,
            Field::End => &mut self.end,
            Field::Shift => &mut self.shift,
            Field::StartDatetime => &mut self.start_datetime,
            Field::EndDatetime => &mut self.end_datetime,
            Field::Position => &mut self.position,
            Field::Notes => &mut self.notes,
            Field::TotalHours => &mut self.total_hours,
        }
    }

    /// The fields that have aliases, with them.
    pub fn mapped(&self) -> impl Iterator<Item = (Field, &Vec<String>)> {
        Field::ALL
            .into_iter()
            .map(|f| (f, self.get(f)))
            .filter(|(_, a)| !a.is_empty())
    }
}

/// A place the store number can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreSource {
    /// The cells above the header row (`Store #2207 - Pharmacy Schedule`), and for a rows
    /// layout, a row holding only a store title (`Store 1042`) starts that store's rows.
    Title,
    /// The sheet's name (`Store 4120`).
    SheetName,
    /// The file's name (`store_1042_week48.xlsx`).
    FileName,
}

/// Where the store number comes from when no column gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreRules {
    /// Places tried in order.
    pub from: Vec<StoreSource>,
    /// Regular expression whose first capture group is the store number; also used on store
    /// column cells that hold text such as `Store 2207` or `Pharmacy #4120`.
    pub pattern: String,
}

/// The default store pattern: `Store 1042`, `Store #2207`, `Pharmacy #4120`, `Location: 12`,
/// `store_1042`.
pub const DEFAULT_STORE_PATTERN: &str = r"(?i)(?:store|pharmacy|location|site|branch|shop|filiale)[\s_\-]*(?:no\.?|nr\.?|num(?:ber)?\.?|#)?[\s_\-]*[:#]?[\s_\-]*(\d{1,6})(?:\D|$)";

impl Default for StoreRules {
    fn default() -> Self {
        StoreRules {
            from: vec![
                StoreSource::Title,
                StoreSource::SheetName,
                StoreSource::FileName,
            ],
            pattern: DEFAULT_STORE_PATTERN.to_string(),
        }
    }
}

/// A place a grid's week can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekSource {
    /// Dates written in the day headers (`Mon 11/24`, real date cells).
    HeaderDates,
    /// A labelled cell above the header (`Week of: 11/24/2025`, the date in the same cell or
    /// the next one to the right).
    WeekOfCell,
    /// Any full date above the header row (`Schedule 11/24/2025`).
    TitleDate,
}

/// Where a grid's week comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeekRules {
    /// Sources of the anchor date, tried in order.
    pub from: Vec<WeekSource>,
    /// Regular expression of the label of a week cell.
    pub label: String,
    /// Fewest day columns a header needs.
    pub min_days: usize,
}

impl Default for WeekRules {
    fn default() -> Self {
        WeekRules {
            from: vec![
                WeekSource::HeaderDates,
                WeekSource::WeekOfCell,
                WeekSource::TitleDate,
            ],
            label:
                r"(?i)\b(?:week\s*(?:of|beginning|starting|commencing|ending|end(?:\s*date)?)?|w/[ce]\b|wk\.?\s*(?:of|ending))\s*:?"
                    .to_string(),
            min_days: 3,
        }
    }
}

/// Value transforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueRules {
    /// How numeric dates order day and month.
    pub date_order: DateOrder,
    /// Cell values that mean "no shift" (compared ignoring case and spacing). A cell of only
    /// punctuation (`-`, `—`, `/`) always means no shift.
    pub no_shift: Vec<String>,
    /// Regular expressions: a row whose employee cell (or first cell) matches is skipped
    /// (section headers such as `Pharmacists`, totals).
    pub skip_rows: Vec<String>,
    /// How many rows from the top the header row is looked for in.
    pub header_search_rows: u32,
    /// Header cells that mark a sheet as no shift list (a time-off, absence or availability
    /// sheet beside the shifts, as Teams and When I Work export them); compared like aliases.
    pub not_shift_headers: Vec<String>,
    /// Employee cells that mean nobody is assigned yet (`Open Shift`): such a row, like one
    /// with times and no name, is an open shift, reported as a notice and not imported.
    pub open_shift: Vec<String>,
    /// Grid shift codes and their times (`F = "06:00-14:00"`), for files whose legend is not
    /// on the sheet; a legend on the sheet wins over these.
    pub shift_codes: std::collections::BTreeMap<String, String>,
}

impl Default for ValueRules {
    fn default() -> Self {
        ValueRules {
            date_order: DateOrder::Mdy,
            no_shift: [
                "OFF", "PTO", "VAC", "VACATION", "SICK", "HOLIDAY", "HOL", "X", "N/A", "NA",
                "LOA", "RDO", "DAY OFF", "REQ OFF", "REQUESTED OFF", "CLOSED", "UNAVAILABLE",
                "LEAVE", "RTO", "FMLA", "OOO", "JURY DUTY", "BEREAVEMENT",
            ]
            .map(String::from)
            .to_vec(),
            skip_rows: vec![
                r"(?i)^\s*(?:grand\s+)?totals?\b".to_string(),
                r"(?i)^\s*(?:pharmacists?|technicians?|techs?|cashiers?|clerks?|interns?|staff|front\s*(?:end|store)|support\s+staff|managers?)(?:\s*(?:&|and|/)\s*\w+)*\s*:?\s*$".to_string(),
            ],
            header_search_rows: 30,
            not_shift_headers: [
                "Time Off Reason", "Time Off Type", "Time Off", "Leave Type", "Absence Type",
                "Absence Reason", "Request Type", "Availability", "Unavailability",
                "Abwesenheit", "Abwesenheitsgrund", "Fehlzeit",
            ]
            .map(String::from)
            .to_vec(),
            open_shift: [
                "Open", "Open Shift", "Open Shifts", "OpenShift", "(Open)", "Unassigned",
                "Unfilled", "Vacant", "Empty Shift", "Not Assigned", "Offene Schicht", "Offen",
            ]
            .map(String::from)
            .to_vec(),
            shift_codes: Default::default(),
        }
    }
}

/// Validation limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// A shift longer than this many hours is rejected.
    pub max_shift_hours: f64,
    /// A date this many days or more apart from the file's run of dates (the stated week, or
    /// the consecutive dates around the median) gets a warning.
    pub far_date_warning_days: i64,
    /// A date separated from the file's run of dates by a gap of this many days or more
    /// rejects the row (the tails of a continuous export are never far).
    pub far_date_error_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_shift_hours: 16.0,
            far_date_warning_days: 10,
            far_date_error_days: 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors() {
        let bad = r#"
            name = "x"
            layout = "rows"
            [columns]
            employe_name = ["Employee"]
        "#;
        let err = toml::from_str::<Template>(bad).unwrap_err().to_string();
        assert!(err.contains("employe_name"), "{err}");
    }

    #[test]
    fn fields_round_trip_their_names() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn definition_round_trips_through_json() {
        let t: Template = toml::from_str(
            r#"
            name = "x"
            layout = "grid"
            [columns]
            employee_name = ["Employee"]
            "#,
        )
        .unwrap();
        let json = serde_json::to_value(&t).unwrap();
        let back: Template = serde_json::from_value(json).unwrap();
        assert_eq!(back, t);
    }
}
