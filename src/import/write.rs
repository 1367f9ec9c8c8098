//! The transactional write of one import: the `document_imports` row, the shifts in
//! `store_schedules`, and the `import_history` rows, all on a connection whose transaction the
//! caller opened (and commits).
//!
//! Order of work, each step one bulk statement (UNNEST arrays, never a statement per row):
//! 1. a transaction-scoped advisory lock on the file's sha256 (two workers given the same
//!    content serialise, so the second one sees the first as a duplicate);
//! 2. the `document_imports` row (`processing`);
//! 3. a refused plan, a duplicate, an empty plan or an unknown store ends here as `failed` /
//!    `duplicate`, with its history rows;
//! 4. advisory locks on the stores touched (sorted, so concurrent imports cannot deadlock);
//! 5. contacts linked by phone, then by name; unknown employees become warnings;
//! 6. `replace`: the stored shifts of each store for the date span the file covers are deleted,
//!    each one's full before-image written to `import_history` (`replaced`) in the same
//!    statement; `append`: shifts identical to stored ones are `skipped`;
//! 7. the shifts inserted with their `inserted` history rows (after-image, cell reference);
//! 8. the row issues (`rejected`, `warning`), the final counts and status, and
//!    `pg_notify('schedule_imports', import_id)`, which fires when the caller commits.
//!
//! Nothing here logs names, phones or cell contents: ids and counts only.

use super::{ImportMode, ImportOutcome, ImportRequest, ImportStatus};
use crate::schedule::{Issue, Plan, Severity};
use chrono::{NaiveDate, NaiveTime};
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use uuid::Uuid;

/// The channel notified with the import id when an import (or a revert) commits.
pub const NOTIFY_CHANNEL: &str = "schedule_imports";

/// Shifts written per statement: large enough to be bulk, small enough to bound the size of
/// one statement's parameters.
const CHUNK: usize = 10_000;

/// A failure to write an import. Bad data never ends up here: it becomes a `failed` import.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The database refused or lost a statement; the transaction must be rolled back.
    #[error("database error while writing the import: {0}")]
    Database(#[from] sqlx::Error),
}

impl WriteError {
    /// Whether running the same import again later may succeed: the connection was lost, the
    /// server is shutting down or overloaded, or the transaction lost a serialization or
    /// deadlock race. Constraint violations and other errors caused by the data are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            WriteError::Database(e) => is_retryable_sqlx(e),
        }
    }
}

/// [`WriteError::is_retryable`] for a bare sqlx error (shared with revert).
pub(crate) fn is_retryable_sqlx(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available,
            // class 08 connection exceptions, 53 insufficient resources, 57P0x shutdown.
            matches!(
                code.as_str(),
                "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03"
            ) || code.starts_with("08")
                || code.starts_with("53")
        }
        _ => false,
    }
}

/// Progress of a write, reported after each bulk statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteProgress {
    /// Shifts written so far.
    pub rows_done: usize,
    /// Shifts to write in all.
    pub rows_total: usize,
}

/// Write one import on `conn`, inside the transaction the caller opened.
///
/// `planned` is the result of planning the file: an `Err` (unreadable file, no template fits,
/// …) is recorded as a `failed` import and returned as an outcome, not as an error. Only
/// database failures are `Err`; then the caller rolls back (see [`WriteError::is_retryable`]).
pub async fn write_import<E: fmt::Display>(
    conn: &mut PgConnection,
    req: &ImportRequest,
    planned: Result<Plan, E>,
) -> Result<ImportOutcome, WriteError> {
    write_import_with_progress(conn, req, planned, None, &|_| {}).await
}

/// [`write_import`] with a progress callback (the CLI's progress line, the job row's counter)
/// and, for reprocessing, the import this one redoes.
pub async fn write_import_with_progress<E: fmt::Display>(
    conn: &mut PgConnection,
    req: &ImportRequest,
    planned: Result<Plan, E>,
    reprocess_of: Option<Uuid>,
    progress: &(dyn Fn(WriteProgress) + Sync),
) -> Result<ImportOutcome, WriteError> {
    lock_content(conn, &req.sha256).await?;

    let format = match &planned {
        Ok(plan) => plan.format.as_str().to_string(),
        Err(_) => extension_of(&req.file_name),
    };
    let import_id: Uuid = sqlx::query_scalar(
        "INSERT INTO document_imports
            (file_name, file_size, sha256, format, source, template, mode, status, job_id,
             created_by, requested_template, requested_store_number, reprocess_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9, $6, $10, $11)
         RETURNING id",
    )
    .bind(&req.file_name)
    .bind(req.file_size)
    .bind(&req.sha256)
    .bind(&format)
    .bind(req.source.as_str())
    .bind(&req.template)
    .bind(req.mode.as_str())
    .bind(req.job_id)
    .bind(&req.created_by)
    .bind(req.store_number)
    .bind(reprocess_of)
    .fetch_one(&mut *conn)
    .await?;

    let mut plan = match planned {
        Ok(plan) => plan,
        Err(e) => {
            let message = e.to_string();
            let mut w = Writer::new(conn, import_id);
            w.history_plain("rejected", Some("file_refused"), &message)
                .await?;
            return w
                .finish(Finish {
                    status: ImportStatus::Failed,
                    template: req.template.clone(),
                    error: Some(message),
                    ..Finish::default()
                })
                .await;
        }
    };

    if !req.force {
        let earlier: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM document_imports
             WHERE sha256 = $1 AND id <> $2 AND status IN ('succeeded', 'partial')
               AND reverted_at IS NULL
             ORDER BY created_at LIMIT 1",
        )
        .bind(&req.sha256)
        .bind(import_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(earlier) = earlier {
            let message = format!(
                "the same file content was already imported (import {earlier}); nothing was \
                 imported again (use --force to import it anyway)"
            );
            let mut w = Writer::new(conn, import_id);
            w.history_plain("duplicate", None, &message).await?;
            return w
                .finish(Finish {
                    status: ImportStatus::Duplicate,
                    template: Some(plan.template.clone()),
                    error: Some(message),
                    ..Finish::default()
                })
                .await;
        }
    }

    if let Some(n) = req.store_number {
        for s in &mut plan.shifts {
            s.store_number = n;
        }
    }
    let rows_rejected = plan.error_count() as i64;
    let rows_total = plan.shifts.len() as i64 + rows_rejected;
    let store_numbers: Vec<i32> = plan
        .shifts
        .iter()
        .map(|s| s.store_number)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let date_from = plan.shifts.iter().map(|s| s.date).min();
    let date_to = plan.shifts.iter().map(|s| s.date).max();
    let refused = |error: String, issues: Vec<Issue>| Finish {
        status: ImportStatus::Failed,
        template: Some(plan.template.clone()),
        error: Some(error),
        rows_total,
        rows_rejected: rows_total,
        store_numbers: store_numbers.clone(),
        date_from,
        date_to,
        issues,
        ..Finish::default()
    };

    if plan.shifts.is_empty() {
        let error = if rows_rejected > 0 {
            format!("no row could be imported: all {rows_rejected} rows were rejected")
        } else {
            "the file holds no shifts that could be read".to_string()
        };
        let finish = refused(error, plan.issues.clone());
        let mut w = Writer::new(conn, import_id);
        w.issues(&finish.issues).await?;
        return w.finish(finish).await;
    }

    // Stores: every store number must be known, or the whole file is refused.
    let known: Vec<(i32, Uuid)> =
        sqlx::query_as("SELECT store_number, id FROM stores WHERE store_number = ANY($1)")
            .bind(&store_numbers)
            .fetch_all(&mut *conn)
            .await?;
    let store_ids: HashMap<i32, Uuid> = known.into_iter().collect();
    let unknown: Vec<i32> = store_numbers
        .iter()
        .copied()
        .filter(|n| !store_ids.contains_key(n))
        .collect();
    if !unknown.is_empty() {
        let list = unknown
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, verb) = if unknown.len() == 1 {
            ("store number", "is")
        } else {
            ("store numbers", "are")
        };
        let error = format!(
            "{noun} {list} {verb} not in the stores table; nothing was imported (add the store, \
             or correct the store number in the file or with --store)"
        );
        let mut issues = plan.issues.clone();
        for n in &unknown {
            let cell = plan
                .shifts
                .iter()
                .find(|s| s.store_number == *n)
                .map(|s| s.source.clone());
            issues.push(Issue::error(
                "unknown_store",
                cell,
                format!("store number {n} is not a known store"),
            ));
        }
        let finish = refused(error, issues);
        let mut w = Writer::new(conn, import_id);
        w.issues(&finish.issues).await?;
        return w.finish(finish).await;
    }

    // Serialise imports that touch the same stores (sorted: no lock-order deadlocks).
    let mut locked: Vec<Uuid> = store_ids.values().copied().collect();
    locked.sort();
    for id in &locked {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("pharmacy-ingest:store:{id}"))
            .execute(&mut *conn)
            .await?;
    }

    let mut issues = plan.issues.clone();
    let links = link_contacts(conn, &plan, &mut issues).await?;

    let mut rows = ShiftColumns::default();
    for (i, s) in plan.shifts.iter().enumerate() {
        let link = &links[i];
        rows.id.push(Uuid::new_v4());
        rows.store_id.push(store_ids[&s.store_number]);
        rows.name.push(s.employee_name.to_string());
        rows.phone.push(link.phone.clone());
        rows.date.push(s.date);
        rows.start.push(s.start);
        rows.end.push(s.end);
        rows.position
            .push(s.position.as_deref().map(str::to_string));
        rows.notes.push(s.notes.clone());
        rows.contact_id.push(link.contact_id);
        rows.cell.push(s.source.to_string());
    }

    let mut rows_replaced = 0i64;
    let mut skipped = 0usize;
    match req.mode {
        ImportMode::Replace => {
            let mut span: BTreeMap<Uuid, (NaiveDate, NaiveDate)> = BTreeMap::new();
            for (sid, d) in rows.store_id.iter().zip(&rows.date) {
                let e = span.entry(*sid).or_insert((*d, *d));
                e.0 = e.0.min(*d);
                e.1 = e.1.max(*d);
            }
            let sids: Vec<Uuid> = span.keys().copied().collect();
            let froms: Vec<NaiveDate> = span.values().map(|v| v.0).collect();
            let tos: Vec<NaiveDate> = span.values().map(|v| v.1).collect();
            rows_replaced = sqlx::query(
                "WITH cov AS (
                     SELECT * FROM UNNEST($2::uuid[], $3::date[], $4::date[]) AS c(store_id, d0, d1)
                 ), del AS (
                     DELETE FROM store_schedules s USING cov
                     WHERE s.store_id = cov.store_id AND s.schedule_date BETWEEN cov.d0 AND cov.d1
                     RETURNING s.*
                 )
                 INSERT INTO import_history (import_id, attempt, action, message, schedule_id, before)
                 SELECT $1, 1, 'replaced', 'replaced by this import', del.id, to_jsonb(del) FROM del",
            )
            .bind(import_id)
            .bind(&sids)
            .bind(&froms)
            .bind(&tos)
            .execute(&mut *conn)
            .await?
            .rows_affected() as i64;
        }
        ImportMode::Append => {
            let dup: Vec<i64> = sqlx::query_scalar(
                "SELECT c.i FROM UNNEST($1::uuid[], $2::date[], $3::text[], $4::time[], $5::time[])
                     WITH ORDINALITY AS c(store_id, d, n, s, e, i)
                 WHERE EXISTS (
                     SELECT 1 FROM store_schedules x
                     WHERE x.store_id = c.store_id AND x.schedule_date = c.d
                       AND pharmacy_name_key(x.employee_name) = pharmacy_name_key(c.n)
                       AND x.shift_start IS NOT DISTINCT FROM c.s
                       AND x.shift_end IS NOT DISTINCT FROM c.e)",
            )
            .bind(&rows.store_id)
            .bind(&rows.date)
            .bind(&rows.name)
            .bind(&rows.start)
            .bind(&rows.end)
            .fetch_all(&mut *conn)
            .await?;
            if !dup.is_empty() {
                let dup: BTreeSet<usize> = dup.into_iter().map(|i| (i - 1) as usize).collect();
                let cells: Vec<String> = dup.iter().map(|&i| rows.cell[i].clone()).collect();
                skipped = cells.len();
                sqlx::query(
                    "INSERT INTO import_history (import_id, attempt, action, code, cell_ref, message)
                     SELECT $1, 1, 'skipped', 'already_stored', c, 'the same shift is already stored'
                     FROM UNNEST($2::text[]) AS c",
                )
                .bind(import_id)
                .bind(&cells)
                .execute(&mut *conn)
                .await?;
                rows = rows.without(&dup);
            }
        }
    }

    let total = rows.id.len();
    progress(WriteProgress {
        rows_done: 0,
        rows_total: total,
    });
    let mut done = 0;
    while done < total {
        let end = (done + CHUNK).min(total);
        sqlx::query(
            "WITH ins AS (
                 INSERT INTO store_schedules
                     (id, store_id, employee_name, employee_phone, schedule_date, shift_start,
                      shift_end, position, notes, import_id, contact_id)
                 SELECT id, store_id, name, phone, d, s, e, pos, notes, $1, contact_id
                 FROM UNNEST($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::date[],
                             $7::time[], $8::time[], $9::text[], $10::text[], $11::uuid[])
                      AS u(id, store_id, name, phone, d, s, e, pos, notes, contact_id)
                 RETURNING *
             )
             INSERT INTO import_history (import_id, attempt, action, cell_ref, schedule_id, after)
             SELECT $1, 1, 'inserted', c.cell_ref, ins.id, to_jsonb(ins)
             FROM ins JOIN UNNEST($2::uuid[], $12::text[]) AS c(id, cell_ref) ON c.id = ins.id",
        )
        .bind(import_id)
        .bind(&rows.id[done..end])
        .bind(&rows.store_id[done..end])
        .bind(&rows.name[done..end])
        .bind(&rows.phone[done..end])
        .bind(&rows.date[done..end])
        .bind(&rows.start[done..end])
        .bind(&rows.end[done..end])
        .bind(&rows.position[done..end])
        .bind(&rows.notes[done..end])
        .bind(&rows.contact_id[done..end])
        .bind(&rows.cell[done..end])
        .execute(&mut *conn)
        .await?;
        done = end;
        progress(WriteProgress {
            rows_done: done,
            rows_total: total,
        });
    }

    let mut w = Writer::new(conn, import_id);
    w.issues(&issues).await?;
    w.finish(Finish {
        status: if rows_rejected > 0 {
            ImportStatus::Partial
        } else {
            ImportStatus::Succeeded
        },
        template: Some(plan.template.clone()),
        error: None,
        rows_total,
        rows_imported: total as i64,
        rows_rejected,
        rows_replaced,
        rows_skipped: skipped as i64,
        store_numbers,
        date_from,
        date_to,
        issues,
    })
    .await
}

/// Take the transaction-scoped lock on a file content (sha256) that every write of that
/// content takes first; re-entrant within one transaction. Reprocessing takes it before it
/// reverts (which locks stores), so the lock order is always content, then stores.
pub async fn lock_content(conn: &mut PgConnection, sha256: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("pharmacy-ingest:file:{sha256}"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The file's extension in lower case, as the format of a file that could not be read.
fn extension_of(file_name: &str) -> String {
    std::path::Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The shifts to insert, column by column (the UNNEST parameters).
#[derive(Default)]
struct ShiftColumns {
    id: Vec<Uuid>,
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
    /// The same columns without the rows at the given indexes.
    fn without(self, drop: &BTreeSet<usize>) -> ShiftColumns {
        fn keep<T>(v: Vec<T>, drop: &BTreeSet<usize>) -> Vec<T> {
            v.into_iter()
                .enumerate()
                .filter(|(i, _)| !drop.contains(i))
                .map(|(_, x)| x)
                .collect()
        }
        ShiftColumns {
            id: keep(self.id, drop),
            store_id: keep(self.store_id, drop),
            name: keep(self.name, drop),
            phone: keep(self.phone, drop),
            date: keep(self.date, drop),
            start: keep(self.start, drop),
            end: keep(self.end, drop),
            position: keep(self.position, drop),
            notes: keep(self.notes, drop),
            contact_id: keep(self.contact_id, drop),
            cell: keep(self.cell, drop),
        }
    }
}

/// The contact a shift's employee was linked to, and the phone stored with the shift.
#[derive(Debug, Clone, Default)]
struct Link {
    contact_id: Option<Uuid>,
    /// The contact's phone when linked (as stored in `contacts`, so row security that
    /// compares phones agrees), else the file's phone as given.
    phone: Option<String>,
}

/// Link every shift's employee to a contact: by phone (compared as E.164), then by name
/// (case-insensitive). An employee found neither way, or whose name matches several contacts,
/// gets one warning (at the first cell naming them). Returns one link per shift, in order.
async fn link_contacts(
    conn: &mut PgConnection,
    plan: &Plan,
    issues: &mut Vec<Issue>,
) -> Result<Vec<Link>, sqlx::Error> {
    let phones: Vec<String> = plan
        .shifts
        .iter()
        .filter_map(|s| s.employee_phone.clone())
        .filter(|p| !p.trim().is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let names: Vec<String> = plan
        .shifts
        .iter()
        .map(|s| s.employee_name.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    // File phone → the one contact whose normalised phone matches.
    let by_phone_rows: Vec<(String, Uuid, String)> = sqlx::query_as(
        "SELECT f.p, c.id, c.phone
         FROM UNNEST($1::text[]) AS f(p)
         JOIN contacts c ON pharmacy_phone_e164(c.phone) = pharmacy_phone_e164(f.p)",
    )
    .bind(&phones)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_phone: HashMap<String, Vec<(Uuid, String)>> = HashMap::new();
    for (p, id, phone) in by_phone_rows {
        by_phone.entry(p).or_default().push((id, phone));
    }
    // File name → contacts with that name.
    let by_name_rows: Vec<(String, Uuid, String)> = sqlx::query_as(
        "SELECT f.n, c.id, c.phone
         FROM UNNEST($1::text[]) AS f(n)
         JOIN contacts c ON pharmacy_name_key(c.name) = pharmacy_name_key(f.n)",
    )
    .bind(&names)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_name: HashMap<String, Vec<(Uuid, String)>> = HashMap::new();
    for (n, id, phone) in by_name_rows {
        by_name.entry(n).or_default().push((id, phone));
    }

    let mut warned: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    let mut links = Vec::with_capacity(plan.shifts.len());
    for s in &plan.shifts {
        let file_phone = s
            .employee_phone
            .as_ref()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty());
        let phone_match = file_phone
            .as_ref()
            .and_then(|p| by_phone.get(p))
            .filter(|v| v.len() == 1)
            .map(|v| v[0].clone());
        let name_matches = by_name.get(&*s.employee_name).map(Vec::as_slice);
        let link = match (phone_match, name_matches) {
            (Some((id, phone)), _) => Link {
                contact_id: Some(id),
                phone: Some(phone),
            },
            (None, Some([(id, phone)])) => Link {
                contact_id: Some(*id),
                phone: file_phone.clone().or_else(|| Some(phone.clone())),
            },
            (None, other) => {
                let key = (s.employee_name.to_string(), file_phone.clone());
                if warned.insert(key) {
                    let message = match other {
                        Some(v) if v.len() > 1 => format!(
                            "the employee's name matches {} contacts and no phone number \
                             decides between them; the shifts are imported without a contact link",
                            v.len()
                        ),
                        _ => "the employee is not in contacts (no contact with this phone \
                              number or name); the shifts are imported without a contact link"
                            .to_string(),
                    };
                    issues.push(Issue::warning(
                        "unknown_employee",
                        Some(s.source.clone()),
                        message,
                    ));
                }
                Link {
                    contact_id: None,
                    phone: file_phone.clone(),
                }
            }
        };
        links.push(link);
    }
    Ok(links)
}

/// The final state written to `document_imports`.
struct Finish {
    status: ImportStatus,
    template: Option<String>,
    error: Option<String>,
    rows_total: i64,
    rows_imported: i64,
    rows_rejected: i64,
    rows_replaced: i64,
    rows_skipped: i64,
    store_numbers: Vec<i32>,
    date_from: Option<NaiveDate>,
    date_to: Option<NaiveDate>,
    issues: Vec<Issue>,
}

impl Default for Finish {
    fn default() -> Self {
        Finish {
            status: ImportStatus::Failed,
            template: None,
            error: None,
            rows_total: 0,
            rows_imported: 0,
            rows_rejected: 0,
            rows_replaced: 0,
            rows_skipped: 0,
            store_numbers: Vec::new(),
            date_from: None,
            date_to: None,
            issues: Vec::new(),
        }
    }
}

/// Writes the audit rows of one import.
struct Writer<'c> {
    conn: &'c mut PgConnection,
    import_id: Uuid,
}

impl<'c> Writer<'c> {
    fn new(conn: &'c mut PgConnection, import_id: Uuid) -> Self {
        Writer { conn, import_id }
    }

    /// One history row without a cell (a refused file, a duplicate).
    async fn history_plain(
        &mut self,
        action: &str,
        code: Option<&str>,
        message: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO import_history (import_id, attempt, action, code, message)
             VALUES ($1, 1, $2, $3, $4)",
        )
        .bind(self.import_id)
        .bind(action)
        .bind(code)
        .bind(message)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    /// The row issues: errors as `rejected`, warnings as `warning`, in one statement.
    async fn issues(&mut self, issues: &[Issue]) -> Result<(), sqlx::Error> {
        if issues.is_empty() {
            return Ok(());
        }
        let actions: Vec<&str> = issues
            .iter()
            .map(|i| match i.severity {
                Severity::Error => "rejected",
                // A notice (an open shift) is recorded like a warning: nothing was rejected.
                Severity::Warning | Severity::Notice => "warning",
            })
            .collect();
        let codes: Vec<&str> = issues.iter().map(|i| i.code).collect();
        let cells: Vec<Option<String>> = issues
            .iter()
            .map(|i| i.cell.as_ref().map(|c| c.to_string()))
            .collect();
        let messages: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
        sqlx::query(
            "INSERT INTO import_history (import_id, attempt, action, code, cell_ref, message)
             SELECT $1, 1, a, c, r, m
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[]) AS u(a, c, r, m)",
        )
        .bind(self.import_id)
        .bind(&actions)
        .bind(&codes)
        .bind(&cells)
        .bind(&messages)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    /// Write the final counts and status, notify listeners (on commit), build the outcome.
    async fn finish(self, f: Finish) -> Result<ImportOutcome, WriteError> {
        let warnings = f
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
            .count() as i64;
        sqlx::query(
            "UPDATE document_imports SET
                 status = $2, template = $3, error = $4, rows_total = $5, rows_imported = $6,
                 rows_rejected = $7, rows_replaced = $8, warnings = $9, store_numbers = $10,
                 date_from = $11, date_to = $12, finished_at = now()
             WHERE id = $1",
        )
        .bind(self.import_id)
        .bind(f.status.as_str())
        .bind(&f.template)
        .bind(&f.error)
        .bind(f.rows_total)
        .bind(f.rows_imported)
        .bind(f.rows_rejected)
        .bind(f.rows_replaced)
        .bind(warnings)
        .bind(&f.store_numbers)
        .bind(f.date_from)
        .bind(f.date_to)
        .execute(&mut *self.conn)
        .await?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(NOTIFY_CHANNEL)
            .bind(self.import_id.to_string())
            .execute(&mut *self.conn)
            .await?;
        // Debug: the callers log the committed outcome (the worker at info, the CLI prints it).
        tracing::debug!(
            import_id = %self.import_id,
            status = f.status.as_str(),
            rows_imported = f.rows_imported,
            rows_rejected = f.rows_rejected,
            rows_replaced = f.rows_replaced,
            rows_skipped = f.rows_skipped,
            warnings,
            "import written"
        );
        Ok(ImportOutcome {
            import_id: self.import_id,
            status: f.status,
            template: f.template,
            rows_imported: f.rows_imported,
            rows_rejected: f.rows_rejected,
            rows_replaced: f.rows_replaced,
            warnings,
            error: f.error,
            issues: f.issues,
        })
    }
}
