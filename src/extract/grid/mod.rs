//! The grid layouts: one column per day across, and down the left either the employees (the
//! weekly matrix, a monthly roster) or the shift slots (names in the cells).
//!
//! `locate` finds the day header on a sheet and then what shape the grid has:
//! - [`header`]: the week header (`Mon 11/24`, typed dates, day names with a `Week of` cell or
//!   a row of dates below); [`monthly`]: a month's day numbers (`1.` … `31.`) under weekday
//!   names with the month and year in the title.
//! - [`pairs`]: In/Out (Start/End) sub-columns under each (merged) day header.
//! - several name columns in the header: weeks side by side, each block with its own names.
//! - [`slots`]: shift times down the side and names in the cells.
//! - [`legend`]: shift codes (`F`, `S`, `N`, `1`) and their times, from a legend on the sheet.
//!
//! `extract` walks the rows below. Each day cell is read by [`cell`] (a code, a no-shift word,
//! one or more ranges, a multi-line cell), and every shift is made by the one builder in
//! [`build`]. A later header row (a second week stacked below, a header repeated on each PDF
//! page) takes over from where it stands; totals rows and legend rows are never read as shifts.

mod build;
mod cell;
mod employees;
mod header;
mod legend;
mod monthly;
mod pairs;
mod slots;

use super::{Context, Extraction};
use crate::read::grid::{Row, Sheet};
use crate::schedule::Issue;
use crate::template::model::{Field, WeekSource};
use crate::template::set::CompiledTemplate;
use crate::values::dates;
use build::{Builder, Who};
use chrono::NaiveDate;
use header::Header;
pub use legend::Legend;
use smallvec::SmallVec;

/// One day column (or In/Out column pair) of a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// The day's column (its In/Start column when the day has sub-columns).
    pub col: u32,
    pub date: NaiveDate,
    /// The Out/End column when the day is split into In and Out sub-columns.
    pub end_col: Option<u32>,
}

/// The employees and days of one block of a grid (weeks side by side are several blocks).
#[derive(Debug, Clone)]
pub struct Block {
    pub employee_col: u32,
    /// Separate first- and last-name columns, when the header has both: the name is joined
    /// from them.
    pub name_parts: Option<(u32, u32)>,
    pub days: Vec<Day>,
}

/// What stands down the left of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Employees down the left, shifts in the cells.
    Employees,
    /// Shift times down the left (`7:00-15:00`, `Früh 6-14`), names in the cells.
    Slots,
}

/// Where a grid layout was found on one sheet.
#[derive(Debug, Clone)]
pub struct GridLayout {
    pub sheet: usize,
    /// The last header row (a day row, its In/Out or date row below): data starts below it.
    pub header_row: u32,
    pub blocks: Vec<Block>,
    /// Other mapped columns (position, phone, notes, store, total hours).
    pub columns: Vec<(Field, u32)>,
    /// The week's anchor (`Week of` date) when one was found.
    pub week_of: Option<NaiveDate>,
    /// The day headers give neither a year nor a weekday and no `Week of` date does: the
    /// dates nearest today were taken, and the operator is warned.
    pub year_guessed: bool,
    pub kind: Kind,
    /// Shift codes found on the sheet.
    pub legend: Legend,
    pub score: i64,
}

impl GridLayout {
    fn first_block(&self) -> &Block {
        &self.blocks[0]
    }
}

/// A day header found by one of the header readers, before the grid's shape is known.
struct Found {
    header: Header,
    /// `(column, date)` of each day column.
    days: Vec<(u32, NaiveDate)>,
    week_of: Option<NaiveDate>,
    year_guessed: bool,
    /// Added to the score: a monthly roster's day numbers are a strong sign.
    bonus: i64,
}

/// Find the grid header on a sheet and the grid's shape.
pub fn locate(
    sheet: &Sheet,
    index: usize,
    t: &CompiledTemplate,
    today: NaiveDate,
) -> Result<GridLayout, String> {
    let mut found = match monthly::locate(sheet, t, today) {
        Some(m) => m?,
        None => week_header(sheet, t, today)?,
    };
    let sub = pairs::sub_header(sheet, &found, t);
    if let Some(sub) = &sub {
        found.header.row = sub.row;
        if found.header.employee_col.is_none() {
            found.header.employee_col = sub.employee_col;
            found.header.name_cols.extend(sub.employee_col);
        }
    }
    let h = &found.header;
    let first_day = found.days.iter().map(|(c, _)| *c).min().unwrap_or(0);
    let (employee_col, fallback) = match h.employee_col {
        Some(c) => (c, false),
        None if first_day > 0 => (0, true),
        None => return Err(format!("header row {} has no employee column", h.row + 1)),
    };
    let days: Vec<Day> = match &sub {
        Some(sub) => pairs::pair_days(&found.days, &sub.pairs),
        None => found
            .days
            .iter()
            .map(|(col, date)| Day {
                col: *col,
                date: *date,
                end_col: None,
            })
            .collect(),
    };
    let min_days = t.def.week.min_days.max(1);
    if days.len() < min_days {
        return Err(format!(
            "header row {} has too few dated day columns",
            h.row + 1
        ));
    }
    let blocks = split_blocks(h, employee_col, days);
    let legend = Legend::find(sheet, t);
    let kind = if slots::looks_like_slots(sheet, h.row, &blocks[0], t, &legend) {
        Kind::Slots
    } else {
        Kind::Employees
    };
    let ndays: usize = blocks.iter().map(|b| b.days.len()).sum();
    let score = 10 * (1 + h.columns.len() as i64) + 3 * ndays as i64 + found.bonus
        - if fallback { 5 } else { 0 };
    let header_row = h.row;
    Ok(GridLayout {
        sheet: index,
        header_row,
        blocks,
        columns: found.header.columns,
        week_of: found.week_of,
        year_guessed: found.year_guessed,
        kind,
        legend,
        score,
    })
}

/// The weekly header: the row with the most day headers in the first rows.
fn week_header(sheet: &Sheet, t: &CompiledTemplate, today: NaiveDate) -> Result<Found, String> {
    let min_days = t.def.week.min_days.max(1);
    let mut found: Option<Header> = None;
    for row in sheet
        .rows()
        .iter()
        .take(t.def.values.header_search_rows as usize)
    {
        let mut h = header::parse_header(&row.cells, t);
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
    for sig in &t.signature {
        let found = sheet.row(h.row).iter().any(|c| {
            c.as_text()
                .is_some_and(|s| crate::template::set::norm_key(s) == *sig)
        });
        if !found {
            return Err(format!("header signature {sig:?} not in the header row"));
        }
    }
    header::date_row_below(sheet, &mut h, t);
    // A day header merged over its In/Out sub-columns is copied into each of them: one day.
    h.days
        .dedup_by(|later, kept| later.1 == kept.1 && later.0 <= kept.0 + 3);
    if h.unreadable_days > 0 {
        return Err(format!(
            "{} day header(s) in row {} do not read as dates in {:?} order",
            h.unreadable_days,
            h.row + 1,
            t.def.values.date_order
        ));
    }
    let week_of = header::week_anchor(sheet, 0, h.row, t);
    let use_header_dates = t.def.week.from.contains(&WeekSource::HeaderDates);
    let days = header::resolve_days(&h.days, week_of, today, use_header_dates)?;
    let year_guessed = use_header_dates
        && week_of.is_none()
        && h.days.first().is_some_and(|(_, d)| {
            d.weekday.is_none() && d.date.is_some_and(|pd| pd.year.is_none())
        });
    check_weekdays(&h, &days, use_header_dates, t)?;
    if days.len() < min_days {
        return Err(format!(
            "header row {} has too few dated day columns",
            h.row + 1
        ));
    }
    Ok(Found {
        header: h,
        days,
        week_of,
        year_guessed,
        bonus: 0,
    })
}

/// A header that names the weekday must agree with its date (else the date order is wrong).
fn check_weekdays(
    h: &Header,
    days: &[(u32, NaiveDate)],
    use_header_dates: bool,
    t: &CompiledTemplate,
) -> Result<(), String> {
    use chrono::Datelike;
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
    Ok(())
}

/// One block per employee-name column when the header has several, each with the days to its
/// right up to the next (weeks side by side); else one block.
fn split_blocks(h: &Header, employee_col: u32, days: Vec<Day>) -> Vec<Block> {
    let name_parts = h.first_name_col.zip(h.last_name_col);
    let mut cols: Vec<u32> = h.name_cols.clone();
    cols.sort_unstable();
    cols.dedup();
    let owns_days = |c: &u32| days.iter().any(|d| d.col > *c);
    if cols.len() < 2 || !cols.iter().all(owns_days) {
        return vec![Block {
            employee_col,
            name_parts,
            days,
        }];
    }
    let mut blocks: Vec<Block> = cols
        .iter()
        .map(|c| Block {
            employee_col: *c,
            name_parts: None,
            days: Vec::new(),
        })
        .collect();
    for d in days {
        // Days left of the first name column belong to it too.
        let i = cols.iter().rposition(|c| *c < d.col).unwrap_or(0);
        blocks[i].days.push(d);
    }
    blocks.retain(|b| !b.days.is_empty());
    blocks
}

/// Whether a row is a header again (a repeated page header, or the next week stacked below):
/// its new dates by column, or `None`.
fn header_again(
    sheet: &Sheet,
    row: &Row,
    l: &GridLayout,
    prev_header: u32,
    week_start: Option<NaiveDate>,
    ctx: &Context<'_>,
) -> Option<Vec<(u32, NaiveDate)>> {
    let t = ctx.template;
    let min_days = t.def.week.min_days.max(1);
    let first_day_col = l.first_block().days.first().map(|d| d.col).unwrap_or(0);
    // Cheap test first: the first day column holds a day header.
    let first = row.cells.get(first_day_col as usize)?;
    dates::day_header(first, t.def.values.date_order)?;
    let h = header::parse_header(&row.cells, t);
    if h.days.len() < min_days {
        return None;
    }
    // A new week's own `Week of` cell between the two headers, else the dates as they stand.
    let anchor = header::week_anchor(sheet, prev_header + 1, row.index, t).or(week_start);
    let next = header::resolve_days(&h.days, anchor, ctx.today, true).ok()?;
    (next.len() >= min_days).then_some(next)
}

/// The dates of a header row read again, given to the layout's day columns (an In/Out pair
/// takes the date of the day header over its In column, or the nearest to its left).
fn redate(blocks: &mut [Block], next: &[(u32, NaiveDate)]) {
    for b in blocks {
        for d in &mut b.days {
            if let Some((_, date)) = next.iter().rev().find(|(c, _)| *c <= d.col) {
                d.date = *date;
            }
        }
    }
}

/// Extract shifts from the rows below the header.
pub fn extract(
    sheet: &Sheet,
    l: &GridLayout,
    ctx: &Context<'_>,
    limit: Option<usize>,
    out: &mut Extraction,
) {
    let mut blocks = l.blocks.clone();
    let mut week_start = blocks.iter().flat_map(|b| &b.days).map(|d| d.date).min();
    if out.week.is_none() {
        out.week = l.week_of.or(week_start);
    }
    let last = l.blocks.iter().flat_map(|b| &b.days).map(|d| d.date).max();
    out.last_day = out.last_day.max(last);
    if l.year_guessed
        && limit.is_none()
        && let Some(start) = week_start
    {
        let col = l.first_block().days.first().map(|d| d.col).unwrap_or(0);
        out.issues.push(Issue::warning(
            "year_guessed",
            Some(sheet.cell_ref(l.header_row, col)),
            format!(
                "the day headers give no year and no Week of date does: read as the week of {start}, the nearest to today; add a Week of date if that is wrong"
            ),
        ));
    }
    if limit.is_none() {
        // About one shift per day cell: grow once, not a doubling at a time.
        let ndays: usize = blocks.iter().map(|b| b.days.len()).sum();
        out.shifts.reserve(sheet.rows().len() * ndays);
    }
    let first_day_col = blocks
        .iter()
        .flat_map(|b| &b.days)
        .map(|d| d.col)
        .min()
        .unwrap_or(0);
    let mut b = Builder::new(sheet, l, ctx);
    let mut seen = 0usize;
    let mut prev_header = l.header_row;
    // The last named row of each block, for a split shift's second row with a blank name.
    let mut carry: SmallVec<[Option<(u32, Who)>; 2]> = SmallVec::from_elem(None, blocks.len());
    for row in sheet.rows().iter().filter(|r| r.index > l.header_row) {
        if limit.is_some_and(|n| seen >= n) {
            break;
        }
        if let Some(next) = header_again(sheet, row, l, prev_header, week_start, ctx) {
            redate(&mut blocks, &next);
            week_start = blocks.iter().flat_map(|b| &b.days).map(|d| d.date).min();
            let last = blocks.iter().flat_map(|b| &b.days).map(|d| d.date).max();
            out.last_day = out.last_day.max(last);
            prev_header = row.index;
            continue;
        }
        let legend_row = l.kind == Kind::Employees && l.legend.holds_row(row.index, first_day_col);
        if legend_row || pairs::is_sub_header_row(row, &blocks) {
            continue;
        }
        let (mut read, mut rejected) = (false, false);
        for (i, block) in blocks.iter().enumerate() {
            let got = match l.kind {
                Kind::Employees => b.employee_row(row, block, &mut carry[i], out),
                Kind::Slots => b.slot_row(row, block, out),
            };
            read |= got.is_some();
            rejected |= got == Some(false);
        }
        if read {
            seen += 1;
            out.rows_read += 1;
            out.rows_rejected += usize::from(rejected);
        }
    }
}
