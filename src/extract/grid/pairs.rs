//! In/Out (Start/End, Von/Bis) sub-columns under each day header: the office templates'
//! weekly timesheet, whose day headers are merged over two or three columns (In, Out, and
//! sometimes the day's hours) with the sub-column labels on the row below.

use super::header::parse_header;
use super::{Block, Day, Found};
use crate::read::grid::{Cell, Row, Sheet};
use crate::template::set::{CompiledTemplate, norm_key};
use chrono::NaiveDate;

/// The sub-header row under a day header.
pub(super) struct SubHeader {
    pub(super) row: u32,
    /// A name column labelled on the sub-header row instead of the day row.
    pub(super) employee_col: Option<u32>,
    /// `(in column, out column)` pairs, left to right.
    pub(super) pairs: Vec<(u32, u32)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    In,
    Out,
}

fn side(cell: &Cell) -> Option<Side> {
    let s = cell.as_text()?;
    if s.len() > 20 {
        return None;
    }
    match norm_key(s).as_str() {
        "in" | "timein" | "start" | "starttime" | "begin" | "beginn" | "von" | "from"
        | "clockin" | "kommen" | "arrive" | "shiftstart" => Some(Side::In),
        "out" | "timeout" | "end" | "endtime" | "ende" | "bis" | "to" | "until" | "clockout"
        | "gehen" | "leave" | "shiftend" => Some(Side::Out),
        _ => None,
    }
}

/// In/Out pairs of a row, left to right: each In with the next Out before the next In.
fn pairs_of(cells: &[Cell]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut open: Option<u32> = None;
    for (i, c) in cells.iter().enumerate() {
        match side(c) {
            Some(Side::In) => open = Some(i as u32),
            Some(Side::Out) => {
                if let Some(s) = open.take() {
                    out.push((s, i as u32));
                }
            }
            None => {}
        }
    }
    out
}

/// The In/Out row just below the day header, when there is one with a pair under at least
/// `min_days` days.
pub(super) fn sub_header(sheet: &Sheet, found: &Found, t: &CompiledTemplate) -> Option<SubHeader> {
    let next = sheet.rows().iter().find(|r| r.index > found.header.row)?;
    if next.index != found.header.row + 1 {
        return None;
    }
    let pairs = pairs_of(&next.cells);
    let min_days = t.def.week.min_days.max(1);
    let covered = pairs
        .iter()
        .filter(|(i, o)| found.days.iter().any(|(c, _)| c <= o && c + 3 >= *i))
        .count();
    if covered < min_days {
        return None;
    }
    let h = parse_header(&next.cells, t);
    Some(SubHeader {
        row: next.index,
        employee_col: h.employee_col,
        pairs,
    })
}

/// Each In/Out pair as a day: the date of the day header over its In column, or the nearest
/// header to its left (a header written once over a merged range).
pub(super) fn pair_days(days: &[(u32, NaiveDate)], pairs: &[(u32, u32)]) -> Vec<Day> {
    pairs
        .iter()
        .filter_map(|(i, o)| {
            let (_, date) = days.iter().rev().find(|(c, _)| c <= o && c + 3 >= *i)?;
            Some(Day {
                col: *i,
                date: *date,
                end_col: Some(*o),
            })
        })
        .collect()
}

/// Whether a row below the header is an In/Out sub-header again (a week stacked below).
pub(super) fn is_sub_header_row(row: &Row, blocks: &[Block]) -> bool {
    let Some(day) = blocks
        .iter()
        .flat_map(|b| &b.days)
        .find(|d| d.end_col.is_some())
    else {
        return false;
    };
    row.cells
        .get(day.col as usize)
        .is_some_and(|c| side(c) == Some(Side::In))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_in_order() {
        let t = |s: &str| Cell::Text(s.into());
        let row = vec![
            t("Employee"),
            t("In"),
            t("Out"),
            t("Hours"),
            t("Start"),
            t("End"),
            Cell::Empty,
            t("Von"),
            t("Bis"),
        ];
        assert_eq!(pairs_of(&row), vec![(1, 2), (4, 5), (7, 8)]);
    }
}
