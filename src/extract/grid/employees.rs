//! A row of the employees-down grid (weekly, monthly, In/Out pairs): the employee, then each
//! day's shifts. A clipped split shift (cut off when printed to PDF) is completed from the
//! row's total hours. In an In/Out grid, a row with a blank name right under an employee's
//! row holds that employee's second shift of the day.

use super::super::{cells, rows};
use super::build::{Builder, Who, get};
use super::cell::{self, DayRead};
use super::{Block, Day};
use crate::read::grid::{Cell, Row};
use crate::schedule::Issue;
use crate::template::model::Field;
use crate::values::timespec::{self, TimeRange};
use smallvec::SmallVec;

/// A day of a row read: the day, a warning about it, and its shifts (or the issue).
type ParsedDay = (Day, Option<Issue>, Result<cell::Cellshifts, Issue>);

impl Builder<'_> {
    /// Read one employee row of one block: `None` when it is no data row (a section or totals
    /// row, no day filled), else whether it was read without error.
    pub(super) fn employee_row(
        &mut self,
        row: &Row,
        block: &Block,
        carry: &mut Option<(u32, Who)>,
        out: &mut super::Extraction,
    ) -> Option<bool> {
        let t = self.ctx.template;
        let name_text = cells::text(get(row, block.employee_col));
        let label = match &name_text {
            Some(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
            None => rows::section_label(row).map(std::borrow::Cow::Owned),
        };
        if label
            .as_deref()
            .is_some_and(|s| t.is_skip_row(s) || cell::is_totals_label(s))
        {
            *carry = None;
            return None;
        }
        let above = carry.take();
        let parsed = self.read_days(row, block);
        if parsed.is_empty() {
            // A section title, or an employee with no shifts this week.
            return None;
        }
        let paired = is_paired(block);
        // An `Open Shifts` row (When I Work, Homebase): nobody is assigned, nothing imported.
        let open = name_text.as_deref().is_some_and(|n| t.is_open_shift(n));
        let who = match (&name_text, above) {
            (Some(_), _) => self.who(row, block),
            // The second row of an In/Out grid's split shift: the employee of the row above.
            (None, Some((r, w))) if r + 1 == row.index && paired => w,
            (None, _) => Who::default(),
        };
        if paired && who.name.is_some() && !open {
            *carry = Some((row.index, who.clone()));
        }
        let sheet = self.sheet;
        let mut ok = true;
        for (day, warning, got) in parsed {
            out.issues.extend(warning);
            let source = sheet.cell_ref(row.index, day.col);
            let shifts = match got {
                Ok(x) => x,
                Err(issue) => {
                    out.issues.push(issue);
                    ok = false;
                    continue;
                }
            };
            if open {
                out.issues.push(super::build::open_shift(source));
                continue;
            }
            let name_ref = || sheet.cell_ref(row.index, block.employee_col);
            if !self.push(&who, day.date, shifts, source, name_ref, out) {
                ok = false;
                break;
            }
        }
        Some(ok)
    }

    /// Every filled day of a row read, a clipped cell completed from the row's total.
    fn read_days(&self, row: &Row, block: &Block) -> SmallVec<[ParsedDay; 8]> {
        let t = self.ctx.template;
        let legend = &self.layout.legend;
        let mut parsed: SmallVec<[ParsedDay; 8]> = SmallVec::new();
        let mut clipped: Option<(usize, String)> = None;
        for day in &block.days {
            let cref = || self.sheet.cell_ref(row.index, day.col);
            let start = get(row, day.col);
            let read: DayRead = match day.end_col {
                Some(end_col) => {
                    let end_ref = || self.sheet.cell_ref(row.index, end_col);
                    cell::read_pair(start, get(row, end_col), t, legend, cref, end_ref)
                }
                None => cell::read_day(start, t, legend, cref),
            };
            let Some(got) = read else { continue };
            if got.is_err()
                && let Cell::Text(s) = start
                && timespec::parse_clipped(s).is_some()
            {
                clipped = Some((parsed.len(), s.clone()));
            }
            parsed.push((*day, None, got));
        }
        let failures = parsed.iter().filter(|(_, _, r)| r.is_err()).count();
        if let (1, Some((at, text))) = (failures, &clipped) {
            self.complete_clipped_cell(row, &mut parsed, *at, text);
        }
        parsed
    }

    fn complete_clipped_cell(
        &self,
        row: &Row,
        parsed: &mut SmallVec<[ParsedDay; 8]>,
        at: usize,
        text: &str,
    ) {
        let t = self.ctx.template;
        let total = self
            .col(Field::TotalHours)
            .and_then(|c| hours_of(get(row, c)));
        let others: i64 = parsed
            .iter()
            .filter_map(|(_, _, r)| r.as_ref().ok())
            .flat_map(|(rs, _)| rs)
            .map(|r| r.minutes() as i64)
            .sum();
        if let Some(done) = total
            .and_then(|total| complete_clipped(text, total - others, t.def.limits.max_shift_hours))
        {
            let col = parsed[at].0.col;
            parsed[at].1 = Some(Issue::warning(
                "clipped_shift_completed",
                Some(self.sheet.cell_ref(row.index, col)),
                "the shift text is cut off (as printed to PDF); its end was completed from the row's total hours: check it",
            ));
            parsed[at].2 = Ok((done, None));
        }
    }
}

fn is_paired(block: &Block) -> bool {
    block.days.iter().any(|d| d.end_col.is_some())
}

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
