//! What a batch of small imports writes together ([`super::batch`]): the shifts of all its
//! imports and the ends of all its imports (history rows, store-days, final counts, the
//! notification, each queue job's completion) in one statement — the statements that each
//! import would otherwise run alone, with their triggers and plans, once per import.
//! [`super::write`] collects into a [`Deferred`] instead of writing when the batch asks it to
//! ([`super::write::Sink::Defer`]); [`Deferred::write`] writes it before the commit.
//! [`ShiftColumns`] is also how one import's UNNEST insert is sent.

use super::write::{HistoryRow, NOTIFY_CHANNEL, WriteError};
use crate::import::write::ClaimedJob;
use crate::schedule::Shift;
use chrono::{NaiveDate, NaiveTime};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::{PgConnection, Postgres};
use std::collections::HashMap;
use uuid::Uuid;

/// Shifts, column by column, each with its import's id.
#[derive(Debug, Default)]
pub struct ShiftColumns {
    import_id: Vec<Uuid>,
    store_id: Vec<Uuid>,
    name: Vec<String>,
    phone: Vec<Option<String>>,
    date: Vec<NaiveDate>,
    start: Vec<NaiveTime>,
    end: Vec<NaiveTime>,
    position: Vec<Option<String>>,
    notes: Vec<Option<String>>,
    contact_id: Vec<Option<Uuid>>,
    cell: Vec<String>,
}

impl ShiftColumns {
    /// Add one shift of import `import_id`, with its store and its contact link.
    pub(super) fn push(
        &mut self,
        import_id: Uuid,
        store_id: Uuid,
        s: &Shift,
        contact_id: Option<Uuid>,
        phone: Option<&str>,
    ) {
        self.import_id.push(import_id);
        self.store_id.push(store_id);
        self.name.push(s.employee_name.to_string());
        self.phone.push(phone.map(str::to_string));
        self.date.push(s.date);
        self.start.push(s.start);
        self.end.push(s.end);
        self.position
            .push(s.position.as_deref().map(str::to_string));
        self.notes.push(s.notes.as_deref().map(str::to_string));
        self.contact_id.push(contact_id);
        self.cell.push(s.source.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.import_id.is_empty()
    }

    /// Insert them all in one statement.
    pub async fn insert(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let insert = sqlx::query(concat!(
            "INSERT INTO store_schedules (",
            super::copy::shift_columns!(),
            ") ",
            shift_rows_sql!(),
        ));
        bind_shift_columns!(insert, self)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// The rows of a [`ShiftColumns`] bound as `$1`–`$11` ([`bind_shift_columns`]), in the
/// order of `copy::shift_columns!`: what [`ShiftColumns::insert`] and [`write_ends`]' first CTE
/// insert.
macro_rules! shift_rows_sql {
    () => {
        "SELECT store_id, name, phone, d, s, e, pos, notes, import_id, contact_id, cell
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::date[], $6::time[],
                     $7::time[], $8::text[], $9::text[], $10::uuid[], $11::text[])
              AS u(import_id, store_id, name, phone, d, s, e, pos, notes, contact_id, cell)"
    };
}
use shift_rows_sql;

/// `$q` with the eleven columns of the [`ShiftColumns`] `$c` bound as its first parameters
/// (`$1`–`$11`, [`shift_rows_sql`]).
macro_rules! bind_shift_columns {
    ($q:expr, $c:expr) => {
        $q.bind(&$c.import_id)
            .bind(&$c.store_id)
            .bind(&$c.name)
            .bind(&$c.phone)
            .bind(&$c.date)
            .bind(&$c.start)
            .bind(&$c.end)
            .bind(&$c.position)
            .bind(&$c.notes)
            .bind(&$c.contact_id)
            .bind(&$c.cell)
    };
}
use bind_shift_columns;

/// How one import ends: what its own last statement would write ([`super::write`]'s finish).
pub(super) struct End {
    pub import_id: Uuid,
    pub status: &'static str,
    pub template: Option<String>,
    pub error: Option<String>,
    pub rows_total: i64,
    pub rows_imported: i64,
    pub rows_rejected: i64,
    pub rows_replaced: i64,
    pub warnings: i64,
    pub store_numbers: Vec<i32>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub replace_summary: Option<serde_json::Value>,
    pub job: Option<ClaimedJob>,
    /// History rows: action, code, cell, message.
    pub history: Vec<HistoryRow>,
    /// Shifts inserted per store-day.
    pub days: Vec<(Uuid, NaiveDate, i32)>,
}

/// The shifts and the ends of a batch's imports, written by [`Deferred::write`], and the
/// stores the batch locked.
#[derive(Default)]
pub struct Deferred {
    pub(super) shifts: ShiftColumns,
    ends: Vec<End>,
    /// Every store of the batch that exists, by number, locked by the batch: an import looks
    /// its stores up here instead of in a statement of its own.
    pub(super) stores: HashMap<i32, Uuid>,
}

impl Deferred {
    pub fn with_stores(stores: HashMap<i32, Uuid>) -> Self {
        Deferred {
            stores,
            ..Deferred::default()
        }
    }

    pub(super) fn end(&mut self, end: End) {
        self.ends.push(end);
    }

    /// A lone import's end, written by [`Self::write`] as a batch of one's.
    pub(super) fn one_end(end: End) -> Self {
        Deferred {
            ends: vec![end],
            ..Deferred::default()
        }
    }

    /// The shifts and the ends in one statement; a job whose claim is gone ends the batch
    /// with [`WriteError::ClaimLost`] (the caller rolls back).
    pub async fn write(self, conn: &mut PgConnection) -> Result<(), WriteError> {
        if self.ends.is_empty() {
            if !self.shifts.is_empty() {
                self.shifts.insert(conn).await?;
            }
            return Ok(());
        }
        let completed = write_ends(conn, &self.ends, &self.shifts).await?;
        let lost = self
            .ends
            .iter()
            .filter_map(|e| e.job)
            .find(|j| !completed.contains(&j.job_id));
        match lost {
            Some(job) => Err(WriteError::ClaimLost(job.job_id)),
            None => Ok(()),
        }
    }
}

/// [`write_ends`]'s statement: one import's finish ([`super::write`]) made for many, the
/// imports as arrays, their history rows and store-days flattened with their import's id;
/// and first every import's shifts (`$1`–`$11`, [`ShiftColumns`]): nothing of the ends reads
/// them, and one statement fewer is one round trip fewer a batch (and an idle job's).
fn ends_statement<'q>() -> QueryScalar<'q, Postgres, Vec<Uuid>, PgArguments> {
    sqlx::query_scalar(concat!(
        "WITH shifts AS (
             INSERT INTO store_schedules (",
        super::copy::shift_columns!(),
        ") ",
        shift_rows_sql!(),
        "
         ), f AS (
             SELECT * FROM UNNEST($12::uuid[], $13::text[], $14::text[], $15::text[], $16::int8[],
                                  $17::int8[], $18::int8[], $19::int8[], $20::int8[], $21::text[],
                                  $22::date[], $23::date[], $24::jsonb[], $25::uuid[],
                                  $26::uuid[], $27::int8[])
                 AS f(import_id, status, template, error, rows_total, rows_imported,
                      rows_rejected, rows_replaced, warnings, stores, date_from, date_to,
                      summary, job_id, lease_token, job_rows_total)
         ), hist AS (
             INSERT INTO import_history (import_id, attempt, action, code, cell_ref, message)
             SELECT i, 1, a, c, r, m
             FROM UNNEST($28::uuid[], $29::text[], $30::text[], $31::text[], $32::text[])
                 AS u(i, a, c, r, m)
         ), days AS (
             INSERT INTO import_store_dates (import_id, store_id, schedule_date, inserted)
             SELECT i, sid, d, n
             FROM UNNEST($33::uuid[], $34::uuid[], $35::date[], $36::int[]) AS u(i, sid, d, n)
             ON CONFLICT (import_id, store_id, schedule_date)
             DO UPDATE SET inserted = EXCLUDED.inserted
         ), done AS (
             SELECT job_id, lease_token, status <> 'failed' AS succeeded, import_id,
                    rows_imported AS rows_done, job_rows_total AS rows_total, error,
                    CASE status WHEN 'succeeded' THEN 'imported' ELSE status END AS outcome,
                    rows_imported, rows_rejected, rows_replaced, warnings
             FROM f WHERE job_id IS NOT NULL
         ), job AS (",
        crate::complete_job_sql!(),
        " RETURNING j.id
         ), upd AS (
             UPDATE document_imports d SET
                 status = f.status, template = f.template, error = f.error,
                 rows_total = f.rows_total, rows_imported = f.rows_imported,
                 rows_rejected = f.rows_rejected, rows_replaced = f.rows_replaced,
                 warnings = f.warnings, store_numbers = f.stores::int[],
                 date_from = f.date_from, date_to = f.date_to, replace_summary = f.summary,
                 finished_at = now()
             FROM f WHERE d.id = f.import_id
             RETURNING d.id
         )
         SELECT ARRAY(SELECT id FROM job)
         FROM (SELECT count(*) FROM upd, pg_notify($37, upd.id::text)) AS notified",
    ))
}

/// Every end in one statement (the same writes as one import's finish, for many), after
/// `shifts`: the history rows, the store-days, the final counts and status, a notification per
/// import and the completion of each import's job while its claim holds. Returns the jobs
/// completed.
async fn write_ends(
    conn: &mut PgConnection,
    ends: &[End],
    shifts: &ShiftColumns,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let col = |f: &dyn Fn(&End) -> Option<String>| ends.iter().map(f).collect::<Vec<_>>();
    let stores = |e: &End| {
        let n: Vec<String> = e.store_numbers.iter().map(i32::to_string).collect();
        Some(format!("{{{}}}", n.join(",")))
    };
    let hist = || {
        ends.iter()
            .flat_map(|e| e.history.iter().map(|h| (e.import_id, h)))
    };
    let days = || {
        ends.iter()
            .flat_map(|e| e.days.iter().map(|d| (e.import_id, d)))
    };
    bind_shift_columns!(ends_statement(), shifts)
        .bind(ends.iter().map(|e| e.import_id).collect::<Vec<_>>())
        .bind(ends.iter().map(|e| e.status).collect::<Vec<_>>())
        .bind(col(&|e| e.template.clone()))
        .bind(col(&|e| e.error.clone()))
        .bind(ends.iter().map(|e| e.rows_total).collect::<Vec<_>>())
        .bind(ends.iter().map(|e| e.rows_imported).collect::<Vec<_>>())
        .bind(ends.iter().map(|e| e.rows_rejected).collect::<Vec<_>>())
        .bind(ends.iter().map(|e| e.rows_replaced).collect::<Vec<_>>())
        .bind(ends.iter().map(|e| e.warnings).collect::<Vec<_>>())
        .bind(col(&stores))
        .bind(ends.iter().map(|e| e.date_from).collect::<Vec<_>>())
        .bind(ends.iter().map(|e| e.date_to).collect::<Vec<_>>())
        .bind(
            ends.iter()
                .map(|e| e.replace_summary.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            ends.iter()
                .map(|e| e.job.map(|j| j.job_id))
                .collect::<Vec<_>>(),
        )
        .bind(
            ends.iter()
                .map(|e| e.job.map(|j| j.lease_token))
                .collect::<Vec<_>>(),
        )
        .bind(
            ends.iter()
                .map(|e| e.job.map(|j| j.rows_total))
                .collect::<Vec<_>>(),
        )
        .bind(hist().map(|(i, _)| i).collect::<Vec<_>>())
        .bind(hist().map(|(_, h)| h.0).collect::<Vec<_>>())
        .bind(hist().map(|(_, h)| h.1).collect::<Vec<_>>())
        .bind(hist().map(|(_, h)| h.2.clone()).collect::<Vec<_>>())
        .bind(hist().map(|(_, h)| h.3.as_str()).collect::<Vec<_>>())
        .bind(days().map(|(i, _)| i).collect::<Vec<_>>())
        .bind(days().map(|(_, d)| d.0).collect::<Vec<_>>())
        .bind(days().map(|(_, d)| d.1).collect::<Vec<_>>())
        .bind(days().map(|(_, d)| d.2).collect::<Vec<_>>())
        .bind(NOTIFY_CHANNEL)
        .fetch_one(&mut *conn)
        .await
}
