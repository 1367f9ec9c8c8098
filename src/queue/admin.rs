//! What operators do with jobs (`pharmacy-ingest jobs …`): list, show, retry, cancel, and the
//! per-state counts that `/metrics` exports.

use super::QueueError;
use super::job::{Job, JobState, Outcome};
use crate::job_columns;
use sqlx::PgPool;
use uuid::Uuid;

/// Jobs, newest first, optionally only those in `states`.
pub async fn list(pool: &PgPool, states: &[JobState], limit: i64) -> Result<Vec<Job>, QueueError> {
    list_with_outcomes(pool, states, &[], limit).await
}

/// Jobs, newest first, optionally only those in `states` and (finished ones) with `outcomes`.
pub async fn list_with_outcomes(
    pool: &PgPool,
    states: &[JobState],
    outcomes: &[Outcome],
    limit: i64,
) -> Result<Vec<Job>, QueueError> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let outcomes: Vec<&str> = outcomes.iter().map(|s| s.as_str()).collect();
    let jobs = sqlx::query_as::<_, Job>(concat!(
        "SELECT ",
        job_columns!(),
        " FROM import_jobs
          WHERE (cardinality($1::text[]) = 0 OR state::text = ANY($1))
            AND (cardinality($2::text[]) = 0 OR outcome = ANY($2))
          ORDER BY created_at DESC, id
          LIMIT $3"
    ))
    .bind(&states)
    .bind(&outcomes)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(jobs)
}

/// One job.
pub async fn show(pool: &PgPool, id: Uuid) -> Result<Job, QueueError> {
    sqlx::query_as::<_, Job>(concat!(
        "SELECT ",
        job_columns!(),
        " FROM import_jobs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(QueueError::NotFound(id))
}

/// Run a failed or cancelled job again (or a retryable one now): `available`, with a fresh
/// set of attempts. The history of errors is kept.
pub async fn retry(pool: &PgPool, id: Uuid) -> Result<Job, QueueError> {
    let job = sqlx::query_as::<_, Job>(concat!(
        "UPDATE import_jobs
         SET state = 'available', attempt = 0, run_at = now(), finished_at = NULL,
             stage = NULL, rows_done = 0, rows_total = NULL, updated_at = now()
         WHERE id = $1 AND state IN ('failed', 'cancelled', 'retryable')
         RETURNING ",
        job_columns!()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match job {
        Some(j) => Ok(j),
        None => Err(wrong_state(pool, id, "retry").await),
    }
}

/// Cancel a job that has not finished. A running job's lease is withdrawn: its worker stops at
/// its next heartbeat and cannot complete it.
pub async fn cancel(pool: &PgPool, id: Uuid) -> Result<Job, QueueError> {
    let job = sqlx::query_as::<_, Job>(concat!(
        "UPDATE import_jobs
         SET state = 'cancelled', lease_token = NULL, leased_until = NULL, finished_at = now(),
             last_error = 'cancelled by an operator', updated_at = now()
         WHERE id = $1 AND state IN ('available', 'retryable', 'running')
         RETURNING ",
        job_columns!()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match job {
        Some(j) => Ok(j),
        None => Err(wrong_state(pool, id, "cancel").await),
    }
}

/// Record where a finished inbox job's file was moved (`jobs show` prints it).
pub async fn record_moved(pool: &PgPool, id: Uuid, to: &std::path::Path) -> Result<(), QueueError> {
    sqlx::query("UPDATE import_jobs SET file_moved_to = $2 WHERE id = $1")
        .bind(id)
        .bind(to.to_string_lossy().as_ref())
        .execute(pool)
        .await?;
    Ok(())
}

async fn wrong_state(pool: &PgPool, id: Uuid, action: &'static str) -> QueueError {
    match show(pool, id).await {
        Ok(job) => QueueError::WrongState {
            id,
            state: job.state,
            action,
        },
        Err(e) => e,
    }
}

/// How many jobs are in each state (every state present, zeros included).
pub async fn counts_by_state(pool: &PgPool) -> Result<Vec<(JobState, i64)>, QueueError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state::text, count(*) FROM import_jobs GROUP BY state")
            .fetch_all(pool)
            .await?;
    let mut out: Vec<(JobState, i64)> = JobState::ALL.iter().map(|s| (*s, 0)).collect();
    for (s, n) in rows {
        let st: JobState = s.parse()?;
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == st) {
            slot.1 = n;
        }
    }
    Ok(out)
}

/// Up to `limit` job ids between `lo` and `hi` (an id prefix typed by an operator).
pub async fn ids_between(
    pool: &PgPool,
    lo: Uuid,
    hi: Uuid,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM import_jobs WHERE id BETWEEN $1 AND $2 ORDER BY id LIMIT $3")
        .bind(lo)
        .bind(hi)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// The newest inbox job for a file in `processing/`, as the folder sweep needs it.
#[derive(Debug, Clone)]
pub struct InboxJob {
    pub id: Uuid,
    pub state: JobState,
    /// Finished more than five seconds ago (its own worker had time to move the file).
    pub settled: bool,
    pub last_error: Option<String>,
}

/// The newest job queued by the watched folders for the file at `path`.
pub async fn last_inbox_job(pool: &PgPool, path: &str) -> Result<Option<InboxJob>, QueueError> {
    let row: Option<(Uuid, String, Option<bool>, Option<String>)> = sqlx::query_as(
        "SELECT id, state::text, finished_at < now() - interval '5 seconds', last_error
         FROM import_jobs WHERE file_path = $1 AND source = 'inbox'
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(path)
    .fetch_optional(pool)
    .await?;
    let Some((id, state, settled, last_error)) = row else {
        return Ok(None);
    };
    Ok(Some(InboxJob {
        id,
        state: state.parse()?,
        settled: settled == Some(true),
        last_error,
    }))
}
