//! Validation: turns extracted shifts into accepted shifts and row issues with cell references.
//!
//! Checks (errors reject the shift, warnings keep it):
//! - `end_equals_start` (error): a shift of no length;
//! - `shift_too_long` (error): longer than the template's `limits.max_shift_hours` (16 h);
//! - `duplicate_shift` (error): the same employee, day, start and end twice — the second is
//!   rejected, the message points at the first;
//! - `overlapping_shift` (warning): one employee's shifts on one day overlap;
//! - `date_far_from_week` (warning, or error past `limits.far_date_error_days`): a date
//!   apart from the file's other dates (a mistyped year or month); the tails of a long,
//!   continuous export are not far (see `DateCheck`).
//!
//! Length problems point at the start-time cell and date problems at the date cell when the
//! layout has them in their own columns (`Extracted::time_col`, `date_col`).
//!
//! An employee is a name at a store: the same name at two stores is two people, and two rows
//! of one name whose phone numbers differ are two people too (see [`same_person`]).
//!
//! Messages never quote names or phones. Store and contact resolution against the database
//! happens in the import writer, not here.

use crate::extract::Extracted;
use crate::read::grid::CellRef;
use crate::schedule::{Issue, Shift};
use crate::template::model::Limits;
use arcstr::ArcStr;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The result of validation: accepted shifts and the issues found.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    pub shifts: Vec<Shift>,
    pub issues: Vec<Issue>,
}

/// Where the file's dates lie, to tell an isolated outlier (a mistyped year: 2052 among 2025
/// dates) from the tails of a long export (six months of consecutive days).
///
/// The distinct shift dates (and the stated week's seven days) are split wherever two
/// neighbours are `far_date_warning_days` or more apart. The *core* is the run holding the
/// stated week, else the median shift date; the *body* is the run around the core split only
/// at gaps of `far_date_error_days`. A date outside the core gets a warning; outside the body
/// (so at least `far_date_error_days` from any date of the core) it is rejected.
struct DateCheck {
    /// First and last date of the core.
    core: (NaiveDate, NaiveDate),
    /// First and last date of the body.
    body: (NaiveDate, NaiveDate),
}

impl DateCheck {
    /// `last_day`: the last day the layout's headers cover when that is past the week (several
    /// weeks, a month): the days from `week` to it are all the file's own.
    fn new(
        week: Option<NaiveDate>,
        last_day: Option<NaiveDate>,
        shifts: &[Extracted],
        limits: &Limits,
    ) -> Option<DateCheck> {
        let mut counts: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        let mut last = None;
        let mut run = 0usize;
        for s in shifts {
            // Shifts come in runs of one date (rows exports) or one row of a week (grids).
            if last != Some(s.shift.date) {
                if let Some(d) = last {
                    *counts.entry(d).or_default() += run;
                }
                last = Some(s.shift.date);
                run = 0;
            }
            run += 1;
        }
        if let Some(d) = last {
            *counts.entry(d).or_default() += run;
        }
        let anchor = match week {
            Some(w) => {
                let end = last_day.unwrap_or(w).max(w + chrono::Duration::days(6));
                for d in w.iter_days().take_while(|d| *d <= end) {
                    counts.entry(d).or_default();
                }
                w
            }
            None => {
                let half = shifts.len() / 2;
                let mut seen = 0;
                *counts
                    .iter()
                    .find(|(_, n)| {
                        seen += **n;
                        seen > half
                    })?
                    .0
            }
        };
        let dates: Vec<NaiveDate> = counts.into_keys().collect();
        let at = dates.binary_search(&anchor).ok()?;
        let run_around = |from: usize, to: usize, gap: i64| {
            let near = |a: NaiveDate, b: NaiveDate| (b - a).num_days() < gap;
            let mut lo = from;
            while lo > 0 && near(dates[lo - 1], dates[lo]) {
                lo -= 1;
            }
            let mut hi = to;
            while hi + 1 < dates.len() && near(dates[hi], dates[hi + 1]) {
                hi += 1;
            }
            (lo, hi)
        };
        let (c0, c1) = run_around(at, at, limits.far_date_warning_days);
        let (b0, b1) = run_around(c0, c1, limits.far_date_error_days);
        Some(DateCheck {
            core: (dates[c0], dates[c1]),
            body: (dates[b0], dates[b1]),
        })
    }

    /// The issue for a date outside the core, if any.
    fn judge(&self, date: NaiveDate, cell: &CellRef) -> Option<Issue> {
        let (from, to) = self.core;
        if (from..=to).contains(&date) {
            return None;
        }
        let days = if date < from {
            (from - date).num_days()
        } else {
            (date - to).num_days()
        };
        let span = if from == to {
            format!("{from}")
        } else {
            format!("{from} to {to}")
        };
        let cell = Some(cell.clone());
        if (self.body.0..=self.body.1).contains(&date) {
            return Some(Issue::warning(
                "date_far_from_week",
                cell,
                format!(
                    "the date {date} is {days} days from the file's other dates ({span}): check it"
                ),
            ));
        }
        Some(Issue::error(
            "date_far_from_week",
            cell,
            format!(
                "the date {date} is {days} days from the file's other dates ({span}): check the \
                 year and month"
            ),
        ))
    }
}

/// A case-insensitive hash of a name (FNV-1a over lower-cased characters); equal names hash
/// equal, and [`same_name`] settles collisions. ASCII names (nearly all) skip Unicode case
/// mapping.
fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |c: u64| {
        h ^= c;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    if name.is_ascii() {
        name.bytes()
            .for_each(|b| mix(b.to_ascii_lowercase() as u64));
    } else {
        name.chars()
            .flat_map(char::to_lowercase)
            .for_each(|c| mix(c as u64));
    }
    h
}

/// Names equal ignoring case.
fn same_name(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The digits of a phone number that identify it: extension dropped, a leading North American
/// `1` of an 11-digit number dropped; `None` when fewer than 7 digits remain (no usable number).
fn phone_digits(phone: &str) -> Option<String> {
    let lower = phone.to_ascii_lowercase();
    let main = lower
        .find("ext")
        .or_else(|| lower.find('x'))
        .map_or(lower.as_str(), |i| &lower[..i]);
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix('1') {
        Some(rest) if digits.len() == 11 => rest.to_string(),
        _ => digits,
    };
    (digits.len() >= 7).then_some(digits)
}

/// Whether two shifts are one employee's: the same store and name, and phone numbers that do
/// not disagree (either missing, or the same number).
fn same_person(a: &Shift, b: &Shift) -> bool {
    if a.store_number != b.store_number || !same_name(&a.employee_name, &b.employee_name) {
        return false;
    }
    match (&a.employee_phone, &b.employee_phone) {
        (Some(p), Some(q)) if p != q => match (phone_digits(p), phone_digits(q)) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        },
        _ => true,
    }
}

/// Validate extracted shifts against the template's limits.
pub fn validate(shifts: Vec<Extracted>, week: Option<NaiveDate>, limits: &Limits) -> Validated {
    validate_covering(shifts, week, None, limits)
}

/// [`validate`] for a file that states the last day it covers too (a grid of several weeks,
/// a month): dates from `week` to `last_day` are the file's own, never far from it.
pub fn validate_covering(
    mut shifts: Vec<Extracted>,
    week: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    limits: &Limits,
) -> Validated {
    // Issues carry the index of their shift, to be put back in file order at the end (a
    // shift's own issue before its clash).
    let mut issues: Vec<(u32, Issue)> = Vec::new();
    let dates = DateCheck::new(week, last_day, &shifts, limits);
    let max_minutes = (limits.max_shift_hours * 60.0).round() as i64;
    // Shifts are judged where they lie and moved once at the end, so a big file is not
    // copied shift by shift.
    let mut keep = vec![false; shifts.len()];
    let mut days = EmployeeDays::with_capacity(shifts.len());
    let mut names = NameHashes::default();
    for (idx, e) in shifts.iter().enumerate() {
        if let Some((issue, rejects)) = own_issue(e, dates.as_ref(), limits, max_minutes) {
            issues.push((idx as u32, issue));
            if rejects {
                continue;
            }
        }
        let s = &e.shift;
        // One employee is a name at a store: the store is part of the key.
        let key = names.of(&s.employee_name)
            ^ (s.store_number as u32 as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        days.push(key, s.date, idx);
    }
    days.judge(&shifts, &mut keep, &mut issues);
    issues.sort_by_key(|(idx, _)| *idx);
    let issues = issues.into_iter().map(|(_, i)| i).collect();
    let mut kept = keep.into_iter();
    shifts.retain(|_| kept.next().unwrap_or(false));
    // In place: the buffer of `shifts` is reused, then cut to the smaller shifts it holds.
    let mut shifts: Vec<Shift> = shifts.into_iter().map(|e| e.shift).collect();
    shifts.shrink_to_fit();
    Validated { shifts, issues }
}

/// The name hash of the shift before, reused while the shifts of one row share their name
/// (one `ArcStr`): a row's name is hashed once.
#[derive(Default)]
struct NameHashes(Option<(ArcStr, u64)>);

impl NameHashes {
    fn of(&mut self, name: &ArcStr) -> u64 {
        match &self.0 {
            Some((last, h)) if ArcStr::ptr_eq(last, name) => *h,
            _ => {
                let h = name_hash(name);
                self.0 = Some((name.clone(), h));
                h
            }
        }
    }
}

/// How a shift meets an accepted shift of the same employee and day (its index).
enum Clash {
    /// The same start and length.
    Duplicate(usize),
    /// They overlap (the earliest such shift).
    Overlap(usize),
}

/// The shifts not rejected on their own, as (employee key, date, index): twelve bytes a
/// shift, sorted so that each employee-day's shifts lie together in file order. A
/// million-row file keeps one per shift; a hash map of days would take five times as much.
/// The key is a 32-bit hash: two employees who share one only share a group, in which
/// [`clash`] still compares shifts of the same person only.
struct EmployeeDays(Vec<(u32, NaiveDate, u32)>);

impl EmployeeDays {
    fn with_capacity(shifts: usize) -> Self {
        EmployeeDays(Vec::with_capacity(shifts))
    }

    fn push(&mut self, key: u64, date: NaiveDate, idx: usize) {
        self.0.push(((key ^ (key >> 32)) as u32, date, idx as u32));
    }

    /// Accept each shift (`keep`) unless it duplicates an accepted shift of the same
    /// employee and day; an overlap is a warning. Within a day, shifts are taken in file
    /// order, so the second of two duplicates is the one rejected.
    fn judge(mut self, shifts: &[Extracted], keep: &mut [bool], issues: &mut Vec<(u32, Issue)>) {
        self.0.sort_unstable();
        let mut accepted: Vec<usize> = Vec::new();
        for day in self.0.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            accepted.clear();
            for &(_, _, idx) in day {
                let idx = idx as usize;
                let clash = clash(shifts, &accepted, idx);
                if let Some(issue) = clash.as_ref().map(|c| clash_issue(shifts, idx, c)) {
                    issues.push((idx as u32, issue));
                }
                if !matches!(clash, Some(Clash::Duplicate(_))) {
                    accepted.push(idx);
                    keep[idx] = true;
                }
            }
        }
    }
}

/// How shift `idx` meets the `accepted` shifts of its employee-day (in file order) that
/// [`same_person`] says are the same employee's: the latest duplicate, else the earliest
/// overlap.
fn clash(shifts: &[Extracted], accepted: &[usize], idx: usize) -> Option<Clash> {
    let e = &shifts[idx];
    let minutes_of = |t: chrono::NaiveTime| t.signed_duration_since(chrono::NaiveTime::MIN);
    let start = minutes_of(e.shift.start).num_minutes();
    let mut overlap = None;
    for &i in accepted.iter().rev() {
        let other = &shifts[i];
        if !same_person(&other.shift, &e.shift) {
            continue;
        }
        let st = minutes_of(other.shift.start).num_minutes();
        if st == start && other.minutes() == e.minutes() {
            return Some(Clash::Duplicate(i));
        }
        if start < st + other.minutes() && st < start + e.minutes() {
            // Newest first: the last one found is the earliest.
            overlap = Some(Clash::Overlap(i));
        }
    }
    overlap
}

/// The issue of a clash of shift `idx`.
fn clash_issue(shifts: &[Extracted], idx: usize, clash: &Clash) -> Issue {
    let cell = Some(shifts[idx].shift.source.clone());
    match *clash {
        Clash::Duplicate(first) => Issue::error(
            "duplicate_shift",
            cell,
            format!(
                "the same shift for the same employee is already at {}: remove one",
                shifts[first].shift.source
            ),
        ),
        Clash::Overlap(other) => Issue::warning(
            "overlapping_shift",
            cell,
            format!(
                "this shift overlaps the same employee's shift at {}: check both",
                shifts[other].shift.source
            ),
        ),
    }
}

/// What is wrong with one shift on its own (its length, its date among the file's dates), and
/// whether that rejects it. Time and date problems point at the cell that holds the time or
/// the date.
fn own_issue(
    e: &Extracted,
    dates: Option<&DateCheck>,
    limits: &Limits,
    max_minutes: i64,
) -> Option<(Issue, bool)> {
    let s = &e.shift;
    let at = |col: Option<u32>| match col {
        Some(col) => CellRef {
            col,
            ..s.source.clone()
        },
        None => s.source.clone(),
    };
    if e.minutes() == 0 {
        let msg = "the shift ends when it starts: check the start and end times";
        return Some((
            Issue::error("end_equals_start", Some(at(e.time_col())), msg),
            true,
        ));
    }
    if e.minutes() > max_minutes {
        let msg = format!(
            "the shift is {:.1} hours, more than the {} hour limit: check the times (AM/PM?)",
            e.minutes() as f64 / 60.0,
            limits.max_shift_hours
        );
        return Some((
            Issue::error("shift_too_long", Some(at(e.time_col())), msg),
            true,
        ));
    }
    let issue = dates?.judge(s.date, &at(e.date_col()))?;
    let rejects = issue.severity == crate::schedule::Severity::Error;
    Some((issue, rejects))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::CellRef;
    use chrono::NaiveTime;

    fn ex(name: &str, day: u32, s: (u32, u32), e: (u32, u32), row: u32) -> Extracted {
        let start = NaiveTime::from_hms_opt(s.0, s.1, 0).unwrap();
        let end = NaiveTime::from_hms_opt(e.0, e.1, 0).unwrap();
        let shift = Shift {
            store_number: 1,
            employee_name: name.into(),
            employee_phone: None,
            date: NaiveDate::from_ymd_opt(2025, 11, day).unwrap(),
            start,
            end,
            position: None,
            notes: None,
            source: CellRef {
                sheet: "S".into(),
                row,
                col: 2,
                page: None,
            },
        };
        let minutes = shift.minutes();
        Extracted::new(shift, minutes, Some(4), Some(3))
    }

    fn codes(v: &Validated) -> Vec<&str> {
        v.issues.iter().map(|i| i.code).collect()
    }

    #[test]
    fn rejects_and_warns() {
        let v = validate(
            vec![
                ex("A", 24, (9, 0), (17, 0), 1),
                ex("A", 24, (9, 0), (17, 0), 2),
                ex("A", 24, (16, 0), (20, 0), 3),
                ex("B", 24, (9, 0), (9, 0), 4),
                ex("C", 25, (6, 0), (23, 30), 5),
                ex("D", 26, (22, 0), (6, 0), 6),
            ],
            None,
            &Limits::default(),
        );
        assert_eq!(
            codes(&v),
            vec![
                "duplicate_shift",
                "overlapping_shift",
                "end_equals_start",
                "shift_too_long"
            ]
        );
        assert_eq!(v.shifts.len(), 3);
        assert!(v.issues[0].message.contains("S!C2"));
        assert!(
            !v.issues
                .iter()
                .any(|i| i.message.contains('A') && i.message.contains(" A "))
        );
    }

    #[test]
    fn far_dates() {
        let week = NaiveDate::from_ymd_opt(2025, 11, 24);
        let mut far = ex("A", 24, (9, 0), (17, 0), 1);
        far.shift.date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let mut near = ex("B", 24, (9, 0), (17, 0), 2);
        near.shift.date = NaiveDate::from_ymd_opt(2025, 12, 12).unwrap();
        let v = validate(
            vec![ex("C", 30, (9, 0), (17, 0), 0), far, near],
            week,
            &Limits::default(),
        );
        assert_eq!(v.shifts.len(), 2);
        assert_eq!(v.issues[0].severity, crate::schedule::Severity::Error);
        assert_eq!(v.issues[1].severity, crate::schedule::Severity::Warning);
    }

    /// A month's roster states its days (1 to 31): shifts on its first and last days only are
    /// both the file's own, though 29 days apart.
    #[test]
    fn a_stated_month_is_the_files_own() {
        let (first, last) = (
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
        );
        let shifts = || {
            let mut a = ex("A", 24, (9, 0), (17, 0), 1);
            a.shift.date = first;
            let mut b = ex("B", 24, (9, 0), (17, 0), 2);
            b.shift.date = last - chrono::Duration::days(1);
            vec![a, b]
        };
        let v = validate_covering(shifts(), Some(first), Some(last), &Limits::default());
        assert!(v.issues.is_empty(), "{:?}", v.issues);
        let v = validate(shifts(), Some(first), &Limits::default());
        assert_eq!(codes(&v), vec!["date_far_from_week"]);
    }

    #[test]
    fn a_long_shift_points_at_its_time_cell_and_a_far_date_at_its_date_cell() {
        let week = NaiveDate::from_ymd_opt(2025, 11, 24);
        let mut far = ex("A", 24, (9, 0), (17, 0), 1);
        far.shift.date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let long = ex("B", 24, (6, 0), (2, 0), 2);
        let v = validate(vec![far, long], week, &Limits::default());
        let cells: Vec<String> = v
            .issues
            .iter()
            .map(|i| i.cell.as_ref().unwrap().a1())
            .collect();
        assert_eq!(codes(&v), ["date_far_from_week", "shift_too_long"]);
        assert_eq!(cells, ["D2", "E3"], "the date cell and the start-time cell");
    }

    #[test]
    fn the_same_name_at_two_stores_or_with_two_phones_is_two_people() {
        let at = |store: i32, phone: Option<&str>, row: u32| {
            let mut e = ex("John Smith", 24, (9, 0), (17, 0), row);
            e.shift.store_number = store;
            e.shift.employee_phone = phone.map(ArcStr::from);
            e
        };
        let v = validate(
            vec![
                at(1042, Some("(217) 555-0101"), 1),
                at(2207, Some("(217) 555-0199"), 2),
                at(2207, None, 3),
                at(1042, Some("555-0102 ext. 7"), 4),
                at(1042, Some("+1 217 555 0101"), 5),
            ],
            None,
            &Limits::default(),
        );
        // Rows 1/2 (two stores) and 1/4 (two phones) are different people; row 3 has no phone
        // and is the same name at 2207 as row 2; row 5 is row 1's number written differently.
        assert_eq!(codes(&v), vec!["duplicate_shift", "duplicate_shift"]);
        assert_eq!(v.issues[0].cell.as_ref().unwrap().row, 3);
        assert_eq!(v.issues[1].cell.as_ref().unwrap().row, 5);
        assert_eq!(v.shifts.len(), 3);
    }

    #[test]
    fn phone_digits_ignore_formatting_country_code_and_extension() {
        assert_eq!(
            phone_digits("(217) 555-0101").as_deref(),
            Some("2175550101")
        );
        assert_eq!(
            phone_digits("+1 217.555.0101").as_deref(),
            Some("2175550101")
        );
        assert_eq!(
            phone_digits("217-555-0101 x12").as_deref(),
            Some("2175550101")
        );
        assert_eq!(
            phone_digits("217-555-0101 ext. 12").as_deref(),
            Some("2175550101")
        );
        assert_eq!(phone_digits("n/a"), None);
    }

    #[test]
    fn long_exports_keep_their_tails_and_lose_only_outliers() {
        let d0 = NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
        let mut shifts: Vec<Extracted> = (0..183)
            .map(|i| {
                let mut e = ex("A", 24, (9, 0), (17, 0), i + 1);
                e.shift.date = d0 + chrono::Duration::days(i as i64);
                e
            })
            .collect();
        // A typed year among six months of days, and a week a little apart from the rest.
        let mut typo = ex("B", 24, (9, 0), (17, 0), 500);
        typo.shift.date = NaiveDate::from_ymd_opt(2052, 7, 1).unwrap();
        shifts.push(typo);
        let mut late = ex("C", 24, (9, 0), (17, 0), 501);
        late.shift.date = d0 + chrono::Duration::days(182 + 20);
        shifts.push(late);
        let v = validate(shifts, None, &Limits::default());
        assert_eq!(v.shifts.len(), 184);
        assert_eq!(codes(&v), vec!["date_far_from_week", "date_far_from_week"]);
        assert_eq!(v.issues[0].severity, crate::schedule::Severity::Error);
        assert_eq!(v.issues[0].cell.as_ref().map(|c| c.row), Some(500));
        assert!(v.issues[0].message.contains("2025-06-02 to 2025-12-01"));
        assert_eq!(v.issues[1].severity, crate::schedule::Severity::Warning);
    }

    #[test]
    fn a_run_of_mistyped_dates_is_still_far() {
        // A whole week typed with the wrong year: fewer shifts than the real weeks.
        let mut shifts: Vec<Extracted> = (0..14)
            .map(|i| ex("A", 17 + i, (9, 0), (17, 0), i))
            .collect();
        for i in 0..5 {
            let mut e = ex("B", 24, (9, 0), (17, 0), 100 + i);
            e.shift.date = NaiveDate::from_ymd_opt(2024, 11, 24 + i).unwrap();
            shifts.push(e);
        }
        let v = validate(shifts, None, &Limits::default());
        assert_eq!(v.shifts.len(), 14);
        assert_eq!(v.issues.len(), 5);
        assert!(
            v.issues
                .iter()
                .all(|i| i.severity == crate::schedule::Severity::Error)
        );
    }
}
