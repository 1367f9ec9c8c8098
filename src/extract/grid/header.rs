//! The day header of a week grid: which columns are days and which dates they are.
//!
//! A header row maps the template's column aliases and reads every other cell as a day header
//! (`Mon 11/24`, `Monday`, typed dates). Day names alone get their dates from a `Week of` cell
//! (or a week-ending one, six days earlier), a date in the title, or a row of dates just below.

use crate::read::grid::{Cell, Sheet};
use crate::template::model::{Field, WeekSource};
use crate::template::set::CompiledTemplate;
use crate::values::dates::{self, DayHeader, PartialDate};
use chrono::{Datelike, Duration, NaiveDate};

#[derive(Default)]
pub(super) struct Header {
    pub(super) row: u32,
    /// Cells that start with a day name but whose date does not read in the template's order.
    pub(super) unreadable_days: usize,
    pub(super) employee_col: Option<u32>,
    /// Every employee-name column (two or more: weeks side by side, each with its names).
    pub(super) name_cols: Vec<u32>,
    pub(super) first_name_col: Option<u32>,
    pub(super) last_name_col: Option<u32>,
    pub(super) columns: Vec<(Field, u32)>,
    pub(super) days: Vec<(u32, DayHeader)>,
}

pub(super) fn parse_header(cells: &[Cell], t: &CompiledTemplate) -> Header {
    let order = t.def.values.date_order;
    let mut employee_col = None;
    let mut name_cols = Vec::new();
    let (mut first_name_col, mut last_name_col) = (None, None);
    let mut columns = Vec::new();
    let mut days = Vec::new();
    let mut unreadable_days = 0;
    for (i, c) in cells.iter().enumerate() {
        let i = i as u32;
        if let Some(f) = c.as_text().and_then(|s| t.field_of(s)) {
            if f.is_name() {
                employee_col.get_or_insert(i);
                if f == Field::EmployeeName {
                    name_cols.push(i);
                }
                if f == Field::FirstName {
                    first_name_col.get_or_insert(i);
                }
                if f == Field::LastName {
                    last_name_col.get_or_insert(i);
                }
            } else if !columns.iter().any(|(x, _)| *x == f) {
                columns.push((f, i));
            }
            continue;
        }
        if let Some(h) = dates::day_header(c, order) {
            days.push((i, h));
        } else if c.as_text().is_some_and(|s| {
            s.split_whitespace()
                .next()
                .is_some_and(|w| dates::weekday_word(w).is_some())
        }) {
            unreadable_days += 1;
        }
    }
    Header {
        row: 0,
        unreadable_days,
        employee_col,
        name_cols,
        first_name_col,
        last_name_col,
        columns,
        days,
    }
}

/// The week's anchor date (its first day) from the cells above `header_row`, or a week cell in
/// the header row itself (`Week of 11/24/2025` over the name column). A week given by its
/// end (`Week ending 11/30/2025`, `W/E 11/30`) anchors six days earlier.
///
/// `from` is the first row looked at: 0 for the sheet's first header, the row after the previous
/// header for a week stacked below another.
pub(super) fn week_anchor(
    sheet: &Sheet,
    from: u32,
    header_row: u32,
    t: &CompiledTemplate,
) -> Option<NaiveDate> {
    let order = t.def.values.date_order;
    let above: Vec<_> = sheet
        .rows()
        .iter()
        .skip_while(|r| r.index < from)
        .take_while(|r| r.index <= header_row)
        .collect();
    for source in &t.def.week.from {
        match source {
            WeekSource::HeaderDates => {}
            WeekSource::WeekOfCell => {
                for r in &above {
                    for (i, c) in r.cells.iter().enumerate() {
                        let Some(s) = c.as_text() else { continue };
                        let Some(m) = t.week_label_re.find(s) else {
                            continue;
                        };
                        let back = if ends_week(m.as_str()) { 6 } else { 0 };
                        let start = |d: NaiveDate| d - Duration::days(back);
                        let rest = s[m.end()..].trim().trim_start_matches([':', '-']).trim();
                        if let Some(d) = first_date_in(rest, order) {
                            return Some(start(d));
                        }
                        if r.index == header_row {
                            // In the header row only the cell's own date counts: the cells to
                            // the right are the day headers.
                            continue;
                        }
                        // The date in a cell to the right, or just below.
                        let right = r.cells[i + 1..].iter().find(|c| !c.is_empty());
                        if let Some(d) = right.and_then(|c| dates::cell_date(c, order)) {
                            return Some(start(d));
                        }
                        if let Some(d) = dates::cell_date(sheet.get(r.index + 1, i as u32), order) {
                            return Some(start(d));
                        }
                    }
                }
            }
            WeekSource::TitleDate => {
                for r in above.iter().filter(|r| r.index < header_row) {
                    for c in &r.cells {
                        let d = match c {
                            Cell::Text(s) => first_date_in(s, order),
                            other => dates::cell_date(other, order),
                        };
                        if d.is_some() {
                            return d;
                        }
                    }
                }
            }
        }
    }
    None
}

/// Whether a week label names the week's last day (`Week ending`, `W/E`, `Week end date`).
fn ends_week(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    l.contains("end") || l.starts_with("w/e") || l.contains("bis")
}

/// The first full date written in a text (`Schedule 11/24/2025 - 11/30/2025`).
pub(super) fn first_date_in(text: &str, order: dates::DateOrder) -> Option<NaiveDate> {
    if let Some(d) = dates::parse_date(text, order) {
        return Some(d);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for n in 0..words.len() {
        for len in [1usize, 3, 4] {
            if n + len <= words.len() {
                let w = words[n..n + len].join(" ");
                if let Some(d) = dates::parse_date(
                    w.trim_end_matches([',', '-', ')']).trim_start_matches('('),
                    order,
                ) {
                    return Some(d);
                }
            }
        }
    }
    None
}

/// Resolve every day column to a date.
pub(super) fn resolve_days(
    days: &[(u32, DayHeader)],
    anchor: Option<NaiveDate>,
    today: NaiveDate,
    use_header_dates: bool,
) -> Result<Vec<(u32, NaiveDate)>, String> {
    let mut out = Vec::new();
    let mut prev: Option<NaiveDate> = None;
    for (col, h) in days {
        let date = match (h.date.filter(|_| use_header_dates), h.weekday) {
            (Some(pd), wd) => {
                let near = prev.or(anchor);
                match (pd.full(), near, wd) {
                    (Some(d), _, _) => d,
                    (None, Some(near), _) => {
                        pd.nearest(near).ok_or("a header date does not exist")?
                    }
                    (None, None, Some(wd)) => year_by_weekday(pd, wd, today)
                        .ok_or("header dates have no year and no Week of cell gives one")?,
                    (None, None, None) => pd
                        .nearest(today)
                        .ok_or("header dates have no year and no Week of cell gives one")?,
                }
            }
            (None, Some(wd)) => {
                let base = match (prev, anchor) {
                    (Some(p), _) => p + Duration::days(1),
                    (None, Some(a)) => a,
                    (None, None) => {
                        return Err(
                            "day names without dates and no Week of date above the header".into(),
                        );
                    }
                };
                let shift =
                    (wd.num_days_from_monday() + 7 - base.weekday().num_days_from_monday()) % 7;
                base + Duration::days(shift as i64)
            }
            (None, None) => continue,
        };
        prev = Some(date);
        out.push((*col, date));
    }
    Ok(out)
}

/// A header of day names only (`Mon`, `Tue`, …) with their dates in the row just below, as
/// two-line headers are often typed: the dates are taken into the header, which then ends at
/// the date row (extraction starts below it).
pub(super) fn date_row_below(sheet: &Sheet, h: &mut Header, t: &CompiledTemplate) {
    if h.days.iter().any(|(_, d)| d.date.is_some()) {
        return;
    }
    let Some(next) = sheet.rows().iter().find(|r| r.index > h.row) else {
        return;
    };
    let below = parse_header(&next.cells, t);
    let dated: Vec<(u32, DayHeader)> = h
        .days
        .iter()
        .filter_map(|(c, name)| {
            let (_, d) = below.days.iter().find(|(x, _)| x == c)?;
            let date = d.date?;
            // A weekday below must agree with the one above.
            if d.weekday.is_some_and(|w| Some(w) != name.weekday) {
                return None;
            }
            Some((
                *c,
                DayHeader {
                    weekday: name.weekday,
                    date: Some(date),
                },
            ))
        })
        .collect();
    if dated.len() == h.days.len() {
        h.days = dated;
        h.row = next.index;
    }
}

/// The year (near today) in which a month/day falls on the header's weekday.
fn year_by_weekday(pd: PartialDate, wd: chrono::Weekday, today: NaiveDate) -> Option<NaiveDate> {
    (today.year() - 3..=today.year() + 1)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, pd.month, pd.day))
        .filter(|d| d.weekday() == wd)
        .min_by_key(|d| (*d - today).num_days().abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn day_names_take_the_week_of_date() {
        let days: Vec<(u32, DayHeader)> = [Weekday::Mon, Weekday::Tue, Weekday::Sun]
            .iter()
            .enumerate()
            .map(|(i, w)| {
                (
                    i as u32 + 1,
                    DayHeader {
                        weekday: Some(*w),
                        date: None,
                    },
                )
            })
            .collect();
        let got = resolve_days(&days, Some(d(2025, 11, 24)), d(2025, 1, 1), true).unwrap();
        assert_eq!(
            got,
            vec![
                (1, d(2025, 11, 24)),
                (2, d(2025, 11, 25)),
                (3, d(2025, 11, 30))
            ]
        );
        assert!(resolve_days(&days, None, d(2025, 1, 1), true).is_err());
    }

    #[test]
    fn header_dates_without_year_cross_new_year() {
        let mk = |m, day| {
            (
                0u32,
                DayHeader {
                    weekday: None,
                    date: Some(PartialDate {
                        month: m,
                        day,
                        year: None,
                    }),
                },
            )
        };
        let days = vec![mk(12, 30), mk(12, 31), mk(1, 1)];
        let got = resolve_days(&days, Some(d(2025, 12, 29)), d(2020, 1, 1), true).unwrap();
        assert_eq!(got[2].1, d(2026, 1, 1));
    }

    #[test]
    fn year_from_weekday_when_nothing_else_says() {
        let pd = PartialDate {
            month: 11,
            day: 24,
            year: None,
        };
        assert_eq!(
            year_by_weekday(pd, Weekday::Mon, d(2026, 3, 1)),
            Some(d(2025, 11, 24))
        );
    }

    #[test]
    fn title_dates() {
        assert_eq!(
            first_date_in("Schedule 11/24/2025 - 11/30/2025", dates::DateOrder::Mdy),
            Some(d(2025, 11, 24))
        );
        assert_eq!(
            first_date_in("Week of Nov 24, 2025", dates::DateOrder::Mdy),
            Some(d(2025, 11, 24))
        );
    }
}
