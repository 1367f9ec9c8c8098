//! Queue upkeep, run periodically by every worker (the statements are safe to run
//! concurrently): rescue jobs whose lease expired, and prune finished jobs.

use super::QueueError;
use super::job::JobState;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// Jobs still `running` whose lease ran out (their worker died or hung) become `retryable`
/// at once, or `failed` if that was their last attempt. Returns the rescued jobs and their new
/// state. A worker that comes back later finds its lease token gone and cannot complete.
pub async fn rescue_expired(pool: &PgPool) -> Result<Vec<(Uuid, JobState)>, QueueError> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "WITH expired AS (
            SELECT id FROM import_jobs
            WHERE state = 'running' AND leased_until < now()
            FOR UPDATE SKIP LOCKED
         )
         UPDATE import_jobs j
         SET state = CASE WHEN j.attempt < j.max_attempts THEN 'retryable' ELSE 'failed' END,
             finished_at = CASE WHEN j.attempt < j.max_attempts THEN NULL ELSE now() END,
             run_at = now(), lease_token = NULL, leased_until = NULL,
             last_error = 'the worker stopped heartbeating (' || coalesce(j.worker_id, '?')
                          || '); lease expired',
             errors = coalesce(j.errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
                 'attempt', j.attempt, 'at', now(),
                 'error', 'lease expired: worker ' || coalesce(j.worker_id, '?') || ' stopped heartbeating')),
             updated_at = now()
         FROM expired WHERE j.id = expired.id
         RETURNING j.id, j.state::text",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, s)| Ok((id, s.parse()?)))
        .collect()
}

/// Delete finished jobs (succeeded, failed, cancelled) older than `age`. Returns how many.
pub async fn prune_finished(pool: &PgPool, age: Duration) -> Result<u64, QueueError> {
    let res = sqlx::query(
        "DELETE FROM import_jobs
         WHERE state IN ('succeeded', 'failed', 'cancelled')
           AND finished_at < now() - make_interval(secs => $1)",
    )
    .bind(age.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(res.rows_affected())
}
