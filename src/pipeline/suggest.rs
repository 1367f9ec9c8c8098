//! `templates suggest`: write a template for a file that no template reads, the way an
//! importer's automap does without a UI.
//!
//! The header row is the row of the first 30 whose columns look most like a schedule: header
//! cells that name a field (any shipped template's aliases, or one edit away from one: "did you
//! mean"), and columns below whose values are dates, times, time ranges, date-times or names.
//! Columns no header names are assigned by their values (the first column of names is the
//! employee, two time columns are start and end …). A row of at least three day headers
//! (`Mon 11/24`, `24.11.`) makes a grid instead. The date order comes from the values: a day
//! above 12, a weekday that agrees in one order only, or dotted dates; when nothing decides, the
//! suggestion says so. The result is a TOML template whose aliases are the file's own headers,
//! checked by compiling it.

use crate::read::grid::{Cell, Grid, Sheet};
use crate::template::model::{Field, Layout};
use crate::template::set::{CompiledTemplate, TemplateSet, norm_key};
use crate::values::dates::{self, DateOrder};
use crate::values::timespec;

/// Rows searched for the header.
const HEADER_ROWS: usize = 30;
/// Values sampled below a header cell to tell what a column holds.
const SAMPLE: usize = 40;

/// A template proposed for a file.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub template: CompiledTemplate,
    /// The TOML text of the template (what `--save` stores and `templates check` reads).
    pub toml: String,
    pub sheet: String,
    /// 1-based header row.
    pub header_row: u32,
    /// Header cells read as a near alias: `"Strat Time" (C4): did you mean "Start Time"?`.
    pub did_you_mean: Vec<String>,
    /// What the operator should check (an undecided date order, a missing store).
    pub notes: Vec<String>,
}

/// What most values of a column are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Time,
    Range,
    DateTime,
    Name,
    Number,
    Text,
}

/// The fields of the shipped templates with their aliases (as written and normalised).
struct Known(Vec<(Field, String, String)>);

impl Known {
    fn new() -> Known {
        let mut v: Vec<(Field, String, String)> = Vec::new();
        if let Ok(set) = TemplateSet::embedded() {
            for t in set.iter() {
                for (f, aliases) in t.def.columns.mapped() {
                    for a in aliases {
                        let k = norm_key(a);
                        if !v.iter().any(|(g, _, x)| *g == f && *x == k) {
                            v.push((f, a.clone(), k));
                        }
                    }
                }
            }
        }
        Known(v)
    }

    /// The field a header names: exactly, or one or two edits away from one alias (then the
    /// alias, for "did you mean"). `Employee #` is an ID, never a name.
    fn field(&self, header: &str) -> Option<(Field, Option<&str>)> {
        let k = norm_key(header);
        if k.len() < 2 || header.trim_end().ends_with('#') {
            return None;
        }
        if let Some((f, _, _)) = self.0.iter().find(|(_, _, x)| *x == k) {
            return Some((*f, None));
        }
        let allowed = if k.len() <= 6 { 1 } else { 2 };
        let mut best: Option<(usize, Field, &str)> = None;
        let mut tied = false;
        for (f, orig, x) in &self.0 {
            if x.len() < 4 {
                continue;
            }
            let d = strsim::levenshtein(&k, x);
            if d > allowed {
                continue;
            }
            match best {
                Some((bd, bf, _)) if d == bd && bf != *f => tied = true,
                Some((bd, _, _)) if d >= bd => {}
                _ => {
                    best = Some((d, *f, orig.as_str()));
                    tied = false;
                }
            }
        }
        best.filter(|_| !tied).map(|(_, f, a)| (f, Some(a)))
    }
}

fn text_kind(s: &str) -> Kind {
    let t = s.trim();
    let has_digit = t.bytes().any(|b| b.is_ascii_digit());
    if !has_digit {
        let words = t.split_whitespace().count();
        let letters = t.chars().any(char::is_alphabetic);
        return if letters && (1..=5).contains(&words) {
            Kind::Name
        } else {
            Kind::Text
        };
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return if dates::parse_date(t, DateOrder::Dmy).is_some() {
            Kind::Date
        } else {
            Kind::Number
        };
    }
    let either = |f: &dyn Fn(DateOrder) -> bool| f(DateOrder::Mdy) || f(DateOrder::Dmy);
    if either(&|o| dates::parse_date(t, o).is_some()) {
        return Kind::Date;
    }
    if either(&|o| dates::cell_datetime_text(t, o).is_some()) {
        return Kind::DateTime;
    }
    if timespec::parse_ranges(t).is_ok_and(|r| !r.is_empty()) && t.len() > 3 {
        return Kind::Range;
    }
    if timespec::parse_clock(t).is_ok() {
        return Kind::Time;
    }
    Kind::Text
}

fn kind(cell: &Cell) -> Option<Kind> {
    Some(match cell {
        Cell::Empty => return None,
        Cell::Date(_) => Kind::Date,
        Cell::DateTime(dt) if dt.time() == chrono::NaiveTime::MIN => Kind::Date,
        Cell::DateTime(_) => Kind::DateTime,
        Cell::Time(_) => Kind::Time,
        Cell::Number(n) if (0.0..1.0).contains(n) && *n > 0.0 => Kind::Time,
        Cell::Number(_) => Kind::Number,
        Cell::Text(s) if s.trim().is_empty() => return None,
        Cell::Text(s) => text_kind(s),
        _ => Kind::Text,
    })
}

/// The kind most values below `row` in column `col` have (three in five at least).
fn column_kind(sheet: &Sheet, row: u32, col: usize) -> Option<Kind> {
    let kinds: Vec<Kind> = sheet
        .rows()
        .iter()
        .filter(|r| r.index > row)
        .filter_map(|r| kind(r.cells.get(col)?))
        .take(SAMPLE)
        .collect();
    let all = [
        Kind::Date,
        Kind::Time,
        Kind::Range,
        Kind::DateTime,
        Kind::Name,
        Kind::Number,
        Kind::Text,
    ];
    let (k, n) = all
        .iter()
        .map(|k| (*k, kinds.iter().filter(|x| *x == k).count()))
        .max_by_key(|(_, n)| *n)?;
    (n > 0 && n * 5 >= kinds.len() * 3).then_some(k)
}

/// One header column: its text, the field its header names (if any) and its values' kind.
#[derive(Debug, Clone)]
struct Column {
    col: usize,
    header: String,
    named: Option<(Field, Option<String>)>,
    kind: Option<Kind>,
}

fn columns_of(sheet: &Sheet, row: u32, known: &Known) -> Vec<Column> {
    sheet
        .row(row)
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let header = c.as_text()?.trim().to_string();
            if header.is_empty() {
                return None;
            }
            let named = known
                .field(&header)
                .map(|(f, a)| (f, a.map(str::to_string)));
            Some(Column {
                col: i,
                kind: column_kind(sheet, row, i),
                header,
                named,
            })
        })
        .collect()
}

/// Whether a row's cells are labels (a header), not values: no date, time, range or number.
fn all_labels(cells: &[Cell]) -> bool {
    cells.iter().all(|c| {
        !matches!(
            kind(c),
            Some(Kind::Date | Kind::Time | Kind::Range | Kind::DateTime | Kind::Number)
        )
    })
}

/// How much a row looks like a shift list's header.
fn header_score(cols: &[Column]) -> i64 {
    let named = cols.iter().filter(|c| c.named.is_some()).count() as i64;
    let timed = cols
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                Some(Kind::Date | Kind::Time | Kind::Range | Kind::DateTime)
            )
        })
        .count() as i64;
    let names = cols.iter().any(|c| c.kind == Some(Kind::Name)) as i64;
    if cols.len() < 2 || timed == 0 {
        return 0;
    }
    named * 3 + timed * 2 + names
}

/// A proposal for one sheet, or why none.
pub fn suggest(grid: &Grid, file_name: &str, name: &str) -> Result<Suggestion, String> {
    let known = Known::new();
    let mut reasons = Vec::new();
    if let Some(s) = grid_suggestion(grid, file_name, name, &known) {
        return s;
    }
    let mut best: Option<(i64, usize, u32, Vec<Column>)> = None;
    for (si, sheet) in grid.sheets.iter().enumerate() {
        for row in sheet.rows().iter().take(HEADER_ROWS) {
            if !all_labels(&row.cells) {
                continue;
            }
            let cols = columns_of(sheet, row.index, &known);
            let score = header_score(&cols);
            if score > 0 && best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, si, row.index, cols));
            }
        }
    }
    let Some((_, si, row, cols)) = best else {
        reasons.push("no row in the first 30 has columns of dates or times below it".to_string());
        return Err(reasons.join("; "));
    };
    rows_suggestion(&grid.sheets[si], row, cols, file_name, name)
}

/// Fields for a rows layout: headers first, then values for what is still missing.
fn assign_rows(cols: &[Column]) -> Result<Vec<(Field, usize)>, String> {
    let mut out: Vec<(Field, usize)> = Vec::new();
    let taken = |out: &Vec<(Field, usize)>, c: usize| out.iter().any(|(_, x)| *x == c);
    let has = |out: &Vec<(Field, usize)>, f: Field| out.iter().any(|(x, _)| *x == f);
    for c in cols {
        if let Some((f, _)) = &c.named
            && !has(&out, *f)
            && !taken(&out, c.col)
        {
            out.push((*f, c.col));
        }
    }
    let free = |out: &Vec<(Field, usize)>, k: Kind| -> Vec<usize> {
        cols.iter()
            .filter(|c| c.kind == Some(k) && !taken(out, c.col))
            .map(|c| c.col)
            .collect()
    };
    if !has(&out, Field::EmployeeName)
        && !has(&out, Field::FirstName)
        && !has(&out, Field::LastName)
    {
        let c = *free(&out, Kind::Name)
            .first()
            .ok_or("no column of names (employee)")?;
        out.push((Field::EmployeeName, c));
    }
    let times = (has(&out, Field::Start) && has(&out, Field::End))
        || has(&out, Field::Shift)
        || (has(&out, Field::StartDatetime) && has(&out, Field::EndDatetime));
    if !times {
        out.retain(|(f, _)| {
            !matches!(
                f,
                Field::Start | Field::End | Field::StartDatetime | Field::EndDatetime
            )
        });
        let dts = free(&out, Kind::DateTime);
        let tms = free(&out, Kind::Time);
        let rng = free(&out, Kind::Range);
        if let [s, e, ..] = dts[..] {
            out.extend([(Field::StartDatetime, s), (Field::EndDatetime, e)]);
        } else if let [s, e, ..] = tms[..] {
            out.extend([(Field::Start, s), (Field::End, e)]);
        } else if let Some(r) = rng.first() {
            out.push((Field::Shift, *r));
        } else {
            return Err("no start and end times, time ranges or date-times".into());
        }
    }
    let datetimes = has(&out, Field::StartDatetime) && has(&out, Field::EndDatetime);
    if !datetimes && !has(&out, Field::Date) {
        let c = *free(&out, Kind::Date).first().ok_or("no column of dates")?;
        out.push((Field::Date, c));
    }
    Ok(out)
}

/// The date order the values agree with: evidence from days above 12, weekdays and dots.
fn infer_order(texts: &[String]) -> (DateOrder, Option<String>) {
    let reads = |o: DateOrder| {
        texts
            .iter()
            .filter(|t| {
                dates::parse_date(t, o).is_some() || dates::cell_datetime_text(t, o).is_some()
            })
            .count()
    };
    let (m, d) = (reads(DateOrder::Mdy), reads(DateOrder::Dmy));
    if d > m {
        return (DateOrder::Dmy, None);
    }
    if m > d || texts.is_empty() {
        return (DateOrder::Mdy, None);
    }
    let differ = texts
        .iter()
        .any(|t| dates::parse_date(t, DateOrder::Mdy) != dates::parse_date(t, DateOrder::Dmy));
    if !differ {
        return (DateOrder::Mdy, None);
    }
    if texts.iter().all(|t| t.contains('.')) {
        return (DateOrder::Dmy, None);
    }
    (
        DateOrder::Mdy,
        Some(
            "every date reads both month-first and day-first: month-first was chosen; set \
             values.date_order = \"dmy\" if the dates are day-first"
                .into(),
        ),
    )
}

/// The texts of a column's values (typed dates say nothing about the order).
fn texts_below(sheet: &Sheet, row: u32, col: usize) -> Vec<String> {
    sheet
        .rows()
        .iter()
        .filter(|r| r.index > row)
        .filter_map(|r| r.cells.get(col)?.as_text().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .take(200)
        .collect()
}

fn rows_suggestion(
    sheet: &Sheet,
    row: u32,
    cols: Vec<Column>,
    file_name: &str,
    name: &str,
) -> Result<Suggestion, String> {
    let fields = assign_rows(&cols)?;
    let header_of = |c: usize| cols.iter().find(|x| x.col == c).map(|x| x.header.clone());
    let date_cols: Vec<usize> = fields
        .iter()
        .filter(|(f, _)| matches!(f, Field::Date | Field::StartDatetime | Field::EndDatetime))
        .map(|(_, c)| *c)
        .collect();
    let texts: Vec<String> = date_cols
        .iter()
        .flat_map(|c| texts_below(sheet, row, *c))
        .collect();
    let (order, order_note) = infer_order(&texts);
    let mut notes: Vec<String> = order_note.into_iter().collect();
    let mapped: Vec<(Field, String)> = fields
        .iter()
        .filter_map(|(f, c)| Some((*f, header_of(*c)?)))
        .collect();
    let did_you_mean = near_misses(&cols, sheet, row);
    let toml = render(
        name,
        file_name,
        Layout::Rows,
        &mapped,
        order,
        &format!("sheet {:?}, header row {}", sheet.name, row + 1),
    );
    let template = CompiledTemplate::from_toml(name, &toml, "suggested".into())
        .map_err(|e| format!("the suggested template does not load: {e}"))?;
    if !mapped.iter().any(|(f, _)| *f == Field::StoreNumber) {
        notes.push(
            "no store column: the store comes from a title, the sheet or file name, or --store"
                .into(),
        );
    }
    Ok(Suggestion {
        template,
        toml,
        sheet: sheet.name.to_string(),
        header_row: row + 1,
        did_you_mean,
        notes,
    })
}

/// "Did you mean" lines for header cells read as a near alias.
fn near_misses(cols: &[Column], sheet: &Sheet, row: u32) -> Vec<String> {
    cols.iter()
        .filter_map(|c| {
            let (f, alias) = c.named.as_ref()?;
            let alias = alias.as_ref()?;
            Some(format!(
                "{:?} ({}): did you mean {alias:?}? read as {}",
                c.header,
                sheet.cell_ref(row, c.col as u32),
                f.as_str()
            ))
        })
        .collect()
}

/// A weekly grid: a row with three day headers or more; the names are the first column of
/// names left of the days.
fn grid_suggestion(
    grid: &Grid,
    file_name: &str,
    name: &str,
    known: &Known,
) -> Option<Result<Suggestion, String>> {
    for sheet in &grid.sheets {
        for row in sheet.rows().iter().take(HEADER_ROWS) {
            let days: Vec<(usize, String)> = row
                .cells
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    dates::day_header(c, DateOrder::Mdy).is_some()
                        || dates::day_header(c, DateOrder::Dmy).is_some()
                })
                .map(|(i, c)| (i, c.as_text().unwrap_or_default().to_string()))
                .collect();
            if days.len() < 3 {
                continue;
            }
            return Some(grid_from_row(
                sheet, row.index, &days, file_name, name, known,
            ));
        }
    }
    None
}

fn grid_from_row(
    sheet: &Sheet,
    row: u32,
    days: &[(usize, String)],
    file_name: &str,
    name: &str,
    known: &Known,
) -> Result<Suggestion, String> {
    let first_day = days[0].0;
    let cols: Vec<Column> = columns_of(sheet, row, known)
        .into_iter()
        .filter(|c| c.col < first_day)
        .collect();
    let employee = cols
        .iter()
        .find(|c| c.named.as_ref().is_some_and(|(f, _)| f.is_name()))
        .or_else(|| cols.iter().find(|c| c.kind == Some(Kind::Name)))
        .ok_or("the day columns have no column of names with a header to their left")?;
    let mut mapped = vec![(Field::EmployeeName, employee.header.clone())];
    for c in &cols {
        if let Some((f, _)) = &c.named
            && c.col != employee.col
            && matches!(
                f,
                Field::Position | Field::StoreNumber | Field::EmployeePhone
            )
            && !mapped.iter().any(|(x, _)| x == f)
        {
            mapped.push((*f, c.header.clone()));
        }
    }
    let texts: Vec<String> = days
        .iter()
        .filter_map(|(_, t)| {
            let t: String = t
                .split_whitespace()
                .filter(|w| dates::weekday_word(w).is_none())
                .collect();
            (!t.is_empty()).then_some(t)
        })
        .collect();
    let (order, note) = infer_order(&texts);
    let toml = render(
        name,
        file_name,
        Layout::Grid,
        &mapped,
        order,
        &format!("sheet {:?}, day header row {}", sheet.name, row + 1),
    );
    let template = CompiledTemplate::from_toml(name, &toml, "suggested".into())
        .map_err(|e| format!("the suggested template does not load: {e}"))?;
    Ok(Suggestion {
        template,
        toml,
        sheet: sheet.name.to_string(),
        header_row: row + 1,
        did_you_mean: near_misses(&cols, sheet, row),
        notes: note.into_iter().collect(),
    })
}

/// The TOML text: aliases are the file's own headers; the header signature is every mapped
/// header, so the template reads this layout and leaves others alone.
fn render(
    name: &str,
    file_name: &str,
    layout: Layout,
    mapped: &[(Field, String)],
    order: DateOrder,
    place: &str,
) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = String::new();
    out.push_str(&format!(
        "# Suggested by `pharmacy-ingest templates suggest` for {} ({place}).\n",
        file_name.replace('\n', " ")
    ));
    out.push_str(&format!("name = {}\n", q(name)));
    out.push_str(&format!(
        "description = {}\n",
        q(&format!("Suggested for files like {file_name}"))
    ));
    out.push_str(&format!(
        "layout = \"{}\"\npriority = 5\n\n",
        layout.as_str()
    ));
    if layout == Layout::Rows {
        let sig: Vec<String> = mapped.iter().map(|(_, h)| q(h)).collect();
        out.push_str(&format!("[match]\nheader = [{}]\n\n", sig.join(", ")));
    }
    out.push_str("[columns]\n");
    for f in Field::ALL {
        let hs: Vec<String> = mapped
            .iter()
            .filter(|(x, _)| *x == f)
            .map(|(_, h)| q(h))
            .collect();
        if !hs.is_empty() {
            out.push_str(&format!("{} = [{}]\n", f.as_str(), hs.join(", ")));
        }
    }
    let order = match order {
        DateOrder::Mdy => "mdy",
        DateOrder::Dmy => "dmy",
        DateOrder::Ymd => "ymd",
    };
    out.push_str(&format!("\n[values]\ndate_order = \"{order}\"\n"));
    out
}

/// A template name from a file name: `suggested-week48-roster`.
pub fn name_for(file_name: &str) -> String {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let slug: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug: Vec<&str> = slug.split('-').filter(|s| !s.is_empty()).collect();
    format!("suggested-{}", slug.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_aliases_and_kinds() {
        let k = Known::new();
        assert_eq!(k.field("Employee"), Some((Field::EmployeeName, None)));
        assert_eq!(
            k.field("Strat Time").map(|(f, _)| f),
            Some(Field::Start),
            "one swap away"
        );
        assert_eq!(k.field("Employee #"), None);
        assert_eq!(text_kind("9:00 AM"), Kind::Time);
        assert_eq!(text_kind("9a-5p"), Kind::Range);
        assert_eq!(text_kind("24.11.2025"), Kind::Date);
        assert_eq!(text_kind("Anna Schmidt"), Kind::Name);
        assert_eq!(text_kind("11/24/2025 09:00"), Kind::DateTime);
    }

    #[test]
    fn orders_from_values() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            infer_order(&v(&["24/11/2025", "03/11/2025"])).0,
            DateOrder::Dmy
        );
        assert_eq!(
            infer_order(&v(&["11/24/2025", "11/03/2025"])).0,
            DateOrder::Mdy
        );
        let (o, note) = infer_order(&v(&["06/03/2025", "07/03/2025"]));
        assert_eq!(o, DateOrder::Mdy);
        assert!(note.is_some());
        assert_eq!(infer_order(&v(&["06.03.2025"])).0, DateOrder::Dmy);
        assert_eq!(
            name_for("Week 48 (Roster).xlsx"),
            "suggested-week-48-roster"
        );
    }
}
