//! The transactional write of one import: the `document_imports` row, the shifts in
//! `store_schedules`, and the audit rows, all on a connection whose transaction the caller
//! opened (and commits).
//!
//! Order of work, each step one bulk statement (UNNEST arrays, never a statement per row):
//! 1. a transaction-scoped advisory lock on the file's sha256 (two workers given the same
//!    content serialise, so the second one sees the first as a duplicate);
//! 2. the `document_imports` row (`processing`);
//! 3. a refused plan, a duplicate, an empty plan, a file naming another store than its
//!    per-store inbox, or a file naming only unknown stores ends here as `failed` /
//!    `duplicate`, with its history rows;
//! 4. advisory locks on the known stores touched (sorted, so concurrent imports cannot
//!    deadlock); the rows of unknown stores in a multi-store file are rejected, one
//!    `unknown_store` error per store;
//! 5. contacts linked per store, by phone when the file has one, else by name (a name shared
//!    by several contacts goes to the one with shifts at the store); unknown employees become
//!    warnings ([`super::contacts`]; a small import's lookup is made by step 2's statement);
//! 6. `replace`: the stored shifts of each store for the date span the file covers are summed
//!    up per store, day and employee ([`super::replace`]; a day left with nobody or an
//!    employee dropped is a warning) and deleted in the same statement, each one's full
//!    before-image written to `import_history` (`replaced`); with `hold_risky_replace` the sum
//!    comes first and a risky import ends here as `held`; `append`: shifts identical to stored
//!    ones are `skipped`;
//! 7. the shifts inserted, each with its import id and source cell (the lean audit: no history
//!    row per inserted shift; `audit_log` holds its row image), then one `import_store_dates`
//!    row per store-day changed (what revert locks and compares with later imports);
//! 8. the row issues (`rejected`, `warning`), the final counts, status and replace summary,
//!    and `pg_notify('schedule_imports', import_id)`, which fires when the caller commits;
//!    for a queue job ([`ClaimedJob`]), the same statement completes the job while its claim
//!    holds (else the write ends with [`WriteError::ClaimLost`] and the caller rolls back).
//!
//! In a batch of small imports ([`super::batch`]), steps 7 and 8 are collected instead
//! ([`Sink::Defer`]) and written for the whole batch in one statement
//! ([`super::deferred`]), and step 4's stores come from the batch's lock statement.
//!
//! Nothing here logs names, phones or cell contents: ids and counts only.

use super::contacts::{ContactColumns, Links, Prefetched, link_contacts};
use super::copy::{COPY_MIN_ROWS, COPY_SHIFTS, COPY_STAGED, CopyBuf, CopyShift};
use super::deferred::{Deferred, End, ShiftColumns};
use super::replace::ReplaceEffects;
use super::{ImportMode, ImportOutcome, ImportRequest, ImportStatus};
use crate::schedule::{Issue, Plan, Severity, Shift};
use chrono::NaiveDate;
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
    /// The queue job's claim was gone when the import finished (the job was rescued,
    /// cancelled or finished elsewhere); the transaction must be rolled back.
    #[error("the claim on job {0} was lost before its import finished")]
    ClaimLost(Uuid),
}

/// The queue job an import finishes: its last statement completes the job, only while this
/// claim holds (the queue's completion, `queue::lease::complete_in_tx`, in the same statement
/// as the import's end: one round trip fewer per job).
#[derive(Debug, Clone, Copy)]
pub struct ClaimedJob {
    pub job_id: Uuid,
    pub lease_token: Uuid,
    /// The shifts the job's plan held (the job's `rows_total`).
    pub rows_total: i64,
}

impl WriteError {
    /// Whether running the same import again later may succeed: the connection was lost, the
    /// server is shutting down or overloaded, or the transaction lost a serialization or
    /// deadlock race. Constraint violations and other errors caused by the data are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            WriteError::Database(e) => crate::db::retry::is_transient(e),
            WriteError::ClaimLost(_) => false,
        }
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
    let locked = lock_content(conn, &req.sha256).await?;
    write_import_with_progress(conn, &locked, req, planned, None, None, &|_| {}).await
}

/// Proof that the transaction holds the lock on a file content ([`lock_content`],
/// [`super::files::save_and_lock`]): a write takes it as an argument, so no write can start
/// without the lock that keeps two imports of one content from both succeeding.
#[derive(Debug)]
pub struct ContentLocked {
    sha256: String,
}

impl ContentLocked {
    /// Only the functions that take the lock make one.
    pub(super) fn new(sha256: &str) -> Self {
        ContentLocked {
            sha256: sha256.to_string(),
        }
    }
}

/// [`write_import`] with a progress callback (the CLI's progress line, the job row's counter),
/// for reprocessing the import this one redoes, and for the worker the job it completes.
pub async fn write_import_with_progress<E: fmt::Display>(
    conn: &mut PgConnection,
    locked: &ContentLocked,
    req: &ImportRequest,
    planned: Result<Plan, E>,
    reprocess_of: Option<Uuid>,
    job: Option<ClaimedJob>,
    progress: &(dyn Fn(WriteProgress) + Sync),
) -> Result<ImportOutcome, WriteError> {
    let sink = Sink::Now(progress);
    write_import_into(conn, locked, req, planned, reprocess_of, job, sink).await
}

/// Where an import's shifts and its end go: written by its own statements, or collected for
/// the caller to write with other imports' ([`Deferred`]).
pub enum Sink<'s> {
    /// Written now, progress reported after each bulk statement.
    Now(&'s (dyn Fn(WriteProgress) + Sync)),
    /// Collected: a batch of small imports of distinct stores writes all their shifts and all
    /// their ends in one statement before it commits ([`Deferred::write`]).
    /// Nothing the later imports of the batch read (their stores' shifts) is among them.
    Defer(&'s mut Deferred),
}

/// [`write_import_with_progress`], with the shifts sent to `sink`.
pub async fn write_import_into<E: fmt::Display>(
    conn: &mut PgConnection,
    locked: &ContentLocked,
    req: &ImportRequest,
    planned: Result<Plan, E>,
    reprocess_of: Option<Uuid>,
    job: Option<ClaimedJob>,
    sink: Sink<'_>,
) -> Result<ImportOutcome, WriteError> {
    assert_eq!(
        locked.sha256, req.sha256,
        "the lock is on this file's content"
    );
    let format = match &planned {
        Ok(plan) => plan.format.as_str().to_string(),
        Err(_) => extension_of(&req.file_name),
    };
    let lists = planned
        .as_ref()
        .ok()
        .and_then(|p| Prefetched::lists(p, GENERIC_PLANS_UP_TO));
    let row = insert_import_row(conn, req, &format, reprocess_of, lists.as_ref()).await?;
    let (import_id, earlier, earlier_at) = (row.0, row.1, row.2);
    let contacts = lists.map(|(phones, names)| Prefetched::new(&phones, &names, row.3));
    let mut w = Writer::new(conn, import_id, job, sink);
    let mut plan = match planned {
        Ok(plan) => plan,
        Err(e) => {
            let message = e.to_string();
            w.history_plain("rejected", Some("file_refused"), &message);
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
    if let (false, Some(earlier)) = (req.force, earlier) {
        let message = format!(
            "the same file content was already imported (import {earlier}); nothing was \
             imported again (use --force to import it anyway)"
        );
        w.history_plain("duplicate", None, &message);
        return w
            .finish(Finish {
                status: ImportStatus::Duplicate,
                template: Some(plan.template.clone()),
                error: Some(message),
                duplicate_of: earlier_at.map(|at| (earlier, at)),
                ..Finish::default()
            })
            .await;
    }
    if let Some(n) = req.store_number {
        for s in &mut plan.shifts {
            s.store_number = n;
        }
    }
    let summary = Summary::of(&plan);
    if plan.shifts.is_empty() {
        let error = if summary.rows_rejected > 0 {
            format!(
                "no row could be imported: all {} rows were rejected",
                summary.rows_rejected
            )
        } else {
            "the file holds no shifts that could be read".to_string()
        };
        let finish = summary.refused(&plan, error, plan.issues.clone());
        return w.finish(finish).await;
    }
    write_shifts(w, req, plan, summary, contacts.as_ref()).await
}

/// Steps 4 to 8 for a plan with shifts: lock the stores (or refuse the file), link the
/// contacts, replace (or hold) or skip, insert, and finish.
async fn write_shifts(
    mut w: Writer<'_, '_>,
    req: &ImportRequest,
    mut plan: Plan,
    mut summary: Summary,
    contacts: Option<&Prefetched>,
) -> Result<ImportOutcome, WriteError> {
    let import_id = w.import_id;
    let locked = match &w.sink {
        Sink::Defer(d) => Some(&d.stores),
        Sink::Now(_) => None,
    };
    let store_ids = match known_stores(w.conn, req, &mut plan, &mut summary, locked).await? {
        Ok(ids) => ids,
        Err(refused) => return w.finish(*refused).await,
    };
    let mut issues = std::mem::take(&mut plan.issues);
    let links = link_contacts(w.conn, &plan, &mut issues, &store_ids, contacts).await?;
    let sid = |s: &Shift| store_ids[&s.store_number];
    let mut keep = vec![true; plan.shifts.len()];
    let mut replaced = ReplaceEffects::default();
    let (rows_replaced, skipped) = match req.mode {
        ImportMode::Replace => {
            let r = replace_checked(w.conn, req, import_id, &plan, &sid, &store_ids).await?;
            issues.extend(r.effects.warnings());
            if r.held {
                return w.finish(summary.held(&plan, issues, r.effects)).await;
            }
            replaced = r.effects;
            (r.rows_replaced, 0)
        }
        ImportMode::Append => {
            let cells = skip_identical(w.conn, &plan, &sid, &mut keep).await?;
            let n = cells.len();
            for c in cells {
                w.history
                    .push(("skipped", Some("already_stored"), Some(c), SKIPPED.into()));
            }
            (0, n)
        }
    };
    let rows = Rows {
        import_id,
        shifts: &plan.shifts,
        keep: &keep,
        links: &links,
        store_id: &sid,
    };
    match &mut w.sink {
        Sink::Now(progress) => insert_shifts(w.conn, &rows, *progress).await?,
        Sink::Defer(deferred) => {
            rows.push_to(&mut deferred.shifts, &rows.iter().collect::<Vec<_>>())
        }
    }
    w.days = rows.store_days();
    let total = plan.shifts.len() - skipped;
    // The shifts are written: a million of them need not wait beside the history rows.
    drop((links, keep, plan.shifts));
    w.finish(Finish {
        status: if summary.rows_rejected > 0 {
            ImportStatus::Partial
        } else {
            ImportStatus::Succeeded
        },
        template: Some(plan.template),
        error: None,
        rows_total: summary.rows_total,
        rows_imported: total as i64,
        rows_rejected: summary.rows_rejected,
        rows_replaced,
        rows_skipped: skipped as i64,
        store_numbers: summary.store_numbers,
        date_from: summary.date_from,
        date_to: summary.date_to,
        issues,
        duplicate_of: None,
        replaced,
    })
    .await
}

/// Step 4: the file's known stores, locked (`locked`: by the batch this import is written in).
/// A file for another store than its per-store inbox, or naming only unknown stores, is
/// refused (`Err`: how it finishes); the rows of unknown stores in a multi-store file are
/// taken out of `plan` as rejected rows.
async fn known_stores(
    conn: &mut PgConnection,
    req: &ImportRequest,
    plan: &mut Plan,
    summary: &mut Summary,
    locked: Option<&HashMap<i32, Uuid>>,
) -> Result<Result<HashMap<i32, Uuid>, Box<Finish>>, sqlx::Error> {
    if let Some((error, issues)) = wrong_inbox(req, &summary.store_numbers, plan) {
        return Ok(Err(Box::new(summary.refused(plan, error, issues))));
    }
    let small = plan.shifts.len() <= GENERIC_PLANS_UP_TO;
    let ids = match locked {
        // Locked (and generic plans set) by the batch this import is written in.
        Some(locked) => summary
            .store_numbers
            .iter()
            .filter_map(|n| Some((*n, *locked.get(n)?)))
            .collect(),
        None => lock_stores(conn, &summary.store_numbers, small).await?,
    };
    let unknown: Vec<i32> = summary
        .store_numbers
        .iter()
        .copied()
        .filter(|n| !ids.contains_key(n))
        .collect();
    if ids.is_empty() {
        let (error, issues) = unknown_stores(plan, &unknown);
        return Ok(Err(Box::new(summary.refused(plan, error, issues))));
    }
    if !unknown.is_empty() {
        summary.rows_rejected += drop_unknown_stores(plan, &ids);
        summary.store_numbers.retain(|n| ids.contains_key(n));
        summary.date_from = plan.shifts.iter().map(|s| s.date).min();
        summary.date_to = plan.shifts.iter().map(|s| s.date).max();
    }
    Ok(Ok(ids))
}

/// The message of a `skipped` history row.
const SKIPPED: &str = "the same shift is already stored";

/// When an earlier import of the same content was made.
type EarlierAt = Option<chrono::DateTime<chrono::Utc>>;

/// The new import's id, the earlier import of the same content that still stands and when it
/// was made, and the contacts found for the lists sent ([`Prefetched`]).
type ImportRow = (Uuid, Option<Uuid>, EarlierAt, ContactColumns);

/// Insert the `document_imports` row (`processing`) and, in the same statement, look for an
/// earlier import of the same content that still stands, and when it was made (the content
/// lock is held, so the statement's snapshot sees every committed import of it); with
/// `contacts` (a small plan's file phones and names), look them up too (a round trip fewer
/// than `contacts::find_contacts`' own statement; nothing when the import ends early).
async fn insert_import_row(
    conn: &mut PgConnection,
    req: &ImportRequest,
    format: &str,
    reprocess_of: Option<Uuid>,
    contacts: Option<&(Vec<&str>, Vec<&str>)>,
) -> Result<ImportRow, sqlx::Error> {
    type Row = (
        Uuid,
        Option<Uuid>,
        EarlierAt,
        Option<Vec<i16>>,
        Option<Vec<i64>>,
        Option<Vec<Option<Uuid>>>,
        Option<Vec<Option<String>>>,
    );
    let row: Row = sqlx::query_as(concat!(
        "WITH ins AS (
             INSERT INTO document_imports
                (file_name, file_size, sha256, format, source, template, mode, status, job_id,
                 created_by, requested_template, requested_store_number, reprocess_of)
             VALUES ($3, $4, $5, $6, $7, $8, $9, 'processing', $10, $11, $8, $12, $13)
             RETURNING id
         ), known AS (",
        crate::contacts_lookup_sql!(),
        ")
         SELECT ins.id, e.id, e.created_at, k.kinds, k.places, k.ids, k.phones
         FROM ins LEFT JOIN LATERAL (
             SELECT d.id, d.created_at FROM document_imports d
             WHERE d.sha256 = $5 AND d.status IN ('succeeded', 'partial')
               AND d.reverted_at IS NULL
             ORDER BY d.created_at LIMIT 1) e ON true
         CROSS JOIN (SELECT array_agg(kind) AS kinds, array_agg(i) AS places,
                            array_agg(id) AS ids, array_agg(phone) AS phones
                     FROM known) k",
    ))
    .bind(contacts.map(|c| &c.0))
    .bind(contacts.map(|c| &c.1))
    .bind(&req.file_name)
    .bind(req.file_size)
    .bind(&req.sha256)
    .bind(format)
    .bind(req.source.as_str())
    .bind(&req.template)
    .bind(req.mode.as_str())
    .bind(req.job_id)
    .bind(&req.created_by)
    .bind(req.store_number)
    .bind(reprocess_of)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.0, row.1, row.2, (row.3, row.4, row.5, row.6)))
}

/// Counts and spans of a plan, for the final `document_imports` row.
struct Summary {
    rows_total: i64,
    rows_rejected: i64,
    store_numbers: Vec<i32>,
    date_from: Option<NaiveDate>,
    date_to: Option<NaiveDate>,
}

impl Summary {
    fn of(plan: &Plan) -> Summary {
        let rows_rejected = plan.error_count() as i64;
        Summary {
            rows_total: plan.shifts.len() as i64 + rows_rejected,
            rows_rejected,
            store_numbers: plan
                .shifts
                .iter()
                .map(|s| s.store_number)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            date_from: plan.shifts.iter().map(|s| s.date).min(),
            date_to: plan.shifts.iter().map(|s| s.date).max(),
        }
    }

    /// A replace held for approval: nothing written to the schedule yet.
    fn held(&self, plan: &Plan, issues: Vec<Issue>, replaced: ReplaceEffects) -> Finish {
        Finish {
            status: ImportStatus::Held,
            template: Some(plan.template.clone()),
            error: Some(
                "held for an operator's approval: replacing the stored shifts would leave a day \
                 with nobody scheduled or drop an employee; nothing was written yet (approve \
                 with `pharmacy-ingest imports approve ID`)"
                    .to_string(),
            ),
            rows_total: self.rows_total,
            rows_rejected: self.rows_rejected,
            store_numbers: self.store_numbers.clone(),
            date_from: self.date_from,
            date_to: self.date_to,
            issues,
            replaced,
            ..Finish::default()
        }
    }

    /// A refused import: nothing written, every row counted as rejected.
    fn refused(&self, plan: &Plan, error: String, issues: Vec<Issue>) -> Finish {
        Finish {
            status: ImportStatus::Failed,
            template: Some(plan.template.clone()),
            error: Some(error),
            rows_total: self.rows_total,
            rows_rejected: self.rows_total,
            store_numbers: self.store_numbers.clone(),
            date_from: self.date_from,
            date_to: self.date_to,
            issues,
            ..Finish::default()
        }
    }
}

/// Imports of up to this many shifts run their statements on generic plans (see
/// [`lock_stores`]).
pub(super) const GENERIC_PLANS_UP_TO: usize = 1_000;

/// The plan settings of a small import's transaction (an SQL expression; see
/// [`lock_stores`]): generic plans, reached by key only. A generic plan is made once per
/// connection and kept until the tables are analyzed, so it must not depend on how large the
/// tables looked when it was made: in a young database (the first minute, before autovacuum's
/// first `ANALYZE`) every table looks empty, and the plans made then scanned `store_schedules`,
/// `document_imports` and the running jobs whole and hashed them, for every later import on
/// that connection (after a burst of 2,000 jobs, a one-shift job's replace and end took
/// 3.4 ms; 1.6 ms with these plans and the job's completion found by key). A small import
/// touches a few rows by key, so sequential scans, hash joins and merge joins are off: its
/// plans are nested loops over index lookups whatever the statistics say.
#[macro_export]
#[doc(hidden)]
macro_rules! small_import_plans_sql {
    () => {
        "set_config('plan_cache_mode', 'force_generic_plan', true) \
         || set_config('enable_seqscan', 'off', true) \
         || set_config('enable_hashjoin', 'off', true) \
         || set_config('enable_mergejoin', 'off', true)"
    };
}

/// The ids of the known stores among `numbers`, each locked for the transaction (in id order,
/// in one statement: concurrent imports and reverts of one store serialise and cannot
/// deadlock). A number not in `stores` is left out.
///
/// With `generic_plans` (a small import), the same statement sets `plan_cache_mode` to
/// `force_generic_plan` for the rest of the transaction: the contact lookup's custom plan
/// looked cheaper than its generic one for every small file, so PostgreSQL planned it afresh
/// each time (0.45 ms of a one-shift job's 3 ms in the database; executing it took 0.04 ms);
/// and it keeps those plans to index lookups ([`small_import_plans_sql`]). Large imports
/// keep custom plans, where the arrays' real sizes matter.
async fn lock_stores(
    conn: &mut PgConnection,
    numbers: &[i32],
    generic_plans: bool,
) -> Result<HashMap<i32, Uuid>, sqlx::Error> {
    // The stores in id order (OFFSET 0 keeps the subquery unflattened), each locked by the
    // nested loop in that order, with the key revert takes (`db::locks::store`).
    let known: Vec<(i32, Uuid)> = sqlx::query_as(concat!(
        "SELECT s.store_number, s.id
         FROM (SELECT store_number, id FROM stores WHERE store_number = ANY($1)
               ORDER BY id OFFSET 0) AS s
         CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(
             $2 || s.id::text, 0)),
             CASE WHEN $3 THEN ",
        crate::small_import_plans_sql!(),
        " END
         ) AS l",
    ))
    .bind(numbers)
    .bind(crate::db::locks::STORE_PREFIX)
    .bind(generic_plans)
    .fetch_all(&mut *conn)
    .await?;
    Ok(known.into_iter().collect())
}

/// The error and issues of a file naming stores that do not exist.
fn unknown_stores(plan: &Plan, unknown: &[i32]) -> (String, Vec<Issue>) {
    let (noun, verb) = if unknown.len() == 1 {
        ("store number", "is")
    } else {
        ("store numbers", "are")
    };
    let error = format!(
        "{noun} {} {verb} not in the stores table; nothing was imported (add the store, \
         or correct the store number in the file or with --store)",
        number_list(unknown)
    );
    let issues = issue_per_store(plan, unknown, "unknown_store", |n| {
        format!("store number {n} is not a known store")
    });
    (error, issues)
}

/// `1042, 2207`.
fn number_list(numbers: &[i32]) -> String {
    numbers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan's issues and one error `code` per store of `numbers`, at the first cell of that
/// store's shifts.
fn issue_per_store(
    plan: &Plan,
    numbers: &[i32],
    code: &'static str,
    message: impl Fn(i32) -> String,
) -> Vec<Issue> {
    let mut issues = plan.issues.clone();
    for &n in numbers {
        let cell = plan
            .shifts
            .iter()
            .find(|s| s.store_number == n)
            .map(|s| s.source.clone());
        issues.push(Issue::error(code, cell, message(n)));
    }
    issues
}

/// What the replace step did.
struct Replaced {
    /// Stored shifts deleted (their before-images are `replaced` history rows).
    rows_replaced: i64,
    effects: ReplaceEffects,
    /// The replace was risky and the request asked to hold it: nothing was deleted.
    held: bool,
}

/// A file dropped into a store's own inbox (`inbox/<store>/`) that names another store: the
/// refusal and one issue per other store (at the first cell of its shifts).
fn wrong_inbox(
    req: &ImportRequest,
    store_numbers: &[i32],
    plan: &Plan,
) -> Option<(String, Vec<Issue>)> {
    let inbox = req.inbox_store?;
    let others: Vec<i32> = store_numbers
        .iter()
        .copied()
        .filter(|n| *n != inbox)
        .collect();
    if others.is_empty() {
        return None;
    }
    let list = number_list(&others);
    let error = format!(
        "the file is for store {list} but was dropped into the inbox of store {inbox} \
         (inbox/{inbox}/); nothing was imported (drop it into that store's inbox, or correct \
         the store number in the file)"
    );
    let issues = issue_per_store(plan, &others, "wrong_store_inbox", |n| {
        format!("store number {n} is not the store of this inbox ({inbox})")
    });
    Some((error, issues))
}

/// Take the shifts of stores not in `known` out of `plan`, adding one `unknown_store` error per
/// store (at its first cell) that says how many rows it held. Returns how many shifts went.
fn drop_unknown_stores(plan: &mut Plan, known: &HashMap<i32, Uuid>) -> i64 {
    let mut dropped: BTreeMap<i32, (usize, crate::read::grid::CellRef)> = BTreeMap::new();
    plan.shifts.retain(|s| {
        if known.contains_key(&s.store_number) {
            return true;
        }
        dropped
            .entry(s.store_number)
            .or_insert_with(|| (0, s.source.clone()))
            .0 += 1;
        false
    });
    let mut total = 0;
    for (n, (count, cell)) in dropped {
        total += count as i64;
        let rows = if count == 1 {
            "its 1 row was".to_string()
        } else {
            format!("its {count} rows were")
        };
        plan.issues.push(Issue::error(
            "unknown_store",
            Some(cell),
            format!(
                "store number {n} is not a known store: {rows} not imported (add the store, or \
                 correct the number, then reprocess); the other stores' rows were imported"
            ),
        ));
    }
    total
}

/// `replace`: sum up what replacing each store's shifts for the file's date span removes (see
/// [`super::replace::effects`]) and, unless the replace is risky and to be held, delete those
/// shifts with their before-images.
async fn replace_checked(
    conn: &mut PgConnection,
    req: &ImportRequest,
    import_id: Uuid,
    plan: &Plan,
    sid: &(dyn Fn(&Shift) -> Uuid + Sync),
    store_ids: &HashMap<i32, Uuid>,
) -> Result<Replaced, sqlx::Error> {
    let mut span: BTreeMap<Uuid, (NaiveDate, NaiveDate)> = BTreeMap::new();
    for s in &plan.shifts {
        let e = span.entry(sid(s)).or_insert((s.date, s.date));
        e.0 = e.0.min(s.date);
        e.1 = e.1.max(s.date);
    }
    let numbers: HashMap<Uuid, i32> = store_ids.iter().map(|(n, id)| (*id, *n)).collect();
    let mut new = super::replace::NewShifts::default();
    for s in &plan.shifts {
        new.push(sid(s), s.date, &s.employee_name);
    }
    new.seal();
    // What the replace removes is summed up and deleted in one statement; when risky replaces
    // are held, the first statement only reads and a second one deletes once the replace is
    // found safe. The summary is kept by `finish`.
    let hold = req.hold_risky_replace;
    let delete = (!hold).then_some(import_id);
    let (effects, mut rows_replaced) =
        super::replace::effects(conn, &span, &new, &numbers, delete).await?;
    let held = hold && effects.is_risky();
    if hold && !held {
        let again = super::replace::effects(conn, &span, &new, &numbers, Some(import_id));
        rows_replaced = again.await?.1;
    }
    Ok(Replaced {
        rows_replaced,
        effects,
        held,
    })
}

/// `append`: mark the shifts identical to stored ones (store, date, employee name key, start,
/// end) as not to insert; returns their cells.
async fn skip_identical(
    conn: &mut PgConnection,
    plan: &Plan,
    sid: &(dyn Fn(&Shift) -> Uuid + Sync),
    keep: &mut [bool],
) -> Result<Vec<String>, sqlx::Error> {
    let sh = &plan.shifts;
    let dup: Vec<i64> = sqlx::query_scalar(
        "SELECT c.i FROM UNNEST($1::uuid[], $2::date[], $3::text[], $4::time[], $5::time[])
             WITH ORDINALITY AS c(store_id, d, n, s, e, i)
         WHERE EXISTS (
             SELECT 1 FROM store_schedules x
             WHERE x.store_id = c.store_id AND x.schedule_date = c.d
               AND pharmacy_name_key(x.employee_name) = pharmacy_name_key(c.n)
               AND x.shift_start IS NOT DISTINCT FROM c.s
               AND x.shift_end IS NOT DISTINCT FROM c.e)
         ORDER BY c.i",
    )
    .bind(sh.iter().map(sid).collect::<Vec<_>>())
    .bind(sh.iter().map(|s| s.date).collect::<Vec<_>>())
    .bind(sh.iter().map(|s| &*s.employee_name).collect::<Vec<_>>())
    .bind(sh.iter().map(|s| s.start).collect::<Vec<_>>())
    .bind(sh.iter().map(|s| s.end).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let mut cells = Vec::with_capacity(dup.len());
    for i in dup {
        let i = (i - 1) as usize;
        keep[i] = false;
        cells.push(sh[i].source.to_string());
    }
    Ok(cells)
}

/// Take the transaction-scoped lock on a file content (sha256) that every write of that
/// content takes first; re-entrant within one transaction. Reprocessing takes it before it
/// reverts (which locks stores), so the lock order is always content, then stores.
pub async fn lock_content(
    conn: &mut PgConnection,
    sha256: &str,
) -> Result<ContentLocked, sqlx::Error> {
    crate::db::locks::xact_lock(conn, &crate::db::locks::content(sha256)).await?;
    Ok(ContentLocked::new(sha256))
}

/// The shifts to insert: the plan's shifts that are kept, with their links and store ids.
struct Rows<'a> {
    import_id: Uuid,
    shifts: &'a [Shift],
    keep: &'a [bool],
    links: &'a Links,
    store_id: &'a (dyn Fn(&Shift) -> Uuid + Sync),
}

impl Rows<'_> {
    /// The kept shifts with their index in the plan.
    fn iter(&self) -> impl Iterator<Item = (usize, &Shift)> {
        self.shifts
            .iter()
            .enumerate()
            .filter(|(i, _)| self.keep[*i])
    }

    fn len(&self) -> usize {
        self.keep.iter().filter(|k| **k).count()
    }

    /// Add `chunk` (shifts with their index in the plan) to `columns`.
    fn push_to(&self, columns: &mut ShiftColumns, chunk: &[(usize, &Shift)]) {
        for (i, s) in chunk {
            let link = self.links.of(*i);
            let phone = link.phone.as_deref();
            columns.push(
                self.import_id,
                (self.store_id)(s),
                s,
                link.contact_id,
                phone,
            );
        }
    }

    /// Shifts per store-day, for `import_store_dates`.
    fn store_days(&self) -> Vec<(Uuid, NaiveDate, i32)> {
        let mut days: BTreeMap<(Uuid, NaiveDate), i32> = BTreeMap::new();
        for (_, s) in self.iter() {
            *days.entry(((self.store_id)(s), s.date)).or_default() += 1;
        }
        days.into_iter().map(|((s, d), n)| (s, d, n)).collect()
    }
}

/// Insert the shifts: one binary `COPY` from [`COPY_MIN_ROWS`] shifts on, else UNNEST
/// statements of [`CHUNK`] rows; progress is reported as they go.
async fn insert_shifts(
    conn: &mut PgConnection,
    rows: &Rows<'_>,
    progress: &(dyn Fn(WriteProgress) + Sync),
) -> Result<(), sqlx::Error> {
    let total = rows.len();
    progress(WriteProgress {
        rows_done: 0,
        rows_total: total,
    });
    if total >= COPY_MIN_ROWS {
        return copy_shifts(conn, rows, progress).await;
    }
    let kept: Vec<(usize, &Shift)> = rows.iter().collect();
    for (n, chunk) in kept.chunks(CHUNK).enumerate() {
        unnest_shifts(conn, rows, chunk).await?;
        progress(WriteProgress {
            rows_done: (n * CHUNK + chunk.len()).min(total),
            rows_total: total,
        });
    }
    Ok(())
}

/// One UNNEST statement for a slice of the shifts.
async fn unnest_shifts(
    conn: &mut PgConnection,
    rows: &Rows<'_>,
    chunk: &[(usize, &Shift)],
) -> Result<(), sqlx::Error> {
    let mut columns = ShiftColumns::default();
    rows.push_to(&mut columns, chunk);
    columns.insert(conn).await
}

/// Insert the shifts with one binary `COPY`, sent in batches of about
/// [`super::copy::COPY_FLUSH_BYTES`], reporting progress after each batch.
async fn copy_shifts(
    conn: &mut PgConnection,
    rows: &Rows<'_>,
    progress: &(dyn Fn(WriteProgress) + Sync),
) -> Result<(), sqlx::Error> {
    use std::fmt::Write as _;
    let total = rows.len();
    let staged = row_security_applies(conn).await?;
    if staged {
        stage_shifts(conn).await?;
    }
    let mut copy = conn
        .copy_in_raw(if staged { COPY_STAGED } else { COPY_SHIFTS })
        .await?;
    let mut buf = CopyBuf::new();
    let mut cell = String::new();
    for (n, (i, s)) in rows.iter().enumerate() {
        let done = n + 1;
        let link = rows.links.of(i);
        cell.clear();
        let _ = write!(cell, "{}", s.source);
        buf.push(&CopyShift {
            store_id: (rows.store_id)(s),
            name: &s.employee_name,
            phone: link.phone.as_deref(),
            date: s.date,
            start: s.start,
            end: s.end,
            position: s.position.as_deref(),
            notes: s.notes.as_deref(),
            import_id: rows.import_id,
            contact_id: link.contact_id,
            cell: &cell,
        });
        if buf.len() >= super::copy::COPY_FLUSH_BYTES {
            copy.send(buf.take()).await?;
            progress(WriteProgress {
                rows_done: done,
                rows_total: total,
            });
        }
    }
    buf.finish();
    copy.send(buf.take()).await?;
    copy.finish().await?;
    if staged {
        move_staged_shifts(conn).await?;
    }
    progress(WriteProgress {
        rows_done: total,
        rows_total: total,
    });
    Ok(())
}

/// Whether row security applies to this connection's role on `store_schedules` (a worker
/// role that does not own it), so `COPY` must go through [`stage_shifts`].
async fn row_security_applies(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT row_security_active('public.store_schedules')")
        .fetch_one(&mut *conn)
        .await
}

/// The temporary table [`COPY_STAGED`] fills, dropped at commit.
async fn stage_shifts(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "CREATE TEMP TABLE IF NOT EXISTS pharmacy_ingest_staged_shifts ON COMMIT DROP AS SELECT ",
        super::copy::shift_columns!(),
        " FROM store_schedules WITH NO DATA"
    ))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Move the staged shifts into `store_schedules` (the row policies check each one) and empty
/// the staging table.
async fn move_staged_shifts(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "WITH moved AS (DELETE FROM pharmacy_ingest_staged_shifts RETURNING *)
         INSERT INTO store_schedules (",
        super::copy::shift_columns!(),
        ") SELECT ",
        super::copy::shift_columns!(),
        " FROM moved"
    ))
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
    duplicate_of: Option<(Uuid, chrono::DateTime<chrono::Utc>)>,
    replaced: ReplaceEffects,
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
            duplicate_of: None,
            replaced: ReplaceEffects::default(),
        }
    }
}

/// A history row waiting for the final statement: action, code, cell, message.
pub(super) type HistoryRow = (&'static str, Option<&'static str>, Option<String>, String);

/// A row issue's history action, code and cell: errors are `rejected`, warnings `warning`.
fn issue_history(i: &Issue) -> (&'static str, Option<&'static str>, Option<String>) {
    let action = match i.severity {
        Severity::Error => "rejected",
        // A notice (an open shift) is recorded like a warning: nothing was rejected.
        Severity::Warning | Severity::Notice => "warning",
    };
    (action, Some(i.code), i.cell.as_ref().map(|c| c.to_string()))
}

/// A [`HistoryRow`] or a row issue, borrowed for the statement that writes it.
type HistoryRef<'a> = (&'static str, Option<&'static str>, Option<String>, &'a str);

/// History rows per statement.
const HISTORY_CHUNK: usize = 5_000;

/// Insert history rows (action, code, cell, message) of an import.
async fn insert_history(
    conn: &mut PgConnection,
    import_id: Uuid,
    rows: &[HistoryRef<'_>],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO import_history (import_id, attempt, action, code, cell_ref, message)
         SELECT $1, 1, a, c, r, m
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[]) AS u(a, c, r, m)",
    )
    .bind(import_id)
    .bind(rows.iter().map(|r| r.0).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.2.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.3).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(|_| ())
}

/// Collects the audit rows of one import and writes them with the final counts in one
/// statement ([`Writer::finish`]).
struct Writer<'c, 's> {
    conn: &'c mut PgConnection,
    sink: Sink<'s>,
    import_id: Uuid,
    /// The queue job the last statement completes.
    job: Option<ClaimedJob>,
    /// History rows other than the row issues (a refused file, a duplicate, skipped shifts).
    history: Vec<HistoryRow>,
    /// Shifts inserted per store-day.
    days: Vec<(Uuid, NaiveDate, i32)>,
}

impl<'c, 's> Writer<'c, 's> {
    fn new(
        conn: &'c mut PgConnection,
        import_id: Uuid,
        job: Option<ClaimedJob>,
        sink: Sink<'s>,
    ) -> Self {
        Writer {
            conn,
            sink,
            import_id,
            job,
            history: Vec::new(),
            days: Vec::new(),
        }
    }

    /// One history row without a cell (a refused file, a duplicate).
    fn history_plain(&mut self, action: &'static str, code: Option<&'static str>, message: &str) {
        self.history.push((action, code, None, message.to_string()));
    }

    /// How the import ends ([`Self::finish`]): the history rows from the `skip`th on (those
    /// before went in statements of their own), then the row issues.
    fn end_of(&mut self, f: &Finish, warnings: i64, skip: usize) -> End {
        let own = std::mem::take(&mut self.history).into_iter();
        let issue_rows = f.issues.iter().map(|i| {
            let (action, code, cell) = issue_history(i);
            (action, code, cell, i.message.to_string())
        });
        End {
            import_id: self.import_id,
            status: f.status.as_str(),
            template: f.template.clone(),
            error: f.error.clone(),
            rows_total: f.rows_total,
            rows_imported: f.rows_imported,
            rows_rejected: f.rows_rejected,
            rows_replaced: f.rows_replaced,
            warnings,
            store_numbers: f.store_numbers.clone(),
            date_from: f.date_from,
            date_to: f.date_to,
            replace_summary: f.replaced.summary(),
            job: self.job,
            history: own.chain(issue_rows).skip(skip).collect(),
            days: std::mem::take(&mut self.days),
        }
    }

    /// The import's end: the history rows and the row issues (errors as `rejected`, warnings
    /// as `warning`), the store-days written, the final counts and status, the notification
    /// of listeners (delivered on commit) and the completion of the queue job, if any, with
    /// the outcome and counts the job's trigger would read from the import (it cannot see the
    /// import's new row from within the statement). One statement, the batch's
    /// ([`Deferred`]): collected for the batch's, or written now as a batch of one's end.
    /// Thousands of history rows go first in statements of their own, all but the last
    /// [`HISTORY_CHUNK`]: one statement would hold them all in its parameters, and the
    /// connection would keep that buffer's size. Builds the outcome.
    async fn finish(mut self, f: Finish) -> Result<ImportOutcome, WriteError> {
        let warnings = f
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
            .count() as i64;
        let early = (self.history.len() + f.issues.len()).saturating_sub(HISTORY_CHUNK);
        if early > 0 {
            let own = self
                .history
                .iter()
                .map(|(a, c, r, m)| (*a, *c, r.clone(), m.as_str()));
            let issue_rows = f.issues.iter().map(|i| {
                let (action, code, cell) = issue_history(i);
                (action, code, cell, &*i.message)
            });
            let rows: Vec<HistoryRef<'_>> = own.chain(issue_rows).take(early).collect();
            for chunk in rows.chunks(HISTORY_CHUNK) {
                insert_history(self.conn, self.import_id, chunk).await?;
            }
        }
        let end = self.end_of(&f, warnings, early);
        match &mut self.sink {
            Sink::Defer(deferred) => deferred.end(end),
            Sink::Now(_) => Deferred::one_end(end).write(self.conn).await?,
        }
        Ok(f.into_outcome(self.import_id, warnings))
    }
}

impl Finish {
    /// The outcome of the import that finished so (`warnings`: its warning count).
    fn into_outcome(self, import_id: Uuid, warnings: i64) -> ImportOutcome {
        // Debug: the callers log the committed outcome (the worker at info, the CLI prints it).
        tracing::debug!(
            import_id = %import_id,
            status = self.status.as_str(),
            rows_imported = self.rows_imported,
            rows_rejected = self.rows_rejected,
            rows_replaced = self.rows_replaced,
            rows_skipped = self.rows_skipped,
            warnings,
            "import written"
        );
        ImportOutcome {
            import_id,
            status: self.status,
            template: self.template,
            rows_imported: self.rows_imported,
            rows_rejected: self.rows_rejected,
            rows_replaced: self.rows_replaced,
            warnings,
            error: self.error,
            issues: self.issues,
            store_numbers: self.store_numbers,
            date_from: self.date_from,
            date_to: self.date_to,
            rows_skipped: self.rows_skipped,
            duplicate_of: self.duplicate_of,
            replaced: self.replaced,
        }
    }
}
