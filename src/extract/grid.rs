//! The grid layout: the weekly matrix with employees down the left and one column per day.
//!
//! The header row is the top row with an employee column and at least `week.min_days` day
//! headers (`Mon 11/24`, `Monday`, `11/24`, typed dates). Each day column gets a date from its
//! header, completed (year, or the whole date for day names only) by a `Week of` cell or a date
//! in the title. Rows below: section rows and totals are skipped by the template's rules; each
//! day cell is a no-shift word, empty, or one or more ranges in the one time grammar. A later
//! header row (a second week stacked below, or a header repeated on each PDF page) takes over
//! from where it stands.

use super::cells;
use super::dates::{self, DayHeader, PartialDate};
use super::names;
use super::store;
use super::timespec::{self, TimeRange};
use super::{Context, Extracted, Extraction, quote};
use crate::read::grid::{Cell, Sheet};
use crate::schedule::{Issue, Shift};
use crate::template::model::{Field, WeekSource};
use crate::template::set::CompiledTemplate;
use chrono::{Datelike, Duration, NaiveDate};
use smallvec::SmallVec;
use std::sync::Arc;

/// Where a grid layout was found on one sheet.
#[derive(Debug, Clone)]
pub struct GridLayout {
    pub sheet: usize,
    pub header_row: u32,
    pub employee_col: u32,
    /// Separate first- and last-name columns, when the header has both: the name is joined
    /// from them.
    pub name_parts: Option<(u32, u32)>,
    /// Other mapped columns (position, phone, notes, store).
    pub columns: Vec<(Field, u32)>,
    /// `(column, date)` of each day column.
    pub days: Vec<(u32, NaiveDate)>,
    /// The week's anchor (`Week of` date) when one was found.
    pub week_of: Option<NaiveDate>,
    /// The day headers give neither a year nor a weekday and no `Week of` date does: the
    /// dates nearest today were taken, and the operator is warned.
    pub year_guessed: bool,
    pub score: i64,
}

#[derive(Default)]
struct Header {
    row: u32,
    /// Cells that start with a day name but whose date does not read in the template's order.
    unreadable_days: usize,
    employee_col: Option<u32>,
    first_name_col: Option<u32>,
    last_name_col: Option<u32>,
    columns: Vec<(Field, u32)>,
    days: Vec<(u32, DayHeader)>,
}

fn parse_header(cells: &[Cell], t: &CompiledTemplate) -> Header {
    let order = t.def.values.date_order;
    let mut employee_col = None;
    let (mut first_name_col, mut last_name_col) = (None, None);
    let mut columns = Vec::new();
    let mut days = Vec::new();
    let mut unreadable_days = 0;
    for (i, c) in cells.iter().enumerate() {
        let i = i as u32;
        if let Some(f) = c.as_text().and_then(|s| t.field_of(s)) {
            if f.is_name() {
                employee_col.get_or_insert(i);
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
        first_name_col,
        last_name_col,
        columns,
        days,
    }
}

/// The week's anchor date (its first day) from the cells above `header_row`, or a week cell in
/// the header row itself (`Week of 11/24/2025` over the name column). A week given by its
/// end (`Week ending 11/30/2025`, `W/E 11/30`) anchors six days earlier.
fn week_anchor(sheet: &Sheet, header_row: u32, t: &CompiledTemplate) -> Option<NaiveDate> {
    let order = t.def.values.date_order;
    let above: Vec<_> = sheet
        .rows()
        .iter()
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
fn first_date_in(text: &str, order: dates::DateOrder) -> Option<NaiveDate> {
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
fn resolve_days(
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
fn date_row_below(sheet: &Sheet, h: &mut Header, t: &CompiledTemplate) {
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

/// Find the grid header on a sheet.
pub fn locate(
    sheet: &Sheet,
    index: usize,
    t: &CompiledTemplate,
    today: NaiveDate,
) -> Result<GridLayout, String> {
    let min_days = t.def.week.min_days.max(1);
    let mut found: Option<Header> = None;
    for row in sheet
        .rows()
        .iter()
        .take(t.def.values.header_search_rows as usize)
    {
        let mut h = parse_header(&row.cells, t);
        h.row = row.index;
        if h.days.len() >= min_days && found.as_ref().is_none_or(|f| h.days.len() > f.days.len()) {
            found = Some(h);
        }
    }
    let Some(mut h) = found else {
        return Err(format!(
            "no header row with {min_days} or more day columns (e.g. Mon 11/24, dates, or day names)"
        ));
    };
    let first_day = h.days.iter().map(|(c, _)| *c).min().unwrap_or(0);
    let (employee_col, fallback) = match h.employee_col {
        Some(c) => (c, false),
        None if first_day > 0 => (0, true),
        None => return Err(format!("header row {} has no employee column", h.row + 1)),
    };
    for sig in &t.signature {
        let found = sheet.row(h.row).iter().any(|c| {
            c.as_text()
                .is_some_and(|s| crate::template::set::norm_key(s) == *sig)
        });
        if !found {
            return Err(format!("header signature {sig:?} not in the header row"));
        }
    }
    date_row_below(sheet, &mut h, t);
    if h.unreadable_days > 0 {
        return Err(format!(
            "{} day header(s) in row {} do not read as dates in {:?} order",
            h.unreadable_days,
            h.row + 1,
            t.def.values.date_order
        ));
    }
    let week_of = week_anchor(sheet, h.row, t);
    let use_header_dates = t.def.week.from.contains(&WeekSource::HeaderDates);
    let days = resolve_days(&h.days, week_of, today, use_header_dates)?;
    let year_guessed = use_header_dates
        && week_of.is_none()
        && h.days.first().is_some_and(|(_, d)| {
            d.weekday.is_none() && d.date.is_some_and(|pd| pd.year.is_none())
        });
    // A header that names the weekday must agree with its date (else the date order is wrong).
    let mismatched = h
        .days
        .iter()
        .filter(|(_, dh)| dh.date.is_some() && use_header_dates)
        .filter_map(|(c, dh)| {
            let wd = dh.weekday?;
            let (_, d) = days.iter().find(|(x, _)| x == c)?;
            (d.weekday() != wd).then_some(())
        })
        .count();
    if mismatched > 0 {
        return Err(format!(
            "{mismatched} day header(s) in row {} name a weekday that does not match their date in {:?} order",
            h.row + 1,
            t.def.values.date_order
        ));
    }
    if days.len() < min_days {
        return Err(format!(
            "header row {} has too few dated day columns",
            h.row + 1
        ));
    }
    let score =
        10 * (1 + h.columns.len() as i64) + 3 * days.len() as i64 - if fallback { 5 } else { 0 };
    Ok(GridLayout {
        sheet: index,
        header_row: h.row,
        employee_col,
        name_parts: h.first_name_col.zip(h.last_name_col),
        year_guessed,
        columns: h.columns,
        days,
        week_of,
        score,
    })
}

/// Extract shifts from the rows below the header.
pub fn extract(
    sheet: &Sheet,
    l: &GridLayout,
    ctx: &Context<'_>,
    limit: Option<usize>,
    out: &mut Extraction,
) {
    let t = ctx.template;
    let sheet_store = ctx
        .store_override
        .or_else(|| store::sheet_store(sheet, l.header_row, ctx.file_name, t))
        .or(ctx.store_fallback);
    let col = |f: Field| l.columns.iter().find(|(x, _)| *x == f).map(|(_, c)| *c);
    let min_days = t.def.week.min_days.max(1);
    let mut days = l.days.clone();
    let mut week_start = days.iter().map(|(_, d)| *d).min();
    if out.week.is_none() {
        out.week = l.week_of.or(week_start);
    }
    if l.year_guessed
        && limit.is_none()
        && let (Some(start), Some((col, _))) = (week_start, l.days.first())
    {
        out.issues.push(Issue::warning(
            "year_guessed",
            Some(sheet.cell_ref(l.header_row, *col)),
            format!(
                "the day headers give no year and no Week of date does: read as the week of {start}, the nearest to today; add a Week of date if that is wrong"
            ),
        ));
    }
    let mut seen = 0usize;
    let mut no_store_reported = false;
    if limit.is_none() {
        // About one shift per day cell: grow once, not a doubling at a time.
        out.shifts.reserve(sheet.rows().len() * days.len());
    }
    for row in sheet.rows().iter().filter(|r| r.index > l.header_row) {
        if limit.is_some_and(|n| seen >= n) {
            break;
        }
        let get = |c: u32| row.cells.get(c as usize).unwrap_or(&Cell::Empty);
        // A header row again: a repeated page header, or the next week stacked below. (Cheap
        // test first: the first day column holds a day header.)
        let first_day_col = days.first().map(|(c, _)| *c).unwrap_or(0);
        let maybe_header = dates::day_header(get(first_day_col), t.def.values.date_order).is_some();
        let h = if maybe_header {
            parse_header(&row.cells, t)
        } else {
            Header::default()
        };
        if h.days.len() >= min_days {
            if let Ok(next) = resolve_days(&h.days, week_start, ctx.today, true)
                && next.len() >= min_days
            {
                days = next;
                week_start = days.iter().map(|(_, d)| *d).min();
            }
            continue;
        }
        let name_cell = get(l.employee_col);
        let name_text = cells::text(name_cell);
        let label = match &name_text {
            Some(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
            None => super::rows::section_label(row).map(std::borrow::Cow::Owned),
        };
        if label.as_deref().is_some_and(|s| t.is_skip_row(s)) {
            continue;
        }
        let day_cells: SmallVec<[(u32, NaiveDate, &Cell); 8]> = days
            .iter()
            .map(|(c, d)| (*c, *d, get(*c)))
            .filter(|(_, _, c)| !c.is_empty())
            .collect();
        if day_cells.is_empty() {
            // A section title, or an employee with no shifts this week.
            continue;
        }
        seen += 1;
        out.rows_read += 1;
        let name: Option<Arc<str>> = match l.name_parts {
            Some((first, last)) => names::join_name(
                cells::text(get(first)).as_deref(),
                cells::text(get(last)).as_deref(),
            ),
            None => name_text.as_deref().and_then(names::display_name),
        }
        .map(Arc::from);
        let store_number = ctx.store_override.or_else(|| {
            col(Field::StoreNumber)
                .and_then(|c| store::from_cell(get(c), &t.store_re))
                .or(sheet_store)
        });
        let position = col(Field::Position)
            .and_then(|c| cells::text(get(c)))
            .map(|s| Arc::from(names::collapse(&s)));
        let notes = col(Field::Notes)
            .and_then(|c| cells::text(get(c)))
            .map(|s| names::collapse(&s));
        let phone = col(Field::EmployeePhone)
            .and_then(|c| cells::text(get(c)))
            .and_then(|s| names::phone_text(&s));
        let mut row_rejected = false;
        // First read every day cell, then complete a clipped one from the row's total.
        let mut parsed: SmallVec<[ParsedDay; 8]> = SmallVec::new();
        let mut clipped: Option<(usize, String)> = None;
        for (c, date, cell) in day_cells {
            let cref = || sheet.cell_ref(row.index, c);
            let got = match cell {
                Cell::Text(s) if t.is_no_shift(s) => continue,
                Cell::Text(s) => timespec::parse_with_note(s).map_err(|e| {
                    if timespec::parse_clipped(s).is_some() {
                        clipped = Some((parsed.len(), s.clone()));
                    }
                    Issue::error(
                        "unreadable_time",
                        Some(cref()),
                        format!("cannot read the shift {}: {e}", quote(s)),
                    )
                }),
                other => Err(Issue::error(
                    "unreadable_time",
                    Some(cref()),
                    format!(
                        "a {} cell where a shift was expected (write it like 9a-5:30p)",
                        other.kind()
                    ),
                )),
            };
            parsed.push((c, date, got));
        }
        let failures = parsed.iter().filter(|(_, _, r)| r.is_err()).count();
        if let (1, Some((at, text))) = (failures, &clipped) {
            let total = col(Field::TotalHours).and_then(|c| hours_of(get(c)));
            let others: i64 = parsed
                .iter()
                .filter_map(|(_, _, r)| r.as_ref().ok())
                .flat_map(|(rs, _)| rs)
                .map(|r| r.minutes() as i64)
                .sum();
            if let Some(done) = total.and_then(|total| {
                complete_clipped(text, total - others, t.def.limits.max_shift_hours)
            }) {
                let (c, _, _) = parsed[*at];
                out.issues.push(Issue::warning(
                    "clipped_shift_completed",
                    Some(sheet.cell_ref(row.index, c)),
                    "the shift text is cut off (as printed to PDF); its end was completed from the row's total hours: check it",
                ));
                parsed[*at].2 = Ok((done, None));
            }
        }
        for (c, date, got) in parsed {
            let cref = sheet.cell_ref(row.index, c);
            let (ranges, cell_note) = match got {
                Ok(x) => x,
                Err(issue) => {
                    out.issues.push(issue);
                    row_rejected = true;
                    continue;
                }
            };
            let Some(name) = name.clone() else {
                out.issues.push(Issue::error(
                    "missing_employee",
                    Some(sheet.cell_ref(row.index, l.employee_col)),
                    "a row with shifts has no employee name: fill in who works them",
                ));
                row_rejected = true;
                break;
            };
            let Some(store_number) = store_number else {
                if !no_store_reported {
                    no_store_reported = true;
                    out.issues.push(Issue::error(
                        "missing_store",
                        Some(sheet.cell_ref(row.index, l.employee_col)),
                        "no store number: add a title such as \"Store 1042\" above the grid, name the sheet after the store, or give the store when importing",
                    ));
                }
                row_rejected = true;
                break;
            };
            for r in ranges {
                out.shifts.push(Extracted {
                    shift: Shift {
                        store_number,
                        employee_name: name.clone(),
                        employee_phone: phone.clone(),
                        date,
                        start: r.start,
                        end: r.end,
                        position: position.clone(),
                        notes: cell_note.clone().or_else(|| notes.clone()),
                        source: cref.clone(),
                    },
                    minutes: r.minutes() as i64,
                });
            }
        }
        if row_rejected {
            out.rows_rejected += 1;
        }
    }
}

/// The shifts of one day cell and the note written beside them.
type Cellshifts = (timespec::Ranges, Option<String>);

/// A day cell read: its column, date, and shifts or the issue that rejects it.
type ParsedDay = (u32, NaiveDate, Result<Cellshifts, Issue>);

/// Hours from a totals cell (`42`, `45.5`, `"45.5"`) in minutes.
fn hours_of(cell: &Cell) -> Option<i64> {
    let h = match cell {
        Cell::Number(n) => *n,
        Cell::Text(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (h.is_finite() && h > 0.0 && h < 24.0 * 7.0).then(|| (h * 60.0).round() as i64)
}

/// Complete a clipped split shift (`8:00 AM-12:00 PM, 1:0`) whose missing part is
/// `missing` minutes long: the head as written, then the cut-off start and its length.
fn complete_clipped(text: &str, missing: i64, max_hours: f64) -> Option<timespec::Ranges> {
    if missing <= 0 || missing as f64 > max_hours * 60.0 {
        return None;
    }
    let (mut head, start) = timespec::parse_clipped(text)?;
    let missing = missing - head.iter().map(|r| r.minutes() as i64).sum::<i64>();
    if missing <= 0 {
        return None;
    }
    let end = start + chrono::Duration::minutes(missing);
    head.push(TimeRange { start, end });
    Some(head)
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
