//! One attempt of an import job: the file's bytes (with the claim, from the job row, or from a
//! path under a read root) → the import request → plan ([`crate::import::job::plan_file`])
//! → one transaction ([`crate::import::job::commit`]) whose hooks check the claim before a long
//! write, have the import's last statement complete the job, and, for an inbox file, check
//! that the file did not change since it was queued. A small job (a file of 16 KiB or less)
//! goes through the group commit ([`super::batch`]) with the same checks; a job with a larger
//! file first waits for a `worker.busy_at_once` permit (and a file over 1 MiB for a
//! `worker.large_at_once` one).

use super::batch::{Small, SmallHooks, Written};
use super::{Committed, ImportWork};
use crate::import::job::{CommitError, Hooks, PLAN_INLINE_BYTES, PlanFailure, commit, plan_file};
use crate::import::write::{ClaimedJob, WriteError};
use crate::import::{ImportOutcome, ImportRequest, ImportSource, ImportStatus};
use crate::intake::folders;
use crate::intake::safe_read::{Loaded, SafeReadError, load_bounded};
use crate::pipeline::plan::{PlanError, plan_content};
use crate::queue::job::{Job, Stage};
use crate::queue::lease;
use crate::queue::runner::{Attempt, Failure, JobContext};
use crate::queue::{QueueError, roots};
use crate::read::content::{Content, IN_PLACE_BYTES, Owned};
use crate::schedule::Plan;
use sqlx::PgConnection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Files from this size on are worth watching: their stages are published at once (like the
/// CLI's progress line); smaller jobs leave it to the heartbeat.
const WATCH_BYTES: i64 = 512 * 1024;

/// Writes of this many shifts or more check the claim before they start.
const CHECK_BEFORE_WRITE_ROWS: usize = 1_000;

/// A planned file, ready for its transaction.
struct Prepared {
    request: ImportRequest,
    content: Arc<Owned>,
    planned: Result<Plan, PlanFailure<PlanError>>,
    watch: bool,
}

/// Read, plan and write one job; the transaction completes the job only if the claim holds.
///
/// A lost lease (seen by the heartbeat) stops the work before the transaction; once the
/// transaction runs, the in-transaction claim check alone decides, so a heartbeat that finds
/// the job already completed by this very transaction cannot misreport it.
pub async fn perform(work: &ImportWork, ctx: &JobContext<'_>) -> Attempt<Committed> {
    let _permits = match permits(work, ctx).await {
        Ok(permits) => permits,
        Err(stopped) => return stopped,
    };
    let prepared = tokio::select! {
        biased;
        _ = ctx.lost.cancelled() => return Attempt::LeaseLost,
        r = prepare(work, ctx) => r,
    };
    match prepared {
        Ok(p) => write(work, ctx, p).await,
        Err(a) => a,
    }
}

/// Files over this size are large: they wait for a `worker.large_at_once` permit.
const LARGE_FILE_BYTES: u64 = 1 << 20;

/// The permits a job waits for before it reads, held until its transaction ends (its lease
/// kept by the heartbeat meanwhile; the wait counts toward `worker.job_timeout_secs`):
/// - a file over 1 MiB (or read from a path): one of `worker.large_at_once` (a turn lasts one
///   large import, a minute for a million rows);
/// - a file over [`PLAN_INLINE_BYTES`] (or a path): one of `worker.busy_at_once`; such files
///   are planned on the blocking pool and hold memory in proportion to their size.
///
/// Small jobs fill the rest of `worker.concurrency` beside them (and are written together,
/// [`super::batch`]).
async fn permits<'w>(
    work: &'w ImportWork,
    ctx: &JobContext<'_>,
) -> Result<[Option<SemaphorePermit<'w>>; 2], Attempt<Committed>> {
    let size = ctx.job.file_size.and_then(|n| u64::try_from(n).ok());
    let over = |limit: u64| size.is_none_or(|n| n > limit);
    let large = permit(ctx, over(LARGE_FILE_BYTES).then_some(&work.large)).await?;
    let busy = permit(ctx, over(PLAN_INLINE_BYTES).then_some(&work.busy)).await?;
    Ok([large, busy])
}

/// A permit of `permits`, unless the job stops or loses its lease first.
async fn permit<'w>(
    ctx: &JobContext<'_>,
    permits: Option<&'w Semaphore>,
) -> Result<Option<SemaphorePermit<'w>>, Attempt<Committed>> {
    let Some(permits) = permits else {
        return Ok(None);
    };
    tokio::select! {
        biased;
        _ = ctx.lost.cancelled() => Err(Attempt::LeaseLost),
        _ = ctx.stop.cancelled() => Err(Attempt::Stopped),
        permit = permits.acquire() => Ok(permit.ok()),
    }
}

/// Read the file and plan it.
async fn prepare(work: &ImportWork, ctx: &JobContext<'_>) -> Result<Prepared, Attempt<Committed>> {
    let job = ctx.job;
    let watch = job.file_size.is_some_and(|n| n >= WATCH_BYTES);
    ctx.stage(Stage::Reading, None, watch).await;
    let loaded = match ctx.take_inline() {
        Some(b) => Loaded::bytes(b),
        None => read_file(work, job, ctx).await?,
    };
    let watch = loaded.content.len() >= WATCH_BYTES as u64;
    let request = request(work, job, &loaded);
    ctx.stage(Stage::Planning, None, watch).await;
    let mut opts = work.plan_options();
    opts.template = request.template.clone();
    opts.store = request.store_number;
    opts.fallback_store = request.inbox_store;
    let planner = move |name: &str, content: Content<'_>| plan_content(name, content, &opts);
    let content = Arc::new(loaded.content);
    let planned = plan_file(&request.file_name, &content, planner).await;
    Ok(Prepared {
        request,
        content,
        planned,
        watch,
    })
}

/// The import request of a job.
fn request(work: &ImportWork, job: &Job, loaded: &Loaded) -> ImportRequest {
    let from_inbox = job.source == ImportSource::Inbox;
    // The store of the inbox folder the file was dropped into (queued with the job, or read
    // from its `processing/<store>/` path): it fills in a file that names no store, and a file
    // naming another store is refused. It is a fallback and a check, not an override.
    let inbox_store = from_inbox
        .then(|| {
            job.store_number.or_else(|| {
                job.file_path
                    .as_deref()
                    .and_then(|p| folders::inbox_store_of(Path::new(p)))
            })
        })
        .flatten();
    ImportRequest {
        file_name: job.file_name.clone(),
        file_size: i64::try_from(loaded.content.len()).unwrap_or(i64::MAX),
        sha256: loaded.sha256.clone(),
        source: job.source,
        mode: job.mode,
        force: job.force,
        template: job.template.clone(),
        store_number: job.store_number.filter(|_| !from_inbox),
        job_id: Some(job.id),
        created_by: format!("worker:{}", work.worker_id),
        hold_risky_replace: work.settings.hold_risky_replaces,
        inbox_store,
    }
}

/// The import transaction, with the job's claim checked and completed inside it: a small job
/// through the group commit ([`super::batch`]), any other alone.
async fn write(work: &ImportWork, ctx: &JobContext<'_>, p: Prepared) -> Attempt<Committed> {
    let total = p.planned.as_ref().map(|p| p.shifts.len()).unwrap_or(0);
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    ctx.stage(Stage::Writing, Some(total), p.watch).await;
    if is_small(&p) {
        return write_small(work, ctx, p, total).await;
    }
    let hooks = JobHooks {
        work,
        ctx,
        rows_total: total,
    };
    let on_write = |w: crate::import::write::WriteProgress| ctx.rows_done(w.rows_done);
    let res = commit(
        &work.pool,
        &p.request,
        p.content.content(),
        p.planned,
        None,
        &hooks,
        &on_write,
    )
    .await;
    ended(res, p.content)
}

/// A job small enough to be written with others: its file was planned on the calling task
/// and its write is a few one-statement steps.
fn is_small(p: &Prepared) -> bool {
    let shifts = p.planned.as_ref().map(|p| p.shifts.len()).unwrap_or(0);
    p.content.content().len() <= PLAN_INLINE_BYTES && shifts < SMALL_SHIFTS
}

/// Shifts of a small job at most (beyond, the shifts are copied, not inserted by statement).
const SMALL_SHIFTS: usize = crate::import::copy::COPY_MIN_ROWS;

/// A small job through the group commit; written alone when its batch failed.
async fn write_small(
    work: &ImportWork,
    ctx: &JobContext<'_>,
    p: Prepared,
    rows_total: i64,
) -> Attempt<Committed> {
    let small = Small {
        request: p.request,
        content: p.content,
        planned: p.planned.map_err(|e| e.to_string()),
        hooks: SmallHooks {
            job: ClaimedJob {
                job_id: ctx.claim.job_id,
                lease_token: ctx.claim.lease_token,
                rows_total,
            },
            inbox: InboxCheck::of(work, ctx),
        },
    };
    let (small, written) = work.group.write(&work.pool, small).await;
    let res = match written {
        Written::Committed(outcome) => Ok(*outcome),
        Written::Failed(CommitError::Stopped(changed)) => return Attempt::Withdrawn(changed),
        Written::Failed(CommitError::Database { step, source }) => {
            Err(CommitError::Database { step, source })
        }
        Written::Failed(CommitError::Write(e)) => Err(CommitError::Write(e)),
        Written::Lost => {
            return Attempt::Failed(
                Failure::Transient,
                "the worker stopped while this job's transaction was being written; it \
                 will run again"
                    .into(),
            );
        }
        Written::Alone => {
            let hooks = JobHooks {
                work,
                ctx,
                rows_total,
            };
            let req = &small.request;
            let content = small.content.content();
            commit(
                &work.pool,
                req,
                content,
                small.planned,
                None,
                &hooks,
                &|_| {},
            )
            .await
        }
    };
    ended(res, small.content)
}

/// The attempt's ending from its transaction's.
fn ended(
    res: Result<ImportOutcome, CommitError<Attempt<Committed>>>,
    content: Arc<Owned>,
) -> Attempt<Committed> {
    match res {
        Ok(outcome) => {
            let keep = outcome.issues.iter().any(|i| i.cell.is_some())
                && matches!(
                    outcome.status,
                    ImportStatus::Failed | ImportStatus::Partial | ImportStatus::Held
                );
            Attempt::Committed(Committed {
                outcome: Box::new(outcome),
                bytes: keep.then(|| into_bytes(content)).flatten(),
            })
        }
        Err(CommitError::Stopped(stop)) => stop,
        Err(CommitError::Write(WriteError::ClaimLost(_))) => Attempt::LeaseLost,
        Err(e) => {
            let how = if e.is_retryable() {
                Failure::Transient
            } else {
                Failure::Permanent
            };
            Attempt::Failed(how, e.reason().unwrap_or_default())
        }
    }
}

/// The file's bytes for the store manager's error workbook (`None` when a file read where it
/// lies cannot be read again).
fn into_bytes(content: Arc<Owned>) -> Option<Vec<u8>> {
    match Arc::try_unwrap(content) {
        Ok(Owned::Bytes(bytes)) => Some(bytes),
        Ok(owned) => owned.content().bytes().ok().map(|b| b.into_owned()),
        Err(shared) => shared.content().bytes().ok().map(|b| b.into_owned()),
    }
}

/// The job's part of the import transaction.
struct JobHooks<'a, 'b> {
    work: &'a ImportWork,
    ctx: &'a JobContext<'b>,
    rows_total: i64,
}

impl Hooks for JobHooks<'_, '_> {
    type Stop = Attempt<Committed>;

    /// The import's last statement completes the job, only while the claim holds: the check
    /// that decides.
    fn job(&self) -> Option<ClaimedJob> {
        Some(ClaimedJob {
            job_id: self.ctx.claim.job_id,
            lease_token: self.ctx.claim.lease_token,
            rows_total: self.rows_total,
        })
    }

    /// Fail fast before a long write if the claim is gone; the completion is the check that
    /// decides, so a small job (whose write is one short batch) skips this one.
    async fn before_write(&self, tx: &mut PgConnection, rows: usize) -> Result<(), Self::Stop> {
        if rows < CHECK_BEFORE_WRITE_ROWS {
            return Ok(());
        }
        lease::check_in_tx(tx, &self.ctx.claim)
            .await
            .map_err(lease_error)
    }

    /// The job is completed (by the import's last statement); for an inbox file, make sure it
    /// still has the content that was queued (else the transaction rolls back).
    async fn before_commit(
        &self,
        _: &mut PgConnection,
        _: &ImportOutcome,
    ) -> Result<(), Self::Stop> {
        let Some(check) = InboxCheck::of(self.work, self.ctx) else {
            return Ok(());
        };
        match check.changed().await {
            Some(changed) => Err(Attempt::Withdrawn(changed)),
            None => Ok(()),
        }
    }
}

/// A queue error inside the transaction: the claim is gone, or the database blinked.
fn lease_error(e: QueueError) -> Attempt<Committed> {
    match e {
        QueueError::LeaseLost(_) => Attempt::LeaseLost,
        e => Attempt::Failed(Failure::Transient, e.to_string()),
    }
}

/// A job's content read where it lies, said at INFO (it explains the job's memory).
fn in_place(job: &Job, loaded: Loaded) -> Loaded {
    if let Owned::File { len, .. } = loaded.content {
        tracing::info!(job_id = %job.id, bytes = len, "the file is read where it lies");
    }
    loaded
}

/// The job's content: from the row, or from its path (which must be under a read root, be a
/// regular file and fit `read.max_file_bytes`; the read gives up at the job's deadline and at
/// shutdown, so a FIFO or a stalled share cannot hold the slot). A file of
/// [`IN_PLACE_BYTES`] or more is read where it lies: a path job's file, or an inbox job's
/// `processing/` file while it still has the queued content (else the row's copy is used).
async fn read_file(
    work: &ImportWork,
    job: &Job,
    ctx: &JobContext<'_>,
) -> Result<Loaded, Attempt<Committed>> {
    let limit = work.max_file_bytes();
    let timeout = work.settings.job_timeout();
    if let Some(size) = job.file_size {
        if let Some(loaded) = queued_in_place(job, size, limit, ctx, timeout).await {
            return Ok(loaded);
        }
        return match lease::file_bytes(&work.pool, job.id).await {
            Ok(Some(b)) => Ok(Loaded::bytes(b)),
            Ok(None) => Err(permanent("the job carries no file".into())),
            Err(e) if e.is_transient() => Err(Attempt::Failed(Failure::Transient, e.to_string())),
            Err(e) => Err(permanent(e.to_string())),
        };
    }
    let Some(path) = job.file_path.clone() else {
        return Err(permanent("the job names no file".into()));
    };
    let Some(real) = under_roots(&path, work.read_roots.clone()).await else {
        return Err(permanent(format!(
            "{path} is missing or not under one of this worker's import roots"
        )));
    };
    match load_bounded(&real, limit, IN_PLACE_BYTES, timeout, &ctx.stop).await {
        Ok(loaded) => Ok(in_place(job, loaded)),
        Err(SafeReadError::Stopped { .. }) => Err(Attempt::Stopped),
        Err(SafeReadError::TimedOut { .. }) => Err(Attempt::TimedOut),
        Err(e) => Err(permanent(e.to_string())),
    }
}

/// An inbox job's large file, read where it lies when its `processing/` copy still has the
/// content that was queued (its sha256 and size); `None`: use the copy in the job's row.
async fn queued_in_place(
    job: &Job,
    size: i64,
    limit: u64,
    ctx: &JobContext<'_>,
    timeout: std::time::Duration,
) -> Option<Loaded> {
    let (Some(path), Some(queued)) = (&job.file_path, &job.file_sha256) else {
        return None;
    };
    if job.source != ImportSource::Inbox || u64::try_from(size).ok()? < IN_PLACE_BYTES {
        return None;
    }
    let loaded = load_bounded(Path::new(path), limit, 0, timeout, &ctx.stop)
        .await
        .ok()?;
    (&loaded.sha256 == queued).then(|| in_place(job, loaded))
}

/// The real path of `path` when it is under one of `roots`.
async fn under_roots(path: &str, roots: Vec<PathBuf>) -> Option<PathBuf> {
    let p = PathBuf::from(path);
    tokio::task::spawn_blocking(move || {
        roots::is_under_roots(&p, &roots)
            .then(|| p.canonicalize().ok())
            .flatten()
    })
    .await
    .ok()
    .flatten()
}

fn permanent(reason: String) -> Attempt<Committed> {
    Attempt::Failed(Failure::Permanent, reason)
}

/// For an inbox job: whether its `processing/` file still has the content that was queued.
/// Checked right before the commit, so a writer that paused past the settle time and then went
/// on writing never gets a partial import.
pub struct InboxCheck {
    file_name: String,
    path: PathBuf,
    queued: String,
    limit: u64,
    timeout: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
}

impl InboxCheck {
    /// The check an inbox job's commit needs (`None` for any other job).
    pub fn of(work: &ImportWork, ctx: &JobContext<'_>) -> Option<InboxCheck> {
        let job = ctx.job;
        if job.source != ImportSource::Inbox {
            return None;
        }
        let (Some(path), Some(queued)) = (&job.file_path, &job.file_sha256) else {
            return None;
        };
        Some(InboxCheck {
            file_name: job.file_name.clone(),
            path: PathBuf::from(path),
            queued: queued.clone(),
            limit: work.max_file_bytes(),
            timeout: work.settings.job_timeout(),
            stop: ctx.stop.clone(),
        })
    }

    /// `Some(reason)` when the file no longer has the queued content.
    pub async fn changed(&self) -> Option<String> {
        // Hashed in chunks: a large file is not read into memory again beside its plan.
        let now = load_bounded(&self.path, self.limit, 0, self.timeout, &self.stop).await;
        match now {
            Ok(r) if r.sha256 == self.queued => None,
            Ok(_) | Err(SafeReadError::TooLarge { .. }) => Some(format!(
                "{}: the file changed after it was taken (was it still being written?); nothing \
                 was imported and the file was put back in the inbox to be taken again",
                self.file_name
            )),
            // Gone (moved on by someone else) or unreadable: the queued bytes are what counts.
            Err(_) => None,
        }
    }
}
