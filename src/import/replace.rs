//! Safe replaces: before a `replace` deletes stored shifts, what it is about to remove is
//! summed up per store and day, and compared with the file's own shifts. A day that had
//! shifts and gets none from the file (nobody scheduled), or an employee who had shifts in the
//! dates covered and has none in the file, is a warning in the import (and its receipt and
//! report); with `worker.hold_risky_replaces` such an import is `held` instead, writing
//! nothing until an operator approves it (`imports approve ID`).
//!
//! The full before-image of every removed shift is still written to `import_history`
//! (`replaced`) by the delete itself; this summary is what people read. It is stored in
//! `document_imports.replace_summary`. Warning messages carry no names; the names of dropped
//! employees appear only in the receipt written beside the file in the manager's own folder.

use crate::schedule::Issue;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Shifts a replace removes on one day of one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayRemoved {
    pub store_number: i32,
    pub date: NaiveDate,
    /// Stored shifts removed that day.
    pub shifts: i64,
    /// Distinct employees those shifts were for.
    pub employees: i64,
}

/// An employee who had stored shifts in the dates a file covers and has none in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedEmployee {
    pub store_number: i32,
    /// The stored name (for the manager's receipt only; never logged, never in an issue).
    #[serde(skip)]
    pub name: String,
    pub shifts: i64,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// What a replace removes, and whom and which days it leaves empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplaceEffects {
    /// Every store-day with removed shifts, in order.
    pub removed: Vec<DayRemoved>,
    /// The store-days among `removed` that the file schedules nobody on.
    pub emptied_days: Vec<DayRemoved>,
    /// Employees left out of the dates the file covers.
    pub dropped: Vec<DroppedEmployee>,
}

impl ReplaceEffects {
    /// Whether the replace empties a day or drops an employee.
    pub fn is_risky(&self) -> bool {
        !self.emptied_days.is_empty() || !self.dropped.is_empty()
    }

    /// What `document_imports.replace_summary` keeps: `None` when nothing was removed.
    pub fn summary(&self) -> Option<serde_json::Value> {
        if self.removed.is_empty() {
            return None;
        }
        serde_json::to_value(self).ok()
    }

    /// Shifts removed in all.
    pub fn shifts_removed(&self) -> i64 {
        self.removed.iter().map(|d| d.shifts).sum()
    }

    /// One warning per emptied day and per dropped employee (no names).
    pub fn warnings(&self) -> Vec<Issue> {
        let mut out = Vec::new();
        for d in &self.emptied_days {
            out.push(Issue::warning(
                "replace_empties_day",
                None,
                format!(
                    "{}: {} already stored for store {} {} replaced and this file schedules \
                     nobody that day; check that the file covers that day",
                    d.date.format("%A %m/%d/%Y"),
                    count(d.shifts, "shift", "shifts"),
                    d.store_number,
                    if d.shifts == 1 { "is" } else { "are" },
                ),
            ));
        }
        for e in &self.dropped {
            out.push(Issue::warning(
                "replace_drops_employee",
                None,
                format!(
                    "an employee with {} stored for store {} between {} and {} has no shift in \
                     this file, so they are no longer scheduled those days; check that nobody is \
                     missing (the receipt beside the file names them)",
                    count(e.shifts, "shift", "shifts"),
                    e.store_number,
                    e.first.format("%m/%d/%Y"),
                    e.last.format("%m/%d/%Y"),
                ),
            ));
        }
        out
    }
}

/// `1 shift`, `3 shifts`.
pub(crate) fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The file's side of the comparison, compactly: its distinct stores and employee names, the
/// distinct store-days it schedules anybody on and the distinct employees of each store (as
/// one-based indexes into the stores and names). The replace only asks whether a stored day
/// or employee is among them, so a million-shift file sends its few thousand days and
/// employees, not a row per shift.
#[derive(Default)]
pub struct NewShifts<'a> {
    pub stores: Vec<Uuid>,
    pub names: Vec<&'a str>,
    /// Distinct (store index, date) pairs.
    pub days: Vec<(i32, NaiveDate)>,
    /// Distinct (store index, name index) pairs.
    pub people: Vec<(i32, i32)>,
    store_index: HashMap<Uuid, i32>,
    name_index: HashMap<&'a str, i32>,
    day_seen: HashSet<(i32, NaiveDate)>,
    person_seen: HashSet<(i32, i32)>,
}

impl<'a> NewShifts<'a> {
    /// Add one shift of the file.
    pub fn push(&mut self, store_id: Uuid, date: NaiveDate, name: &'a str) {
        let stores = &mut self.stores;
        let s = *self.store_index.entry(store_id).or_insert_with(|| {
            stores.push(store_id);
            stores.len() as i32
        });
        let names = &mut self.names;
        let n = *self.name_index.entry(name).or_insert_with(|| {
            names.push(name);
            names.len() as i32
        });
        if self.day_seen.insert((s, date)) {
            self.days.push((s, date));
        }
        if self.person_seen.insert((s, n)) {
            self.people.push((s, n));
        }
    }

    /// After the last [`NewShifts::push`]: drop the lookups (the statement sends only the
    /// lists) and hold the lists at their size, so a hundred thousand employees' maps are
    /// gone before the statement's parameters are encoded.
    pub fn seal(&mut self) {
        self.store_index = HashMap::new();
        self.name_index = HashMap::new();
        self.day_seen = HashSet::new();
        self.person_seen = HashSet::new();
        self.names.shrink_to_fit();
        self.days.shrink_to_fit();
        self.people.shrink_to_fit();
    }
}

/// What replacing the stored shifts of `span` (store id → first and last date) with `new`
/// removes. `numbers` maps store ids to store numbers. Run it under the store locks. With
/// `delete` (the import's id), the same statement deletes those shifts, writing their full
/// before-images as `replaced` history rows and the store-days cleared in
/// `import_store_dates`, and says how many went; without, it only reads (a replace that may
/// be held).
pub async fn effects(
    conn: &mut PgConnection,
    span: &BTreeMap<Uuid, (NaiveDate, NaiveDate)>,
    new: &NewShifts<'_>,
    numbers: &HashMap<Uuid, i32>,
    delete: Option<Uuid>,
) -> Result<(ReplaceEffects, i64), sqlx::Error> {
    let sids: Vec<Uuid> = span.keys().copied().collect();
    let froms: Vec<NaiveDate> = span.values().map(|v| v.0).collect();
    let tos: Vec<NaiveDate> = span.values().map(|v| v.1).collect();
    // Summed up in the database: one row per store-day and one per dropped employee, not one
    // per stored employee-day (a million-row replace would ship them all).
    let rows: Vec<SummedDeleted> = sqlx::query_as(
        "WITH cov AS (
             SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::date[]) AS c(store_id, d0, d1)
         ), old AS (
             SELECT s.store_id, s.schedule_date AS d, pharmacy_name_key(s.employee_name) AS k,
                    min(s.employee_name) AS n, count(*) AS c
             FROM store_schedules s
             JOIN cov ON s.store_id = cov.store_id AND s.schedule_date BETWEEN cov.d0 AND cov.d1
             GROUP BY 1, 2, 3
         ), st AS (
             SELECT * FROM UNNEST($8::uuid[]) WITH ORDINALITY AS st(id, i)
         ), new_days AS (
             SELECT st.id AS store_id, u.d
             FROM UNNEST($4::int4[], $5::date[]) AS u(s, d) JOIN st ON st.i = u.s
         ), new_people AS (
             SELECT DISTINCT st.id AS store_id, nm.k
             FROM UNNEST($6::int4[], $7::int4[]) AS u(s, n)
             JOIN st ON st.i = u.s
             JOIN (SELECT pharmacy_name_key(n) AS k, i
                   FROM UNNEST($9::text[]) WITH ORDINALITY AS x(n, i)) nm ON nm.i = u.n
         ), judged AS (
             SELECT o.*,
                    EXISTS (SELECT 1 FROM new_days n WHERE n.store_id = o.store_id AND n.d = o.d)
                        AS day_kept,
                    EXISTS (SELECT 1 FROM new_people n
                            WHERE n.store_id = o.store_id AND n.k = o.k) AS person_kept
             FROM old o
         ), del AS (
             DELETE FROM store_schedules s USING cov
             WHERE $10::uuid IS NOT NULL
               AND s.store_id = cov.store_id AND s.schedule_date BETWEEN cov.d0 AND cov.d1
             RETURNING s.*
         ), hist AS (
             INSERT INTO import_history (import_id, attempt, action, message, schedule_id, before)
             SELECT $10, 1, 'replaced', 'replaced by this import', del.id, to_jsonb(del) FROM del
             RETURNING 1
         ), days AS (
             INSERT INTO import_store_dates (import_id, store_id, schedule_date, replaced)
             SELECT $10, store_id, schedule_date, count(*) FROM del
             GROUP BY store_id, schedule_date
             RETURNING 1
         ), gone AS (
             SELECT count(*)::int8 AS n FROM hist
         )
         SELECT true AS day, store_id, d AS first, d AS last, NULL::text AS k, NULL::text AS n,
                sum(c)::int8 AS shifts, count(*)::int8 AS employees, bool_or(day_kept) AS kept,
                (SELECT n FROM gone) AS deleted
         FROM judged GROUP BY store_id, d
         UNION ALL
         SELECT false, store_id, min(d), max(d), k, (array_agg(n ORDER BY d))[1],
                sum(c)::int8, 0::int8, false, (SELECT n FROM gone)
         FROM judged WHERE NOT person_kept GROUP BY store_id, k",
    )
    .bind(&sids)
    .bind(&froms)
    .bind(&tos)
    .bind(new.days.iter().map(|d| d.0).collect::<Vec<_>>())
    .bind(new.days.iter().map(|d| d.1).collect::<Vec<_>>())
    .bind(new.people.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind(new.people.iter().map(|p| p.1).collect::<Vec<_>>())
    .bind(&new.stores)
    .bind(&new.names)
    .bind(delete)
    .fetch_all(&mut *conn)
    .await?;
    // Every stored shift deleted was summed up: no row back, none deleted.
    let deleted = rows.first().map_or(0, |r| r.9);
    let rows = rows
        .into_iter()
        .map(|(a, b, c, d, e, f, g, h, i, _)| (a, b, c, d, e, f, g, h, i))
        .collect();
    Ok((summarise(rows, numbers), deleted))
}

/// A store-day (`day`: its shifts, employees and whether the file schedules anybody that
/// day) or a dropped employee (key, stored name of their first day, shifts, first and last
/// day), summed up by [`effects`].
type Summed = (bool, Uuid, NaiveDate, NaiveDate, Text, Text, i64, i64, bool);

/// A [`Summed`] row with how many shifts the statement deleted (the same on every row).
type SummedDeleted = (
    bool,
    Uuid,
    NaiveDate,
    NaiveDate,
    Text,
    Text,
    i64,
    i64,
    bool,
    i64,
);

/// A text column that may be NULL.
type Text = Option<String>;

/// Put the summed rows in order: days by store number and date, dropped employees by store
/// number and name key.
fn summarise(rows: Vec<Summed>, numbers: &HashMap<Uuid, i32>) -> ReplaceEffects {
    let mut days: BTreeMap<(i32, NaiveDate), (i64, i64, bool)> = BTreeMap::new();
    let mut dropped: BTreeMap<(i32, String), DroppedEmployee> = BTreeMap::new();
    for (day, store_id, first, last, key, name, shifts, employees, kept) in rows {
        let store_number = numbers.get(&store_id).copied().unwrap_or_default();
        if day {
            days.insert((store_number, first), (shifts, employees, kept));
            continue;
        }
        let employee = DroppedEmployee {
            store_number,
            name: name.unwrap_or_default(),
            shifts,
            first,
            last,
        };
        dropped.insert((store_number, key.unwrap_or_default()), employee);
    }
    let removed: Vec<DayRemoved> = days
        .iter()
        .map(
            |(&(store_number, date), &(shifts, employees, _))| DayRemoved {
                store_number,
                date,
                shifts,
                employees,
            },
        )
        .collect();
    let emptied_days = removed
        .iter()
        .zip(days.values())
        .filter(|(_, v)| !v.2)
        .map(|(d, _)| d.clone())
        .collect();
    ReplaceEffects {
        removed,
        emptied_days,
        dropped: dropped.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, day).unwrap()
    }

    /// A summed store-day row.
    fn day(store: Uuid, date: u32, shifts: i64, employees: i64, kept: bool) -> Summed {
        let (d, n) = (d(date), None);
        (true, store, d, d, None, n, shifts, employees, kept)
    }

    #[test]
    fn a_day_with_nobody_and_a_missing_employee_are_risky() {
        let store = Uuid::new_v4();
        let numbers = HashMap::from([(store, 1042)]);
        // As `effects` sums them: Ann and Bob on the 27th (nobody in the file that day), both
        // on the 28th; Bob has no shift in the file at all.
        let bob = (
            false,
            store,
            d(27),
            d(28),
            Some("bob roe".to_string()),
            Some("Bob Roe".to_string()),
            3,
            0,
            false,
        );
        let rows = vec![day(store, 28, 2, 2, true), bob, day(store, 27, 3, 2, false)];
        let e = summarise(rows, &numbers);
        assert_eq!(e.shifts_removed(), 5);
        assert_eq!(e.removed.len(), 2);
        assert_eq!(e.emptied_days.len(), 1);
        assert_eq!(e.emptied_days[0].date, d(27));
        assert_eq!(e.emptied_days[0].shifts, 3);
        assert_eq!(e.dropped.len(), 1);
        assert_eq!(e.dropped[0].name, "Bob Roe");
        assert_eq!((e.dropped[0].first, e.dropped[0].last), (d(27), d(28)));
        assert!(e.is_risky());
        let w = e.warnings();
        assert_eq!(w.len(), 2);
        assert!(
            w[0].message
                .starts_with("Thursday 11/27/2025: 3 shifts already stored")
        );
        assert!(
            w.iter().all(|i| !i.message.contains("Bob")),
            "no names in issues"
        );
    }

    #[test]
    fn a_like_for_like_replace_is_not_risky() {
        let store = Uuid::new_v4();
        let numbers = HashMap::from([(store, 1042)]);
        let rows = vec![day(store, 27, 1, 1, true)];
        let e = summarise(rows, &numbers);
        assert!(!e.is_risky());
        assert!(e.warnings().is_empty());
    }
}
