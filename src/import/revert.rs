//! Reverting an import: delete the shifts it inserted (the stored shifts that carry its
//! `import_id`) and restore, exactly, the shifts it replaced (from the before-images in
//! `import_history`), in the caller's transaction. The stores to lock and the store-days to
//! compare with later imports come from `import_store_dates`.
//!
//! A revert is recorded (`reverted` history rows with before/after images, the import's status
//! `reverted`, who and when) and notified on `schedule_imports`. Reverting twice is refused,
//! as is reverting an import when a later, still active import touched the same store-dates
//! (restoring would overwrite newer shifts) unless forced.
//!
//! A before-image is restored as it was, except for links that no longer resolve and that the
//! database would have cleared had the row stayed: a deleted contact (`contact_id` set null), a
//! deleted import (`import_id` set null); a row whose store was deleted is not restored (the
//! store's deletion would have deleted it), and is counted in `rows_not_restored`.

use super::write::NOTIFY_CHANNEL;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// Why a revert did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    /// No `document_imports` row has this id.
    #[error("there is no import {0}")]
    NotFound(Uuid),
    /// The import was reverted before; a second revert would restore stale rows.
    #[error("import {id} was already reverted at {at} by {by}; nothing was changed")]
    AlreadyReverted { id: Uuid, at: String, by: String },
    /// The import wrote no shifts (it failed, was a duplicate, or is still running).
    #[error("import {id} has status {status}: it wrote no shifts, so there is nothing to revert")]
    NothingToRevert { id: Uuid, status: String },
    /// Later imports that are still active wrote shifts for the same stores and dates.
    #[error(
        "import {id} cannot be reverted safely: later import(s) {} changed the same stores \
         and dates; revert those first, or force the revert to restore this import's \
         replaced shifts beside theirs",
        later.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")
    )]
    LaterImports { id: Uuid, later: Vec<Uuid> },
    /// The database refused or lost a statement; the transaction must be rolled back.
    #[error("database error while reverting: {0}")]
    Database(#[from] sqlx::Error),
}

impl RevertError {
    /// Whether trying again later may succeed (a lost connection, a deadlock).
    pub fn is_retryable(&self) -> bool {
        match self {
            RevertError::Database(e) => crate::db::retry::is_transient(e),
            _ => false,
        }
    }
}

/// What a revert did.
#[derive(Debug, Clone, Serialize)]
pub struct RevertOutcome {
    pub import_id: Uuid,
    /// Shifts the import had inserted that were deleted.
    pub rows_deleted: i64,
    /// Shifts the import had replaced that were put back.
    pub rows_restored: i64,
    /// Shifts the import had replaced that were not put back: their store was deleted since
    /// (deleting a store deletes its shifts), or a shift with the same id exists again.
    pub rows_not_restored: i64,
    /// Later imports on the same store-dates that a forced revert went past.
    pub later_imports: Vec<Uuid>,
}

/// What a revert does when later imports touched the same store-dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaterImports {
    /// Refuse ([`RevertError::LaterImports`]): restoring would overwrite newer shifts.
    Refuse,
    /// Revert anyway (`--force`, reprocessing): the newer shifts of those dates are replaced.
    GoPast,
}

impl LaterImports {
    /// `--force` given or not.
    pub fn forced(force: bool) -> Self {
        if force {
            LaterImports::GoPast
        } else {
            LaterImports::Refuse
        }
    }
}

/// Revert one import inside the caller's transaction (the caller commits).
pub async fn revert_import(
    conn: &mut PgConnection,
    import_id: Uuid,
    by: &str,
    on_later: LaterImports,
) -> Result<RevertOutcome, RevertError> {
    let created_at = lock_revertable(conn, import_id).await?;
    lock_stores(conn, import_id).await?;
    let later = later_imports(conn, import_id, created_at).await?;
    if !later.is_empty() && on_later == LaterImports::Refuse {
        return Err(RevertError::LaterImports {
            id: import_id,
            later,
        });
    }

    let attempt = next_attempt(conn, import_id).await?;
    let rows_deleted = delete_inserted(conn, import_id, attempt).await?;
    let rows_restored = restore_replaced(conn, import_id, attempt).await?;
    let rows_not_restored = replaced_count(conn, import_id).await? - rows_restored;
    mark_reverted(conn, import_id, by).await?;
    tracing::info!(
        import_id = %import_id,
        rows_deleted,
        rows_restored,
        rows_not_restored,
        later_imports = later.len(),
        "import reverted"
    );
    Ok(RevertOutcome {
        import_id,
        rows_deleted,
        rows_restored,
        rows_not_restored,
        later_imports: later,
    })
}

/// Lock the import's row and check that it can be reverted; returns when it was created.
async fn lock_revertable(
    conn: &mut PgConnection,
    import_id: Uuid,
) -> Result<DateTime<Utc>, RevertError> {
    type Row = (String, DateTime<Utc>, Option<DateTime<Utc>>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT status, created_at, reverted_at, reverted_by
             FROM document_imports WHERE id = $1 FOR UPDATE",
    )
    .bind(import_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((status, created_at, reverted_at, reverted_by)) = row else {
        return Err(RevertError::NotFound(import_id));
    };
    if let Some(at) = reverted_at {
        return Err(RevertError::AlreadyReverted {
            id: import_id,
            at: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            by: reverted_by.unwrap_or_else(|| "unknown".into()),
        });
    }
    let stored = super::StoredStatus::try_from(status).map_err(super::decode_error)?;
    if !stored.wrote_shifts() {
        return Err(RevertError::NothingToRevert {
            id: import_id,
            status: stored.as_str().to_string(),
        });
    }
    Ok(created_at)
}

/// Take the same store locks as a write takes, so a revert and an import never interleave.
async fn lock_stores(conn: &mut PgConnection, import_id: Uuid) -> Result<(), RevertError> {
    let stores: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT store_id FROM import_store_dates WHERE import_id = $1 ORDER BY store_id",
    )
    .bind(import_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in &stores {
        crate::db::locks::xact_lock(&mut *conn, &crate::db::locks::store(*id)).await?;
    }
    Ok(())
}

/// Later imports, still active, that wrote the same store-dates, oldest first.
async fn later_imports(
    conn: &mut PgConnection,
    import_id: Uuid,
    created_at: DateTime<Utc>,
) -> Result<Vec<Uuid>, RevertError> {
    Ok(sqlx::query_scalar(
        "WITH me AS (
             SELECT store_numbers, date_from, date_to FROM document_imports WHERE id = $1
         ), candidates AS (
             SELECT d.id, d.created_at FROM document_imports d, me
             WHERE d.id <> $1 AND d.created_at >= $2
               AND d.status IN ('succeeded', 'partial') AND d.reverted_at IS NULL
               AND d.store_numbers && me.store_numbers
               AND d.date_from <= me.date_to AND d.date_to >= me.date_from
         )
         SELECT c.id FROM candidates c
         WHERE EXISTS (
             SELECT 1 FROM import_store_dates mine
             JOIN import_store_dates theirs USING (store_id, schedule_date)
             WHERE mine.import_id = $1 AND theirs.import_id = c.id)
         ORDER BY c.created_at, c.id",
    )
    .bind(import_id)
    .bind(created_at)
    .fetch_all(&mut *conn)
    .await?)
}

/// The history attempt number the revert's rows are recorded under.
async fn next_attempt(conn: &mut PgConnection, import_id: Uuid) -> Result<i32, RevertError> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce(max(attempt), 0) + 1 FROM import_history WHERE import_id = $1",
    )
    .bind(import_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Delete the shifts the import inserted, recording each before-image; how many.
async fn delete_inserted(
    conn: &mut PgConnection,
    import_id: Uuid,
    attempt: i32,
) -> Result<i64, RevertError> {
    Ok(sqlx::query(
        "WITH del AS (
             DELETE FROM store_schedules s WHERE s.import_id = $1 RETURNING s.*
         )
         INSERT INTO import_history (import_id, attempt, action, code, message, schedule_id, before)
         SELECT $1, $2, 'reverted', 'deleted', 'inserted by this import; deleted by the revert',
                del.id, to_jsonb(del)
         FROM del",
    )
    .bind(import_id)
    .bind(attempt)
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64)
}

/// Put back the shifts the import replaced (links that no longer resolve cleared, rows of
/// deleted stores left out), recording each after-image; how many.
async fn restore_replaced(
    conn: &mut PgConnection,
    import_id: Uuid,
    attempt: i32,
) -> Result<i64, RevertError> {
    Ok(sqlx::query(
        "WITH res AS (
             INSERT INTO store_schedules
             SELECT (jsonb_populate_record(NULL::store_schedules,
                         h.before
                         || CASE WHEN h.before ->> 'contact_id' IS NOT NULL AND NOT EXISTS (
                                     SELECT 1 FROM contacts c
                                     WHERE c.id = (h.before ->> 'contact_id')::uuid)
                                 THEN jsonb_build_object('contact_id', NULL) ELSE '{}'::jsonb END
                         || CASE WHEN h.before ->> 'import_id' IS NOT NULL AND NOT EXISTS (
                                     SELECT 1 FROM document_imports d
                                     WHERE d.id = (h.before ->> 'import_id')::uuid)
                                 THEN jsonb_build_object('import_id', NULL) ELSE '{}'::jsonb END)).*
             FROM import_history h
             WHERE h.import_id = $1 AND h.action = 'replaced' AND h.before IS NOT NULL
               AND EXISTS (SELECT 1 FROM stores s WHERE s.id = (h.before ->> 'store_id')::uuid)
             ON CONFLICT (id) DO NOTHING
             RETURNING *
         )
         INSERT INTO import_history (import_id, attempt, action, code, message, schedule_id, after)
         SELECT $1, $2, 'reverted', 'restored', 'replaced by this import; restored by the revert',
                res.id, to_jsonb(res)
         FROM res",
    )
    .bind(import_id)
    .bind(attempt)
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64)
}

/// How many shifts the import replaced.
async fn replaced_count(conn: &mut PgConnection, import_id: Uuid) -> Result<i64, RevertError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM import_history WHERE import_id = $1 AND action = 'replaced'",
    )
    .bind(import_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Mark the import reverted (who and when) and notify `schedule_imports`.
async fn mark_reverted(
    conn: &mut PgConnection,
    import_id: Uuid,
    by: &str,
) -> Result<(), RevertError> {
    sqlx::query(
        "UPDATE document_imports
         SET status = 'reverted', reverted_at = now(), reverted_by = $2
         WHERE id = $1",
    )
    .bind(import_id)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(NOTIFY_CHANNEL)
        .bind(import_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
