//! Validation: turns extracted shifts into accepted shifts and row issues with cell references.
//!
//! Checks (errors reject the shift, warnings keep it):
//! - `end_equals_start` (error): a shift of no length;
//! - `shift_too_long` (error): longer than the template's `limits.max_shift_hours` (16 h);
//! - `duplicate_shift` (error): the same employee, day, start and end twice — the second is
//!   rejected, the message points at the first;
//! - `overlapping_shift` (warning): one employee's shifts on one day overlap;
//! - `date_far_from_week` (warning, or error past `limits.far_date_error_days`): a date far
//!   from the file's week (a mistyped year or month).
//!
//! Messages never quote names or phones. Store and contact resolution against the database
//! happens in the import writer, not here.

use crate::extract::Extracted;
use crate::schedule::{Issue, Shift};
use crate::template::model::Limits;
use chrono::NaiveDate;
use std::collections::HashMap;

/// An accepted shift of one employee's day: start minute and length.
type Accepted = (i64, i64);

/// The result of validation: accepted shifts and the issues found.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    pub shifts: Vec<Shift>,
    pub issues: Vec<Issue>,
}

/// The date a file is about: the stated week, else the median shift date.
pub fn reference_date(week: Option<NaiveDate>, shifts: &[Extracted]) -> Option<NaiveDate> {
    if week.is_some() {
        return week;
    }
    let mut ds: Vec<NaiveDate> = shifts.iter().map(|s| s.shift.date).collect();
    if ds.is_empty() {
        return None;
    }
    ds.sort();
    Some(ds[ds.len() / 2])
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

/// A hasher for keys that already are hashes (the name hash with a date): no second pass of
/// SipHash over them.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u64(n as u32 as u64);
    }
}

type KeyMap<V> = HashMap<(u64, NaiveDate), V, std::hash::BuildHasherDefault<KeyHasher>>;

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
    let mut issues = Vec::new();
    let reference = reference_date(week, &shifts);
    // A week's file covers its week, a month's or several weeks' file up to its last day.
    let covered_to = reference.map(|r| {
        last_day
            .filter(|d| week.is_some() && *d > r)
            .unwrap_or(r + chrono::Duration::days(6))
    });
    let max_minutes = (limits.max_shift_hours * 60.0).round() as i64;
    // Shifts are judged where they lie (index `i`) and moved once at the end, so a big file
    // is not copied shift by shift. (employee, date) → the last accepted shift of that day;
    // `earlier[i]` links accepted shift `i` to the one before it on the same day (a chain per
    // day, no allocation per key); `accepted[i]` is its start minute and length.
    let mut last_of_day: KeyMap<usize> = KeyMap::default();
    last_of_day.reserve(shifts.len());
    let mut accepted: Vec<Accepted> = vec![(0, 0); shifts.len()];
    let mut earlier: Vec<Option<usize>> = vec![None; shifts.len()];
    let mut keep = vec![false; shifts.len()];
    let mut last_name: Option<(std::sync::Arc<str>, u64)> = None;
    for (idx, e) in shifts.iter().enumerate() {
        let s = &e.shift;
        let cell = || Some(s.source.clone());
        if e.minutes == 0 {
            issues.push(Issue::error(
                "end_equals_start",
                cell(),
                "the shift ends when it starts: check the start and end times",
            ));
            continue;
        }
        if e.minutes > max_minutes {
            issues.push(Issue::error(
                "shift_too_long",
                cell(),
                format!(
                    "the shift is {:.1} hours, more than the {} hour limit: check the times (AM/PM?)",
                    e.minutes as f64 / 60.0,
                    limits.max_shift_hours
                ),
            ));
            continue;
        }
        if let Some(far) = reference.and_then(|r| far_date(s, r, covered_to, limits)) {
            let reject = far.severity == crate::schedule::Severity::Error;
            issues.push(far);
            if reject {
                continue;
            }
        }
        let start = s
            .start
            .signed_duration_since(chrono::NaiveTime::MIN)
            .num_minutes();
        // The shifts of one row share their name (one `Arc`): hash it once per row.
        let hash = match &last_name {
            Some((name, h)) if std::sync::Arc::ptr_eq(name, &s.employee_name) => *h,
            _ => {
                let h = name_hash(&s.employee_name);
                last_name = Some((s.employee_name.clone(), h));
                h
            }
        };
        let key = (hash, s.date);
        let head = last_of_day.get(&key).copied();
        let same_day = std::iter::successors(head, |&i| earlier[i]).map(|i| (accepted[i], i));
        let same_person = |i: usize| same_name(&shifts[i].shift.employee_name, &s.employee_name);
        let mut duplicate = None;
        let mut overlap = None;
        for ((st, len), i) in same_day {
            if !same_person(i) {
                continue;
            }
            if st == start && len == e.minutes {
                duplicate = Some(i);
                break;
            }
            if start < st + len && st < start + e.minutes {
                // The earliest overlapping shift is the one to point at.
                overlap = Some(i);
            }
        }
        if let Some(first) = duplicate {
            issues.push(Issue::error(
                "duplicate_shift",
                cell(),
                format!(
                    "the same shift for the same employee is already at {}: remove one",
                    shifts[first].shift.source
                ),
            ));
            continue;
        }
        if let Some(other) = overlap {
            issues.push(Issue::warning(
                "overlapping_shift",
                cell(),
                format!(
                    "this shift overlaps the same employee's shift at {}: check both",
                    shifts[other].shift.source
                ),
            ));
        }
        last_of_day.insert(key, idx);
        accepted[idx] = (start, e.minutes);
        earlier[idx] = head;
        keep[idx] = true;
    }
    let mut kept = keep.into_iter();
    shifts.retain(|_| kept.next().unwrap_or(false));
    Validated {
        // In place: the buffer of `shifts` is reused.
        shifts: shifts.into_iter().map(|e| e.shift).collect(),
        issues,
    }
}

/// The issue for a date far from the file's days (`reference` to `covered_to`, measured from
/// the nearest end): an error from `far_date_error_days`, a warning from
/// `far_date_warning_days`.
fn far_date(
    s: &Shift,
    reference: NaiveDate,
    covered_to: Option<NaiveDate>,
    limits: &Limits,
) -> Option<Issue> {
    let days = if s.date < reference {
        (reference - s.date).num_days()
    } else {
        (s.date - covered_to.unwrap_or(reference)).num_days().max(0)
    };
    let cell = Some(s.source.clone());
    if days >= limits.far_date_error_days {
        return Some(Issue::error(
            "date_far_from_week",
            cell,
            format!(
                "the date {} is {days} days from the file's week of {reference}: check the year and month",
                s.date
            ),
        ));
    }
    (days >= limits.far_date_warning_days).then(|| {
        Issue::warning(
            "date_far_from_week",
            cell,
            format!(
                "the date {} is {days} days from the file's week of {reference}: check it",
                s.date
            ),
        )
    })
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
        Extracted { shift, minutes }
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
}
