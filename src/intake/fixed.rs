//! Files that a later import fixed leave `failed/` and `needs-attention/`.
//!
//! The worker records where it left each file (`document_imports.filed_path`). A file counts
//! as fixed when a later import that is not reverted imported it — `succeeded`, or `partial`
//! for a file that was refused or held — and that import is its reprocess (or approval,
//! `reprocess_of`), a retry of its job (same `job_id`), or a corrected file of the same name
//! dropped into the same folder tree. The file and its reports then move to
//! `processed/YYYY-MM-DD/fixed/`, the receipt starting with "FIXED … (import X)", and the
//! old import records `fixed_by` / `fixed_at` (claimed before the move, given back when the
//! move fails, so a later rescan tries again). The worker checks right after each import it
//! files; every watcher checks its folders at each rescan (a reprocess from the command line,
//! an approval, a retry run on another worker).

use super::IntakeError;
use super::folders::{self, Layout};
use crate::import::filed::{self, FiledFolders};
use crate::queue::QueueError;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// A filed file and the import that fixed it.
struct Fixed {
    old: Uuid,
    path: String,
    by: Uuid,
    how: &'static str,
}

/// Move every fixed file of these layouts on. Returns how many moved.
pub async fn retire_fixed(pool: &PgPool, layouts: &[Layout]) -> Result<usize, IntakeError> {
    let text = |p: &Path| p.to_string_lossy().into_owned();
    let folders = FiledFolders {
        roots: layouts.iter().map(|l| text(l.root())).collect(),
        failed: layouts.iter().map(|l| text(&l.failed)).collect(),
        attention: layouts.iter().map(|l| text(&l.needs_attention)).collect(),
    };
    let rows = filed::fixed_imports(pool, &folders)
        .await
        .map_err(QueueError::from)?;
    let mut moved = 0;
    for r in rows {
        let how = match (r.by_reprocess, r.by_retry, r.was_held) {
            (true, _, true) => "an operator approved the held import and it was imported",
            (true, _, false) => "the file was processed again and imported",
            (_, true, _) => "the job was retried and the file imported",
            _ => "a corrected file with the same name was imported",
        };
        let (old, path, by) = (r.old, r.path, r.by);
        let f = Fixed { old, path, by, how };
        if retire_one(pool, layouts, &f).await? {
            moved += 1;
        }
    }
    Ok(moved)
}

/// Claim one fixed import (so two workers never both move it), move its file, record where.
async fn retire_one(pool: &PgPool, layouts: &[Layout], f: &Fixed) -> Result<bool, IntakeError> {
    let claimed = filed::claim_fixed(pool, f.old, f.by)
        .await
        .map_err(QueueError::from)?;
    if !claimed {
        return Ok(false);
    }
    let file = PathBuf::from(&f.path);
    let Some(layout) = layouts
        .iter()
        .find(|l| file.starts_with(&l.failed) || file.starts_with(&l.needs_attention))
        .cloned()
    else {
        release(pool, f).await;
        return Ok(false);
    };
    let note = crate::import::feedback::fixed_note(f.by, f.how);
    let moving = file.clone();
    let res = tokio::task::spawn_blocking(move || folders::retire(&layout, &moving, &note))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match res {
        Ok(Some(to)) => {
            filed::record_filed(pool, f.old, &to)
                .await
                .map_err(QueueError::from)?;
            tracing::info!(import_id = %f.old, fixed_by = %f.by, "moved a fixed file out of failed/ or needs-attention/");
            Ok(true)
        }
        // Not there any more (moved by hand): nothing to retry.
        Ok(None) => Ok(false),
        Err(source) => {
            release(pool, f).await;
            Err(IntakeError::Move { dir: file, source })
        }
    }
}

/// The move did not happen: give the claim back, so the next rescan tries again.
async fn release(pool: &PgPool, f: &Fixed) {
    if let Err(e) = filed::release_fixed(pool, f.old, f.by).await {
        tracing::warn!(import_id = %f.old, error = %e, "could not release a fixed file's claim; it stays where it is");
    }
}
