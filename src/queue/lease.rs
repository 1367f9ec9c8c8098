//! Everything done while holding a job's lease: claim, heartbeat and progress, the in-transaction
//! check and completion, failure with retry, and release at shutdown.
//!
//! Every statement after the claim carries the lease token in its `WHERE`, so a worker whose
//! lease was rescued, cancelled or completed elsewhere changes nothing: it gets
//! [`QueueError::LeaseLost`] and throws its work away.

use super::QueueError;
use super::backoff::retry_delay;
use super::job::{Claim, Job, JobState};
use crate::job_columns;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// Claim up to `limit` due jobs for `worker_id`: highest priority first, then oldest `run_at`.
/// One statement with `FOR UPDATE SKIP LOCKED` that commits at once, so no transaction stays
/// open while files are parsed, and concurrent workers never get the same job.
pub async fn claim(
    pool: &PgPool,
    worker_id: &str,
    limit: usize,
    lease: Duration,
) -> Result<Vec<Job>, QueueError> {
    let claimed = claim_with_files(pool, worker_id, limit, lease, -1).await?;
    Ok(claimed.into_iter().map(|c| c.job).collect())
}

/// Files up to this size come back with their claim, saving the runner a round trip per
/// small job; larger ones are fetched when the job runs, after it waited for its turn (so a
/// claim of dozens of jobs holds at most a few hundred KiB of files).
pub const INLINE_FILE_BYTES: i64 = 16 * 1024;

/// A claimed job, with its file's bytes when they came with the claim.
#[derive(Debug, sqlx::FromRow)]
pub struct Claimed {
    #[sqlx(flatten)]
    pub job: Job,
    /// The job's stored bytes when they are at most the claim's `inline_max`.
    pub inline_bytes: Option<Vec<u8>>,
}

/// The claim of up to `limit` jobs: a lease of `$1` seconds, worker `$2`, files of up to `$3`
/// bytes returned with their claim. The due jobs are read in the claim's order from
/// `import_jobs_claim_idx` (migration 0550), so a claim costs the same whatever the backlog.
///
/// The limit is written into the statement (one prepared statement per limit, and a worker
/// uses at most `worker.concurrency` of them): with `LIMIT $1`, PostgreSQL judged its generic
/// plan costlier than a custom one and planned every claim afresh, 0.3 ms a claim.
///
/// The claim commits without waiting for its WAL flush (`synchronous_commit = off` for its
/// own transaction): a claim lost to a server crash only makes the job `available` again, and
/// no work done under it can land, because the completion checks the lease token inside the
/// import transaction, whose commit is flushed (and flushes the claim's with it). So a job
/// waits for one flush, its import's, not two.
pub fn claim_sql(limit: usize) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        "WITH unflushed AS MATERIALIZED (
            SELECT set_config('synchronous_commit', 'off', true)
         ), next AS (
            SELECT id AS next_id FROM import_jobs
            WHERE state IN ('available', 'retryable') AND run_at <= now()
            ORDER BY priority DESC, run_at, created_at
            LIMIT {limit}
            FOR UPDATE SKIP LOCKED
         )
         UPDATE import_jobs j
         SET state = 'running', attempt = j.attempt + 1, lease_token = gen_random_uuid(),
             leased_until = now() + make_interval(secs => $1), heartbeat_at = now(),
             worker_id = $2, stage = 'claimed', rows_done = 0, rows_total = NULL,
             updated_at = now()
         FROM next, unflushed WHERE j.id = next.next_id
         RETURNING CASE WHEN octet_length(j.file_bytes) <= $3 THEN j.file_bytes END
                   AS inline_bytes, {}",
        job_columns!()
    ))
}

/// [`claim`], returning with each job its stored file when it is `inline_max` bytes or
/// smaller (`-1`: never).
pub async fn claim_with_files<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    worker_id: &str,
    limit: usize,
    lease: Duration,
    inline_max: i64,
) -> Result<Vec<Claimed>, QueueError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let jobs = sqlx::query_as::<_, Claimed>(claim_sql(limit))
        .bind(lease.as_secs_f64())
        .bind(worker_id)
        .bind(inline_max)
        .fetch_all(conn)
        .await?;
    Ok(jobs)
}

/// What the running attempt reports in the job row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub stage: super::job::Stage,
    pub rows_done: Option<i64>,
    pub rows_total: Option<i64>,
}

/// Extend the lease (and record progress). `Ok(false)`: the lease is lost.
pub async fn heartbeat(
    pool: &PgPool,
    claim: &Claim,
    lease: Duration,
    progress: Option<&Progress>,
) -> Result<bool, QueueError> {
    let res = sqlx::query(
        "UPDATE import_jobs
         SET heartbeat_at = now(), leased_until = now() + make_interval(secs => $3),
             stage = coalesce($4, stage), rows_done = coalesce($5, rows_done),
             rows_total = coalesce($6, rows_total), updated_at = now()
         WHERE id = $1 AND lease_token = $2 AND state = 'running'",
    )
    .bind(claim.job_id)
    .bind(claim.lease_token)
    .bind(lease.as_secs_f64())
    .bind(progress.map(|p| p.stage.as_str()))
    .bind(progress.and_then(|p| p.rows_done))
    .bind(progress.and_then(|p| p.rows_total))
    .execute(pool)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Inside the import transaction, before writing: fail fast if the claim is already gone.
/// The row is not locked, so heartbeats keep extending the lease and publishing progress while
/// the import is written; [`complete_in_tx`] is the check that decides.
pub async fn check_in_tx(conn: &mut PgConnection, claim: &Claim) -> Result<(), QueueError> {
    let held: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM import_jobs WHERE id = $1 AND lease_token = $2 AND state = 'running'",
    )
    .bind(claim.job_id)
    .bind(claim.lease_token)
    .fetch_optional(&mut *conn)
    .await?;
    match held {
        Some(_) => Ok(()),
        None => Err(QueueError::LeaseLost(claim.job_id)),
    }
}

/// How a job ended, as written by [`complete_in_tx`].
#[derive(Debug, Clone)]
pub struct Completion {
    /// `Succeeded` or `Failed` (a refused file is a finished, failed job).
    pub state: JobState,
    pub import_id: Option<Uuid>,
    pub rows_done: i64,
    pub rows_total: i64,
    /// Operator-readable reason, for failed jobs.
    pub error: Option<String>,
}

/// The `UPDATE` that finishes a running job, only while its claim holds, from a row `done`
/// that the statement defines before it: `job_id`, `lease_token`, `succeeded`, `import_id`,
/// `rows_done`, `rows_total`, `error` and, when the statement knows them, `outcome`,
/// `rows_imported`, `rows_rejected`, `rows_replaced` and `warnings` (else null: the job's
/// outcome trigger reads them from the import). Used by [`complete_in_tx`] and by the import's
/// last statement (`import::write`), which completes the worker's job in the statement that
/// finishes its import. `finished_at` is the clock time of that statement (not the
/// transaction's start), so it measures when the shifts landed.
///
/// The job is found by its id alone: `state` is compared as an expression (`|| ''`), which
/// the partial index of running leases cannot answer. Where `done` has several rows (a
/// batch's end), PostgreSQL otherwise read that index whole — every job that ran since the
/// last vacuum, 0.4 ms after 2,000 jobs — rather than look each job up by its key.
#[macro_export]
#[doc(hidden)]
macro_rules! complete_job_sql {
    () => {
        "UPDATE import_jobs j \
         SET state = CASE WHEN d.succeeded THEN 'succeeded' ELSE 'failed' END, \
             lease_token = NULL, leased_until = NULL, stage = 'done', import_id = d.import_id, \
             rows_done = d.rows_done, rows_total = d.rows_total, last_error = d.error, \
             errors = CASE WHEN d.error IS NULL THEN j.errors \
                      ELSE coalesce(j.errors, '[]'::jsonb) || jsonb_build_array( \
                          jsonb_build_object('attempt', j.attempt, 'at', now(), 'error', d.error)) \
                      END, \
             outcome = d.outcome, rows_imported = d.rows_imported, \
             rows_rejected = d.rows_rejected, rows_replaced = d.rows_replaced, \
             warnings = d.warnings, finished_at = clock_timestamp(), updated_at = now() \
         FROM done d \
         WHERE j.id = d.job_id AND j.lease_token = d.lease_token AND j.state || '' = 'running'"
    };
}

/// Mark the job finished, in the caller's import transaction, only if the claim still holds
/// (its outcome and counts are then derived from the import by the job's outcome trigger).
pub async fn complete_in_tx(
    conn: &mut PgConnection,
    claim: &Claim,
    done: &Completion,
) -> Result<(), QueueError> {
    let res = sqlx::query(concat!(
        "WITH done AS (
             SELECT $1::uuid AS job_id, $2::uuid AS lease_token, $3::bool AS succeeded,
                    $4::uuid AS import_id, $5::int8 AS rows_done, $6::int8 AS rows_total,
                    $7::text AS error, NULL::text AS outcome, NULL::int8 AS rows_imported,
                    NULL::int8 AS rows_rejected, NULL::int8 AS rows_replaced,
                    NULL::int8 AS warnings
         ) ",
        crate::complete_job_sql!()
    ))
    .bind(claim.job_id)
    .bind(claim.lease_token)
    .bind(done.state == JobState::Succeeded)
    .bind(done.import_id)
    .bind(done.rows_done)
    .bind(done.rows_total)
    .bind(&done.error)
    .execute(&mut *conn)
    .await?;
    if res.rows_affected() == 1 {
        Ok(())
    } else {
        Err(QueueError::LeaseLost(claim.job_id))
    }
}

/// Whether another attempt may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Another attempt may not meet it (the database blinked): retried with backoff.
    Transient,
    /// Another attempt would meet it again: the job fails at once.
    Permanent,
}

/// Record a failed attempt. A [`Failure::Transient`] one makes the job `retryable` after a
/// steep backoff, unless it used its last attempt; a permanent one fails it at once.
/// Returns the job's new state.
pub async fn fail(
    pool: &PgPool,
    claim: &Claim,
    error: &str,
    how: Failure,
    backoff_base_secs: f64,
) -> Result<JobState, QueueError> {
    let retry = how == Failure::Transient;
    let delay = retry_delay(claim.attempt, backoff_base_secs);
    let state: Option<String> = sqlx::query_scalar(
        "UPDATE import_jobs
         SET state = CASE WHEN $3 AND attempt < max_attempts THEN 'retryable' ELSE 'failed' END,
             run_at = CASE WHEN $3 AND attempt < max_attempts
                      THEN now() + make_interval(secs => $4) ELSE run_at END,
             finished_at = CASE WHEN $3 AND attempt < max_attempts THEN NULL ELSE now() END,
             lease_token = NULL, leased_until = NULL, last_error = $5,
             errors = coalesce(errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                 'attempt', attempt, 'at', now(), 'error', $5::text)),
             updated_at = now()
         WHERE id = $1 AND lease_token = $2 AND state = 'running'
         RETURNING state::text",
    )
    .bind(claim.job_id)
    .bind(claim.lease_token)
    .bind(retry)
    .bind(delay.as_secs_f64())
    .bind(error)
    .fetch_optional(pool)
    .await?;
    match state {
        Some(s) => s.parse(),
        None => Err(QueueError::LeaseLost(claim.job_id)),
    }
}

/// Give a job back untouched (shutdown grace ran out): `available` again at once, and the
/// attempt does not count.
pub async fn release(pool: &PgPool, claim: &Claim) -> Result<bool, QueueError> {
    let res = sqlx::query(
        "UPDATE import_jobs
         SET state = 'available', attempt = greatest(attempt - 1, 0), run_at = now(),
             lease_token = NULL, leased_until = NULL, worker_id = NULL, stage = 'released',
             updated_at = now()
         WHERE id = $1 AND lease_token = $2 AND state = 'running'",
    )
    .bind(claim.job_id)
    .bind(claim.lease_token)
    .execute(pool)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// The file bytes a job carries (`None` for path jobs).
pub async fn file_bytes(pool: &PgPool, job_id: Uuid) -> Result<Option<Vec<u8>>, QueueError> {
    let row: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT file_bytes FROM import_jobs WHERE id = $1")
            .bind(job_id)
            .fetch_optional(pool)
            .await?;
    row.ok_or(QueueError::NotFound(job_id))
}
