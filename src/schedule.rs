//! The domain of a parsed schedule: [`Shift`]s, row [`Issue`]s, the [`Plan`] that the pure
//! pipeline (read → template → extract → validate) hands to the database writer.
//!
//! Nothing here does I/O. A `Plan` is what `preview` prints and what `import` writes. How an
//! import meets stored shifts ([`ImportMode`]) and where it came from ([`ImportSource`]) live
//! here too: the queue stores them with a job, the writer with an import.

use crate::read::grid::CellRef;
use arcstr::ArcStr;
use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// One shift of one employee, as read from the file (before store and contact resolution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// The store number the file gives for this shift.
    pub store_number: i32,
    /// `First Last` (a `Last, First` name is turned around by extraction). Shared by the
    /// shifts of one row (no copy per shift).
    pub employee_name: ArcStr,
    /// Shared by the shifts of a row, and by the rows of one employee (one copy per file).
    pub employee_phone: Option<ArcStr>,
    /// The date the shift starts on (an overnight shift belongs to the date it starts).
    pub date: NaiveDate,
    pub start: NaiveTime,
    /// `end < start` means the shift ends the next day.
    pub end: NaiveTime,
    pub position: Option<ArcStr>,
    pub notes: Option<ArcStr>,
    /// The cell the shift was read from (the row's first mapped cell for rows layouts, the
    /// day cell for grid layouts).
    pub source: CellRef,
}

impl Shift {
    /// Whether the shift ends on the next day.
    pub fn is_overnight(&self) -> bool {
        self.end < self.start
    }

    /// Length in minutes (overnight shifts wrap past midnight).
    pub fn minutes(&self) -> i64 {
        let d = (self.end - self.start).num_minutes();
        if d < 0 { d + 24 * 60 } else { d }
    }
}

/// How bad a row issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information: nothing is wrong with the file (an open shift nobody is assigned to
    /// yet, which is not imported).
    Notice,
    /// Kept, but worth a look (unknown employee, long shift).
    Warning,
    /// The row is rejected.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A problem found in one row or cell, with the reference an operator can go to.
///
/// `message` says what was expected; it never quotes personal data (names, phones), though it
/// may quote a short non-personal value such as an unreadable time (`"9;30"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unreadable_time`, `missing_employee`.
    pub code: &'static str,
    pub cell: Option<CellRef>,
    /// A fixed text is not copied into every issue that says it.
    pub message: Cow<'static, str>,
}

impl Issue {
    pub fn error(
        code: &'static str,
        cell: Option<CellRef>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Issue {
            severity: Severity::Error,
            code,
            cell,
            message: message.into(),
        }
    }

    pub fn notice(
        code: &'static str,
        cell: Option<CellRef>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Issue {
            severity: Severity::Notice,
            code,
            cell,
            message: message.into(),
        }
    }

    pub fn warning(
        code: &'static str,
        cell: Option<CellRef>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Issue {
            severity: Severity::Warning,
            code,
            cell,
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cell {
            Some(c) => write!(f, "{} at {}: {}", self.severity, c, self.message),
            None => write!(f, "{}: {}", self.severity, self.message),
        }
    }
}

/// What the pure pipeline made of one file: the template used, the shifts that passed
/// validation, and every issue (rejected rows appear only as error issues).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Name of the processing template that was applied.
    pub template: String,
    /// Format detected from the content.
    pub format: crate::read::grid::SourceFormat,
    pub shifts: Vec<Shift>,
    pub issues: Vec<Issue>,
}

impl Plan {
    pub fn error_count(&self) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
            .count()
    }

    /// The (store, first date, last date) spans the shifts cover, for `replace` mode.
    pub fn coverage(&self) -> Vec<(i32, NaiveDate, NaiveDate)> {
        let mut spans: std::collections::BTreeMap<i32, (NaiveDate, NaiveDate)> = Default::default();
        for s in &self.shifts {
            let e = spans.entry(s.store_number).or_insert((s.date, s.date));
            e.0 = e.0.min(s.date);
            e.1 = e.1.max(s.date);
        }
        spans.into_iter().map(|(k, (a, b))| (k, a, b)).collect()
    }
}

/// How the shifts of a file meet the shifts already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// The shifts of each store for the dates the file covers are replaced (default).
    #[default]
    Replace,
    /// The shifts are added beside what is there.
    Append,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Replace => "replace",
            ImportMode::Append => "append",
        }
    }
}

/// Where an import came from (`document_imports.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportSource {
    Inbox,
    Cli,
    Sql,
    Reprocess,
}

impl ImportSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportSource::Inbox => "inbox",
            ImportSource::Cli => "cli",
            ImportSource::Sql => "sql",
            ImportSource::Reprocess => "reprocess",
        }
    }
}

/// A stored mode or source that this binary does not know (a newer schema's value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownValue {
    /// What was read: `import mode`, `import source`.
    pub what: &'static str,
    /// The stored text.
    pub value: String,
}

impl TryFrom<String> for ImportMode {
    type Error = UnknownValue;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        [ImportMode::Replace, ImportMode::Append]
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or(UnknownValue {
                what: "import mode",
                value: s,
            })
    }
}

impl TryFrom<String> for ImportSource {
    type Error = UnknownValue;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        [
            ImportSource::Inbox,
            ImportSource::Cli,
            ImportSource::Sql,
            ImportSource::Reprocess,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
        .ok_or(UnknownValue {
            what: "import source",
            value: s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Shift;
    use crate::extract::Extracted;
    use std::mem::size_of;

    /// A million-shift file holds a million of each (extracted, then validated) until the
    /// write: a field that grows them grows every large import's memory.
    #[test]
    fn shifts_stay_small() {
        assert!(
            size_of::<Shift>() <= 80,
            "Shift is {} bytes",
            size_of::<Shift>()
        );
        let extracted = size_of::<Extracted>();
        assert!(extracted <= 88, "Extracted is {extracted} bytes");
    }
}
