//! The import job service, shared by the worker and the foreground commands: a file's content
//! (its bytes, or a large xlsx's open file, [`crate::read::content`]) → a plan on the blocking
//! pool (a crash in a reader becomes a failed import, not a dead process) → one transaction
//! that stores the content, writes the import and commits.
//!
//! The caller joins the transaction through [`Hooks`]: the worker checks its claim before a
//! long write and has the import's last statement complete its job ([`Hooks::job`]), so the
//! job and the import land together or not at all; the foreground `import` only reports that
//! it is committing.

use super::files::save_and_lock;
use super::write::{ClaimedJob, WriteError, WriteProgress, write_import_with_progress};
use super::{ImportOutcome, ImportRequest};
use crate::read::content::{Content, Owned};
use crate::schedule::Plan;
use sqlx::{PgConnection, PgPool};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use uuid::Uuid;

/// Why planning produced no plan: the pipeline refused the file, or a reader crashed.
#[derive(Debug)]
pub enum PlanFailure<E> {
    /// The pipeline's own error (unreadable file, no template fits, …).
    Refused(E),
    /// A reader panicked: a bug in pharmacy-ingest, not in the file.
    Crashed,
}

impl<E: fmt::Display> fmt::Display for PlanFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanFailure::Refused(e) => write!(f, "{e}"),
            PlanFailure::Crashed => f.write_str(
                "internal error: reading this file crashed the reader (a bug in pharmacy-ingest); \
                 the file is kept for a bug report",
            ),
        }
    }
}

/// Content up to this size is planned on the calling task: a small file plans in well under a
/// millisecond, less than the two thread hops to the blocking pool and back cost.
pub const PLAN_INLINE_BYTES: u64 = 16 * 1024;

/// Plan `content` with `planner`: on the blocking pool, or on the calling task for content of
/// [`PLAN_INLINE_BYTES`] or less. A panic inside becomes [`PlanFailure::Crashed`], which the
/// writer records as a failed import. The content is shared with the planning thread (the
/// caller keeps it, to store it in the import's transaction).
pub async fn plan_file<F, E>(
    file_name: &str,
    content: &Arc<Owned>,
    planner: F,
) -> Result<Plan, PlanFailure<E>>
where
    F: FnOnce(&str, Content<'_>) -> Result<Plan, E> + Send + 'static,
    E: Send + 'static,
{
    let guarded = |name: &str, content: &Owned| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            planner(name, content.content())
        }))
    };
    let res = if content.content().len() <= PLAN_INLINE_BYTES {
        Ok(guarded(file_name, content))
    } else {
        let name = file_name.to_string();
        let content = content.clone();
        tokio::task::spawn_blocking(move || guarded(&name, &content)).await
    };
    match res {
        Ok(Ok(Ok(plan))) => Ok(plan),
        Ok(Ok(Err(e))) => Err(PlanFailure::Refused(e)),
        Ok(Err(_)) | Err(_) => {
            tracing::error!("the file reader panicked; the import is recorded as failed");
            Err(PlanFailure::Crashed)
        }
    }
}

/// What a caller adds inside the import transaction. `Stop` is why it wants the transaction
/// rolled back (the worker's claim is gone, its file changed).
pub trait Hooks: Sync {
    /// Why the caller stopped the import.
    type Stop: Send;

    /// The queue job the import's last statement completes while its claim holds (a lost
    /// claim ends the write with [`WriteError::ClaimLost`]); `None` for a foreground import.
    fn job(&self) -> Option<ClaimedJob> {
        None
    }

    /// Before the write of `rows` shifts starts.
    fn before_write(
        &self,
        tx: &mut PgConnection,
        rows: usize,
    ) -> impl Future<Output = Result<(), Self::Stop>> + Send;

    /// After the write (and the job's completion), right before the commit.
    fn before_commit(
        &self,
        tx: &mut PgConnection,
        outcome: &ImportOutcome,
    ) -> impl Future<Output = Result<(), Self::Stop>> + Send;
}

/// Why [`commit`] committed nothing (a refused file is an outcome, not an error).
#[derive(Debug)]
pub enum CommitError<S> {
    /// A hook stopped the import; the transaction was rolled back.
    Stopped(S),
    /// The database failed at `step` (begin, store the file, commit).
    Database { step: Step, source: sqlx::Error },
    /// Writing the import failed.
    Write(WriteError),
}

/// A step of [`commit`] outside the write itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Begin,
    StoreFile,
    Commit,
}

impl<S> CommitError<S> {
    /// Whether trying again later may succeed (the database blinked). A failed begin or commit
    /// always may: nothing of the import was kept, and a commit that did land leaves nothing
    /// for the retry to do (the worker's job is then finished and the retry finds it so).
    pub fn is_retryable(&self) -> bool {
        match self {
            CommitError::Stopped(_) => false,
            CommitError::Database {
                step: Step::Begin | Step::Commit,
                ..
            } => true,
            CommitError::Database { source, .. } => crate::db::retry::is_transient(source),
            CommitError::Write(e) => e.is_retryable(),
        }
    }

    /// An operator-readable reason; `None` for [`CommitError::Stopped`] (the hook knows why).
    pub fn reason(&self) -> Option<String> {
        match self {
            CommitError::Stopped(_) => None,
            CommitError::Database { step, source } => Some(match step {
                Step::Begin => format!("database unavailable: {source}"),
                Step::StoreFile => format!("storing the file failed: {source}"),
                Step::Commit => format!("commit failed: {source}"),
            }),
            CommitError::Write(e) => Some(e.to_string()),
        }
    }
}

/// One transaction: `hooks.before_write`, store the file's bytes (for reprocessing) and lock
/// their content in one statement, write the import (progress after each bulk statement; the
/// last statement completes `hooks.job()`), `hooks.before_commit`, commit.
pub async fn commit<H: Hooks, E: fmt::Display>(
    pool: &PgPool,
    req: &ImportRequest,
    content: Content<'_>,
    planned: Result<Plan, E>,
    reprocess_of: Option<Uuid>,
    hooks: &H,
    progress: &(dyn Fn(WriteProgress) + Sync),
) -> Result<ImportOutcome, CommitError<H::Stop>> {
    let db = |step| move |source| CommitError::Database { step, source };
    let rows = planned.as_ref().map(|p| p.shifts.len()).unwrap_or(0);
    let mut tx = pool.begin().await.map_err(db(Step::Begin))?;
    hooks
        .before_write(&mut tx, rows)
        .await
        .map_err(CommitError::Stopped)?;
    let locked = save_and_lock(&mut tx, content, &req.sha256)
        .await
        .map_err(db(Step::StoreFile))?;
    let outcome = write_import_with_progress(
        &mut tx,
        &locked,
        req,
        planned,
        reprocess_of,
        hooks.job(),
        progress,
    )
    .await
    .map_err(CommitError::Write)?;
    hooks
        .before_commit(&mut tx, &outcome)
        .await
        .map_err(CommitError::Stopped)?;
    tx.commit().await.map_err(db(Step::Commit))?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Planned inline or on the blocking pool, a refusal is a refusal and a panic is a crash
    /// (recorded as a failed import), never a panic of the caller.
    #[tokio::test]
    async fn small_and_large_files_fail_alike() {
        for size in [10, PLAN_INLINE_BYTES as usize + 1] {
            let content = Arc::new(Owned::Bytes(vec![b'x'; size]));
            let refused = plan_file(
                "f.csv",
                &content,
                |_: &str, c: Content<'_>| -> Result<Plan, u64> { Err(c.len()) },
            )
            .await;
            assert!(
                matches!(refused, Err(PlanFailure::Refused(n)) if n == size as u64),
                "{size} bytes"
            );
            let crashed = plan_file(
                "f.csv",
                &content,
                |_: &str, _: Content<'_>| -> Result<Plan, u64> { panic!("a reader bug") },
            )
            .await;
            assert!(matches!(crashed, Err(PlanFailure::Crashed)), "{size} bytes");
        }
    }
}
