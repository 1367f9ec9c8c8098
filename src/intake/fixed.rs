//! Files that a later import fixed leave `failed/` and `needs-attention/`.
//!
//! The runner records where it left each file (`document_imports.filed_path`). A file counts
//! as fixed when a later import that is not reverted imported it — `succeeded`, or `partial`
//! for a file that was refused or held — and that import is its reprocess (or approval,
//! `reprocess_of`), a retry of its job (same `job_id`), or a corrected file of the same name
//! dropped into the same folder tree. The file and its reports then move to
//! `processed/YYYY-MM-DD/fixed/`, the receipt starting with "FIXED … (import X)", and the
//! old import records `fixed_by` / `fixed_at`. The runner checks right after each import it
//! files; every watcher checks its folders at each rescan (a reprocess from the command line,
//! an approval, a retry run on another worker).

use super::IntakeError;
use super::folders::{self, Layout};
use crate::queue::QueueError;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Remember where the worker left an import's file.
pub async fn record_filed(pool: &PgPool, import_id: Uuid, path: &Path) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE document_imports SET filed_path = $2 WHERE id = $1")
        .bind(import_id)
        .bind(path.to_string_lossy().as_ref())
        .execute(pool)
        .await?;
    Ok(())
}

/// A filed file and the import that fixed it.
struct Fixed {
    old: Uuid,
    path: String,
    by: Uuid,
    how: &'static str,
}

/// Move every fixed file of these layouts on. Returns how many moved.
pub async fn retire_fixed(pool: &PgPool, layouts: &[Layout]) -> Result<usize, IntakeError> {
    let text = |p: &PathBuf| p.to_string_lossy().into_owned();
    let roots: Vec<String> = layouts
        .iter()
        .map(|l| l.root().to_string_lossy().into_owned())
        .collect();
    let failed: Vec<String> = layouts.iter().map(|l| text(&l.failed)).collect();
    let attention: Vec<String> = layouts.iter().map(|l| text(&l.needs_attention)).collect();
    type Row = (Uuid, String, Uuid, bool, bool, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.id, o.filed_path, f.id, f.reprocess_of IS NOT DISTINCT FROM o.id,
                f.job_id IS NOT DISTINCT FROM o.job_id, o.status
         FROM document_imports o
         JOIN UNNEST($1::text[], $2::text[], $3::text[]) AS r(root, failed, attention)
           ON starts_with(o.filed_path, r.failed || '/')
           OR starts_with(o.filed_path, r.attention || '/')
         CROSS JOIN LATERAL (
             SELECT f.id, f.reprocess_of, f.job_id FROM document_imports f
             WHERE f.id <> o.id AND f.created_at > o.created_at AND f.reverted_at IS NULL
               AND (f.status = 'succeeded'
                    OR (f.status = 'partial' AND o.status IN ('failed', 'held')))
               AND (f.reprocess_of = o.id
                    OR (o.job_id IS NOT NULL AND f.job_id = o.job_id)
                    OR (f.source = 'inbox' AND o.source = 'inbox' AND f.file_name = o.file_name
                        AND starts_with(f.filed_path, r.root || '/')))
             ORDER BY f.created_at LIMIT 1
         ) f
         WHERE o.filed_path IS NOT NULL AND o.fixed_by IS NULL
           AND o.status IN ('failed', 'partial', 'held', 'reverted')",
    )
    .bind(&roots)
    .bind(&failed)
    .bind(&attention)
    .fetch_all(pool)
    .await
    .map_err(QueueError::from)?;
    let mut moved = 0;
    for (old, path, by, by_reprocess, by_retry, status) in rows {
        let how = match (by_reprocess, by_retry, status.as_str()) {
            (true, _, "held") => "an operator approved the held import and it was imported",
            (true, _, _) => "the file was processed again and imported",
            (_, true, _) => "the job was retried and the file imported",
            _ => "a corrected file with the same name was imported",
        };
        let f = Fixed { old, path, by, how };
        if retire_one(pool, layouts, &f).await? {
            moved += 1;
        }
    }
    Ok(moved)
}

/// Claim one fixed import (so two workers never both move it), move its file, record where.
async fn retire_one(pool: &PgPool, layouts: &[Layout], f: &Fixed) -> Result<bool, IntakeError> {
    let claimed = sqlx::query(
        "UPDATE document_imports SET fixed_by = $2, fixed_at = now()
         WHERE id = $1 AND fixed_by IS NULL",
    )
    .bind(f.old)
    .bind(f.by)
    .execute(pool)
    .await
    .map_err(QueueError::from)?
    .rows_affected()
        == 1;
    if !claimed {
        return Ok(false);
    }
    let file = PathBuf::from(&f.path);
    let Some(layout) = layouts
        .iter()
        .find(|l| file.starts_with(&l.failed) || file.starts_with(&l.needs_attention))
        .cloned()
    else {
        return Ok(false);
    };
    let note = crate::import::feedback::fixed_note(f.by, f.how);
    let moving = file.clone();
    let res = tokio::task::spawn_blocking(move || folders::retire(&layout, &moving, &note))
        .await
        .map_err(|e| IntakeError::Move {
            dir: file.clone(),
            source: std::io::Error::other(e),
        })?;
    match res {
        Ok(Some(to)) => {
            record_filed(pool, f.old, &to)
                .await
                .map_err(QueueError::from)?;
            tracing::info!(import_id = %f.old, fixed_by = %f.by, "moved a fixed file out of failed/ or needs-attention/");
            Ok(true)
        }
        Ok(None) => Ok(false),
        Err(source) => Err(IntakeError::Move { dir: file, source }),
    }
}
