//! One import end to end, for the foreground `import` command and for `imports reprocess` /
//! `approve`, on the import job service ([`super::job`]): plan the file on a blocking thread
//! (the readers are synchronous; a crash is a failed import), then one transaction that stores
//! the file's bytes, writes the import and commits.

use super::job::{CommitError, Hooks, commit, plan_file};
use super::revert::{RevertError, RevertOutcome, revert_import};
use super::write::{WriteError, WriteProgress, write_import_with_progress};
use super::{ImportOutcome, ImportRequest, ImportSource, ImportStatus};
use crate::pipeline::plan::{Head, PlanError, PlanOptions, plan_content, plan_head};
use crate::read::content::{Content, Owned};
use crate::schedule::Plan;
use sqlx::{PgConnection, PgPool};
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

/// Why an import could not be carried out (bad files are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Writing the import failed; nothing was committed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The database failed outside the write (begin, store the file, commit).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// `reprocess`: no import has this id.
    #[error("there is no import {0}")]
    NotFound(Uuid),
    /// `reprocess`: the file of this import was not kept, so it cannot be read again.
    #[error(
        "the file of import {0} was not kept in the database, so it cannot be reprocessed; \
         import the file again instead"
    )]
    FileNotKept(Uuid),
    /// `reprocess`: the previous import could not be reverted.
    #[error(transparent)]
    Revert(#[from] RevertError),
    /// `approve`: the import is not waiting for approval.
    #[error(
        "import {id} has status {status}: only a held import (a replace waiting for approval) \
         can be approved"
    )]
    NotHeld { id: Uuid, status: String },
    /// `approve`: the held import was approved already.
    #[error("import {id} was already approved by {by}")]
    AlreadyApproved { id: Uuid, by: String },
}

impl RunError {
    /// The error of a foreground commit (its hooks never stop it).
    fn from_commit(e: CommitError<Infallible>) -> RunError {
        match e {
            CommitError::Stopped(never) => match never {},
            CommitError::Database { source, .. } => RunError::Database(source),
            CommitError::Write(w) => RunError::Write(w),
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RunError::Write(e) => e.is_retryable(),
            RunError::Database(e) => crate::db::retry::is_transient(e),
            RunError::Revert(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// A stage of a foreground import, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading and checking the file.
    Planning,
    /// Writing shifts: done so far, and in all.
    Writing(WriteProgress),
    /// Committing the transaction.
    Committing,
}

/// Import one file now: plan it with `planner` on a blocking thread, then store the bytes and
/// write the import in one transaction. `progress` is told each stage.
pub async fn import_with<F, E>(
    db: &PgPool,
    req: ImportRequest,
    content: Owned,
    planner: F,
    progress: Arc<dyn Fn(Stage) + Send + Sync>,
) -> Result<ImportOutcome, RunError>
where
    F: FnOnce(&str, Content<'_>) -> Result<Plan, E> + Send + 'static,
    E: fmt::Display + Send + 'static,
{
    let (outcome, _) = run_one(db, req, content, planner, progress, None).await?;
    Ok(outcome)
}

/// Shared by [`import_with`] and reprocessing: plan, then one transaction that (when
/// `redo` is given) reverts the previous import and writes the new one.
async fn run_one<F, E>(
    db: &PgPool,
    req: ImportRequest,
    content: Owned,
    planner: F,
    progress: Arc<dyn Fn(Stage) + Send + Sync>,
    redo: Option<Redo>,
) -> Result<(ImportOutcome, Option<RevertOutcome>), RunError>
where
    F: FnOnce(&str, Content<'_>) -> Result<Plan, E> + Send + 'static,
    E: fmt::Display + Send + 'static,
{
    progress(Stage::Planning);
    let content = Arc::new(content);
    let planned = plan_file(&req.file_name, &content, planner).await;
    let Some(redo) = redo.filter(|r| r.revert) else {
        let p = progress.clone();
        let on_write = move |w| p(Stage::Writing(w));
        let committing = Committing(progress.clone());
        let outcome = commit(
            db,
            &req,
            content.content(),
            planned,
            redo.map(|r| r.previous),
            &committing,
            &on_write,
        )
        .await
        .map_err(RunError::from_commit)?;
        return Ok((outcome, None));
    };
    let mut tx = db.begin().await?;
    let locked = super::files::save_and_lock(&mut tx, content.content(), &req.sha256).await?;
    // Reprocessing an import that wrote shifts: revert it, then write the new one. If the new
    // one writes nothing (refused), keep the previous import in place: roll back, and record
    // only the refused attempt.
    let planned = planned.map_err(|e| e.to_string());
    let past = super::revert::LaterImports::forced(redo.force);
    let reverted = revert_import(&mut tx, redo.previous, &req.created_by, past).await?;
    let p = progress.clone();
    let outcome = write_import_with_progress(
        &mut tx,
        &locked,
        &req,
        planned.clone(),
        Some(redo.previous),
        None,
        &move |w| p(Stage::Writing(w)),
    )
    .await?;
    if matches!(
        outcome.status,
        ImportStatus::Failed | ImportStatus::Duplicate
    ) {
        tx.rollback().await?;
        let mut tx = db.begin().await?;
        let locked = super::write::lock_content(&mut tx, &req.sha256).await?;
        let outcome = write_import_with_progress(
            &mut tx,
            &locked,
            &req,
            planned,
            Some(redo.previous),
            None,
            &|_| {},
        )
        .await?;
        progress(Stage::Committing);
        tx.commit().await?;
        return Ok((outcome, None));
    }
    progress(Stage::Committing);
    tx.commit().await?;
    Ok((outcome, Some(reverted)))
}

/// The foreground's only hook: say "committing" once the write is done.
struct Committing(Arc<dyn Fn(Stage) + Send + Sync>);

impl Hooks for Committing {
    type Stop = Infallible;

    async fn before_write(&self, _: &mut PgConnection, _: usize) -> Result<(), Infallible> {
        Ok(())
    }

    async fn before_commit(
        &self,
        _: &mut PgConnection,
        _: &ImportOutcome,
    ) -> Result<(), Infallible> {
        (self.0)(Stage::Committing);
        Ok(())
    }
}

/// A reprocess: the import it redoes, and whether that one must be reverted first.
#[derive(Clone, Copy)]
struct Redo {
    previous: Uuid,
    revert: bool,
    force: bool,
}

/// What a reprocess did: the new import, and the revert of the previous one (`None` when the
/// previous import had written no shifts, or when the new one was refused and the previous
/// one was therefore left in place).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReprocessOutcome {
    pub previous: Uuid,
    pub reverted: Option<RevertOutcome>,
    pub outcome: ImportOutcome,
}

/// Options of a reprocess beyond the import id.
#[derive(Debug, Clone, Default)]
pub struct ReprocessOptions {
    /// Template to use instead of the one originally asked for (`None`: as originally asked,
    /// which is auto-detection when none was named).
    pub template: Option<String>,
    /// Revert the previous import even when later imports touched the same store-dates.
    pub force: bool,
    /// Who asks.
    pub created_by: String,
}

/// Re-run an import from its stored file with the current templates: one transaction that
/// reverts the previous import (when it wrote shifts) and writes a new one (source
/// `reprocess`, same mode, `reprocess_of` = the previous id).
pub async fn reprocess_with<F, E>(
    db: &PgPool,
    previous: Uuid,
    opts: ReprocessOptions,
    planner: F,
    progress: Arc<dyn Fn(Stage) + Send + Sync>,
) -> Result<ReprocessOutcome, RunError>
where
    F: FnOnce(&ImportRequest, &str, Content<'_>) -> Result<Plan, E> + Send + 'static,
    E: fmt::Display + Send + 'static,
{
    let Some(stored) = super::query::stored_import(db, previous).await? else {
        return Err(RunError::NotFound(previous));
    };
    let mut conn = db.acquire().await?;
    let bytes = super::files::load_file(&mut conn, &stored.sha256)
        .await?
        .ok_or(RunError::FileNotKept(previous))?;
    drop(conn);
    let req = ImportRequest {
        file_name: stored.file_name,
        file_size: stored.file_size,
        sha256: stored.sha256,
        source: ImportSource::Reprocess,
        mode: stored.mode,
        force: true,
        template: opts.template.or(stored.requested_template),
        store_number: stored.requested_store_number,
        job_id: None,
        created_by: opts.created_by,
        hold_risky_replace: false,
        inbox_store: None,
    };
    let revert = stored.status.wrote_shifts();
    let planner_req = req.clone();
    let (outcome, reverted) = run_one(
        db,
        req,
        Owned::Bytes(bytes),
        move |name, content| planner(&planner_req, name, content),
        progress,
        Some(Redo {
            previous,
            revert,
            force: opts.force,
        }),
    )
    .await?;
    Ok(ReprocessOutcome {
        previous,
        reverted,
        outcome,
    })
}

/// Plan options for one request: the caller's template and store number win over `opts`'.
fn options_for(req: &ImportRequest, mut opts: PlanOptions) -> PlanOptions {
    if req.template.is_some() {
        opts.template = req.template.clone();
    }
    if req.store_number.is_some() {
        opts.store = req.store_number;
    }
    opts
}

/// Import one file now with the real pipeline ([`plan_bytes`]): plan on a blocking thread,
/// then store the bytes and write the import in one transaction.
pub async fn import_now(
    db: &PgPool,
    req: ImportRequest,
    bytes: Vec<u8>,
    opts: PlanOptions,
) -> Result<ImportOutcome, RunError> {
    import_now_with_progress(db, req, Owned::Bytes(bytes), opts, Arc::new(|_| {})).await
}

/// [`import_now`] telling `progress` each stage (the CLI's progress line).
pub async fn import_now_with_progress(
    db: &PgPool,
    req: ImportRequest,
    content: Owned,
    opts: PlanOptions,
    progress: Arc<dyn Fn(Stage) + Send + Sync>,
) -> Result<ImportOutcome, RunError> {
    let opts = options_for(&req, opts);
    import_with(
        db,
        req,
        content,
        move |name: &str, content: Content<'_>| plan_content(name, content, &opts),
        progress,
    )
    .await
}

/// [`import_now_with_progress`] for a file whose head was read already
/// ([`crate::pipeline::plan::read_head`] of the same `content`, with `opts.read`).
pub async fn import_now_with_head(
    db: &PgPool,
    req: ImportRequest,
    content: Owned,
    head: Result<Head, PlanError>,
    opts: PlanOptions,
    progress: Arc<dyn Fn(Stage) + Send + Sync>,
) -> Result<ImportOutcome, RunError> {
    let opts = options_for(&req, opts);
    let planner = move |name: &str, content: Content<'_>| {
        head.and_then(|head| plan_head(name, content, head, &opts))
    };
    import_with(db, req, content, planner, progress).await
}

/// Reprocess an import with the real pipeline ([`plan_bytes`]) and the given templates.
pub async fn reprocess_now(
    db: &PgPool,
    previous: Uuid,
    opts: ReprocessOptions,
    plan_opts: PlanOptions,
    progress: Arc<dyn Fn(Stage) + Send + Sync>,
) -> Result<ReprocessOutcome, RunError> {
    reprocess_with(
        db,
        previous,
        opts,
        move |req: &ImportRequest, name: &str, content: Content<'_>| {
            plan_content(name, content, &options_for(req, plan_opts))
        },
        progress,
    )
    .await
}

/// Approve a held import (a risky replace waiting for an operator): import its stored file
/// now, replacing what it would replace, as a reprocess of the held import (`reprocess_of`);
/// the held import records who approved it. The worker's next rescan moves the file and its
/// reports out of `needs-attention/` ("FIXED … approved").
pub async fn approve_now(
    db: &PgPool,
    held: Uuid,
    opts: ReprocessOptions,
    plan_opts: PlanOptions,
    progress: Arc<dyn Fn(Stage) + Send + Sync>,
) -> Result<ReprocessOutcome, RunError> {
    let Some((status, approved_by)) = super::query::approval(db, held).await? else {
        return Err(RunError::NotFound(held));
    };
    if status != super::StoredStatus::Outcome(ImportStatus::Held) {
        return Err(RunError::NotHeld {
            id: held,
            status: status.as_str().to_string(),
        });
    }
    if let Some(by) = approved_by {
        return Err(RunError::AlreadyApproved { id: held, by });
    }
    let by = opts.created_by.clone();
    let out = reprocess_now(db, held, opts, plan_opts, progress).await?;
    if !matches!(
        out.outcome.status,
        ImportStatus::Failed | ImportStatus::Duplicate
    ) {
        super::query::record_approval(db, held, &by).await?;
    }
    Ok(out)
}
