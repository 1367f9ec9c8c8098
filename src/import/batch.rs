//! Several small imports in one transaction (group commit): the worker's way through a backlog
//! of small files. Each import is written exactly as [`super::job::commit`] writes it alone —
//! its file stored and content locked, its rows, its job completed by its last statement, its
//! hooks — and one `COMMIT` makes them all durable, so a batch pays one transaction start, one
//! WAL flush and one notification round for all of them.
//!
//! All or nothing: if any import of the batch fails (the database refused a statement, a
//! claim was lost, a hook stopped it), the whole transaction is rolled back and
//! [`BatchFailed`] says which; the caller then writes each import alone, where each one's
//! failure is handled as it always is. Failures are rare (a lost lease, a file changed in the
//! inbox, a database blink), so no savepoint is paid for on the way that succeeds.
//!
//! Imports of distinct stores (the worker's batches are made so) also share one statement for
//! their shifts and their ends, after the last import's write: nothing an import reads (its
//! stores' shifts, for its replace, its skipped rows and its contacts) is another's, so the
//! order of the inserts does not matter, and the statement's triggers (audit, references) run
//! once.
//!
//! Locks: before the first write, one statement takes every content lock of the batch (in key
//! order) and then every store lock (in store-id order) — the same global order as a lone
//! import's (content first, then its stores in id order), so a batch and any other import or
//! revert wait for each other but cannot deadlock — and stores every file's bytes (files in
//! memory of up to 1 MiB; else each is stored as a lone import stores it), and gives the
//! stores' ids, so no import looks its stores up again. A batch of one is written the same
//! way (two statements fewer than a lone import: its file and its locks in one, its shifts
//! and its end in one).

use super::deferred::Deferred;
use super::files::{ONE_STATEMENT_MAX, save_and_lock};
use super::job::{CommitError, Hooks, Step};
use super::write::{ContentLocked, GENERIC_PLANS_UP_TO, Sink, write_import_into};
use super::{ImportOutcome, ImportRequest};
use crate::read::content::Content;
use crate::schedule::Plan;
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// One import of a batch: what [`super::job::commit`] takes for a lone import (a refused
/// plan as its message).
pub struct Entry<'a, H> {
    pub req: &'a ImportRequest,
    pub content: Content<'a>,
    pub planned: Result<Plan, String>,
    pub hooks: &'a H,
}

impl<H> Entry<'_, H> {
    fn stores(&self) -> impl Iterator<Item = i32> + '_ {
        stores_of(self.req, &self.planned).into_iter()
    }
}

/// The store numbers an import of `planned` writes, sorted, once each (the request's store
/// overrides the file's).
pub fn stores_of(req: &ImportRequest, planned: &Result<Plan, String>) -> Vec<i32> {
    let shifts = planned.as_ref().map(|p| &p.shifts[..]).unwrap_or(&[]);
    let mut stores: Vec<i32> = shifts
        .iter()
        .map(|s| req.store_number.unwrap_or(s.store_number))
        .collect();
    stores.sort_unstable();
    stores.dedup();
    stores
}

/// Nothing of the batch was committed: `index` is the entry that failed (`None`: the batch
/// itself, at begin, the locks or the commit).
#[derive(Debug)]
pub struct BatchFailed<S> {
    pub index: Option<usize>,
    pub error: CommitError<S>,
}

/// Write `entries` in one transaction and commit: their outcomes, in order; or, with nothing
/// committed, the first failure.
pub async fn commit_batch<H: Hooks>(
    pool: &PgPool,
    entries: Vec<Entry<'_, H>>,
) -> Result<Vec<ImportOutcome>, BatchFailed<H::Stop>> {
    let whole = |step| {
        move |source| BatchFailed {
            index: None,
            error: CommitError::Database { step, source },
        }
    };
    let mut tx = pool.begin().await.map_err(whole(Step::Begin))?;
    // Every lock first, and every file stored, in one statement.
    let saved = is_stored_whole(&entries);
    let stores = lock_and_save_all(&mut tx, &entries, saved)
        .await
        .map_err(whole(Step::StoreFile))?;
    // Imports of distinct stores read nothing the others write: their shifts and ends are
    // written together, after the last import's write, and their stores are known.
    let distinct = stores_distinct(&entries);
    let mut deferred = distinct.then(|| Deferred::with_stores(stores));
    let mut outcomes = Vec::with_capacity(entries.len());
    let mut hooks = Vec::with_capacity(entries.len());
    for (index, e) in entries.into_iter().enumerate() {
        let e_hooks = e.hooks;
        let failed = |error| BatchFailed {
            index: Some(index),
            error,
        };
        let outcome = write_one(&mut tx, saved, deferred.as_mut(), e)
            .await
            .map_err(failed)?;
        outcomes.push(outcome);
        hooks.push(e_hooks);
    }
    if let Some(deferred) = deferred {
        deferred.write(&mut tx).await.map_err(|e| BatchFailed {
            index: None,
            error: CommitError::Write(e),
        })?;
    }
    // Every check right before the commit, as a lone import's.
    for (index, (h, outcome)) in hooks.iter().zip(&outcomes).enumerate() {
        h.before_commit(&mut tx, outcome)
            .await
            .map_err(|stop| BatchFailed {
                index: Some(index),
                error: CommitError::Stopped(stop),
            })?;
    }
    tx.commit().await.map_err(whole(Step::Commit))?;
    Ok(outcomes)
}

/// One import of the batch, as [`super::job::commit`] writes it (without its commit);
/// `saved`: its file is stored and its content locked already.
async fn write_one<H: Hooks>(
    tx: &mut PgConnection,
    saved: bool,
    deferred: Option<&mut Deferred>,
    e: Entry<'_, H>,
) -> Result<ImportOutcome, CommitError<H::Stop>> {
    let rows = e.planned.as_ref().map(|p| p.shifts.len()).unwrap_or(0);
    e.hooks
        .before_write(tx, rows)
        .await
        .map_err(CommitError::Stopped)?;
    let locked = if saved {
        ContentLocked::new(&e.req.sha256)
    } else {
        save_and_lock(tx, e.content, &e.req.sha256)
            .await
            .map_err(|source| CommitError::Database {
                step: Step::StoreFile,
                source,
            })?
    };
    let job = e.hooks.job();
    let sink = match deferred {
        Some(d) => Sink::Defer(d),
        None => Sink::Now(&|_| {}),
    };
    write_import_into(tx, &locked, e.req, e.planned, None, job, sink)
        .await
        .map_err(CommitError::Write)
}

/// Every content lock of the batch in key order, then every store lock in store-id order (the
/// keys [`crate::db::locks`] gives), and, with `save`, every file's bytes stored, in one
/// statement, which also sets the small import's plans for the transaction when every import
/// is small (as a lone small import's store lookup does: `write::small_import_plans_sql`).
/// Returns the stores found, by number.
async fn lock_and_save_all<H>(
    tx: &mut PgConnection,
    entries: &[Entry<'_, H>],
    save: bool,
) -> Result<HashMap<i32, Uuid>, sqlx::Error> {
    let contents: BTreeSet<String> = entries
        .iter()
        .map(|e| crate::db::locks::content(&e.req.sha256))
        .collect();
    let stores: BTreeSet<i32> = entries.iter().flat_map(|e| e.stores()).collect();
    let saved: Vec<(&str, &[u8])> = entries
        .iter()
        .filter(|_| save)
        .filter_map(|e| match e.content {
            Content::Bytes(b) => Some((e.req.sha256.as_str(), b)),
            Content::File { .. } => None,
        })
        .collect();
    // OFFSET 0 keeps each ordered subquery whole, so the nested loops lock in its order; the
    // contents' branch of the UNION ALL runs to its end before the stores' begins, and the
    // files' insert, which nothing reads, after the query (each one's lock is held by then,
    // as a lone import's `files::save_and_lock` holds it).
    let generic = entries
        .iter()
        .all(|e| e.planned.as_ref().map_or(0, |p| p.shifts.len()) <= GENERIC_PLANS_UP_TO);
    let rows: Vec<(Option<i32>, Option<Uuid>)> = sqlx::query_as(concat!(
        "WITH saved AS (
             INSERT INTO import_files (sha256, bytes, size)
             SELECT DISTINCT ON (sha) sha, b, octet_length(b)
             FROM UNNEST($4::text[], $5::bytea[]) AS f(sha, b)
             ON CONFLICT (sha256) DO NOTHING
         )
         SELECT NULL::int4, NULL::uuid
         FROM (SELECT k FROM UNNEST($1::text[]) AS u(k) ORDER BY k OFFSET 0) AS c
         CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(c.k, 0))) AS l
         UNION ALL
         SELECT s.store_number, s.id
         FROM (SELECT store_number, id FROM stores WHERE store_number = ANY($2)
               ORDER BY id OFFSET 0) AS s
         CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(
             $3 || s.id::text, 0))) AS l
         UNION ALL
         SELECT NULL, NULL
         FROM (SELECT CASE WHEN $6 THEN ",
        crate::small_import_plans_sql!(),
        " END) AS g",
    ))
    .bind(contents.into_iter().collect::<Vec<_>>())
    .bind(stores.into_iter().collect::<Vec<_>>())
    .bind(crate::db::locks::STORE_PREFIX)
    .bind(saved.iter().map(|f| f.0).collect::<Vec<_>>())
    .bind(saved.iter().map(|f| f.1).collect::<Vec<_>>())
    .bind(generic)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(n, id)| Some((n?, id?)))
        .collect())
}

/// Whether no two entries write the same store.
fn stores_distinct<H>(entries: &[Entry<'_, H>]) -> bool {
    let mut seen = BTreeSet::new();
    entries.iter().all(|e| {
        let own: BTreeSet<i32> = e.stores().collect();
        own.iter().all(|n| seen.insert(*n))
    })
}

/// Whether every entry's file is in memory and small enough to be stored by one bound
/// parameter (else each is stored as a lone import stores it).
fn is_stored_whole<H>(entries: &[Entry<'_, H>]) -> bool {
    entries
        .iter()
        .all(|e| matches!(e.content, Content::Bytes(b) if b.len() <= ONE_STATEMENT_MAX))
}
