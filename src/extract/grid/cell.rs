//! One day of one row read as shifts: a cell (a shift code, a no-shift word, one or more
//! ranges, ranges on several lines, a note beside them) or an In/Out pair of cells.

use super::super::{cells, quote};
use super::Legend;
use crate::read::grid::{Cell, CellRef};
use crate::schedule::Issue;
use crate::template::set::CompiledTemplate;
use crate::values::timespec::{self, Ranges};
use regex::Regex;
use std::sync::LazyLock;

/// The shifts of one day cell and the note written beside them.
pub(super) type Cellshifts = (Ranges, Option<String>);

/// A day read: `None` for no shift, else the shifts or the issue that rejects them.
pub(super) type DayRead = Option<Result<Cellshifts, Issue>>;

/// Read one day cell. A legend's code wins over the template's no-shift words (`F` is a
/// shift, Früh, where the sheet's legend says so, and "frei" elsewhere).
pub(super) fn read_day(
    cell: &Cell,
    t: &CompiledTemplate,
    legend: &Legend,
    cref: impl Fn() -> CellRef,
) -> DayRead {
    match cell {
        Cell::Empty => None,
        Cell::Text(s) => read_text(s, t, legend, cref),
        Cell::Number(n) if !legend.is_empty() && n.fract() == 0.0 => {
            match legend.lookup(&format!("{}", *n as i64)) {
                Some(rs) => Some(Ok((rs.clone(), None))),
                None => Some(Err(not_a_shift(cell, cref()))),
            }
        }
        other => Some(Err(not_a_shift(other, cref()))),
    }
}

fn read_text(
    s: &str,
    t: &CompiledTemplate,
    legend: &Legend,
    cref: impl Fn() -> CellRef,
) -> DayRead {
    if !legend.is_empty()
        && let Some(rs) = codes_in(s, legend)
    {
        return Some(Ok((rs, None)));
    }
    if t.is_no_shift(s) {
        return None;
    }
    Some(timespec::parse_with_note(s).map_err(|e| {
        let hint = if legend.is_empty() {
            ""
        } else {
            " or a code of the sheet's legend"
        };
        Issue::error(
            "unreadable_time",
            Some(cref()),
            format!("cannot read the shift {}: {e}{hint}", quote(s)),
        )
    }))
}

/// A cell of legend codes: one (`F`), or several for a double shift (`F/S`, `F + N`, one per
/// line).
fn codes_in(s: &str, legend: &Legend) -> Option<Ranges> {
    if let Some(rs) = legend.lookup(s) {
        return Some(rs.clone());
    }
    let parts: Vec<&str> = s
        .split(['\n', '/', '+', ',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return None;
    }
    let mut out = Ranges::new();
    for p in parts {
        out.extend(legend.lookup(p)?.iter().copied());
    }
    Some(out)
}

fn not_a_shift(cell: &Cell, at: CellRef) -> Issue {
    Issue::error(
        "unreadable_time",
        Some(at),
        format!(
            "a {} cell where a shift was expected (write it like 9a-5:30p)",
            cell.kind()
        ),
    )
}

/// Read an In/Out (Start/End) pair of cells. A no-shift word or a code or a whole range in
/// the In cell with the Out cell empty is read as a day cell.
pub(super) fn read_pair(
    start: &Cell,
    end: &Cell,
    t: &CompiledTemplate,
    legend: &Legend,
    cref: impl Fn() -> CellRef,
    end_ref: impl Fn() -> CellRef,
) -> DayRead {
    match (start.is_empty(), end.is_empty()) {
        (true, true) => return None,
        (false, true) => return read_day(start, t, legend, cref),
        (true, false) => {
            if end.as_text().is_some_and(|s| t.is_no_shift(s)) {
                return None;
            }
            return Some(Err(Issue::error(
                "missing_start",
                Some(cref()),
                "an Out time without an In time: fill in when the shift starts",
            )));
        }
        (false, false) => {}
    }
    if start.as_text().is_some_and(|s| t.is_no_shift(s)) {
        return None;
    }
    let order = t.def.values.date_order;
    let s = cells::clock(start, order).map_err(|e| {
        Issue::error(
            "unreadable_time",
            Some(cref()),
            format!("cannot read the In time: {e}"),
        )
    });
    let e = cells::clock(end, order).map_err(|e| {
        Issue::error(
            "unreadable_time",
            Some(end_ref()),
            format!("cannot read the Out time: {e}"),
        )
    });
    Some(s.and_then(|s| e.map(|e| (s, e))).map(|(s, e)| {
        let mut rs = Ranges::new();
        rs.push(timespec::resolve(s, e, None));
        (rs, None)
    }))
}

static TOTALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:grand\s+|daily\s+|weekly\s+)?(?:totals?|sum|summe|gesamt|scheduled\s+(?:hours|hrs)|(?:total\s+)?hours|hrs|stunden|labou?r(?:\s+cost)?|wages?|cost|payroll|lohn(?:kosten)?|headcount|staff\s+count|coverage)\b",
    )
    .expect("valid totals regex")
});

/// Whether a row label names a totals row (`TOTAL`, `Scheduled hours`, `Labor cost`,
/// `Summe`): never read as shifts or names.
pub(super) fn is_totals_label(label: &str) -> bool {
    TOTALS.is_match(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_labels() {
        for s in [
            "TOTAL",
            "Total Hours",
            "Scheduled hours",
            "Labor cost",
            "Summe",
            "Grand total",
        ] {
            assert!(is_totals_label(s), "{s}");
        }
        for s in ["Maria Garcia", "Hoursley, Ann", "Totalis Sam"] {
            assert!(!is_totals_label(s), "{s}");
        }
    }
}
