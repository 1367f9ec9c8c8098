//! The worker loop: claim → read the file → plan it in `spawn_blocking` (a panic fails the
//! import, not the worker) → one transaction that checks the claim, writes the import and
//! completes the job → commit → move the inbox file on.
//!
//! Up to `concurrency` jobs run at once; each has a heartbeat task extending its lease and
//! publishing its stage. A bad file is a finished, failed job and is never retried; a database
//! blink is retried with backoff. Shutdown: stop claiming, let in-flight imports finish until
//! the grace deadline, then abandon them (their transactions roll back) and release their jobs.

use super::job::{Claim, Job, JobState};
use super::lease::{self, Completion, Progress};
use super::wake::Waker;
use super::{QueueError, WorkerSettings, maintain};
use crate::import::plan::{PlanOptions, plan_bytes};
use crate::import::{ImportMode, ImportOutcome, ImportRequest, ImportSource, ImportStatus};
use crate::intake::safe_read::{SafeReadError, read_bounded};
use crate::intake::{Finish, folders};
use crate::ops::metrics::{JobEnd, Metrics};
use crate::schedule::Plan;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// Files from this size on are worth watching: their stages are published at once (like the
/// CLI's progress line); smaller jobs leave it to the heartbeat.
const WATCH_BYTES: i64 = 512 * 1024;

/// Writes of this many shifts or more check the claim before they start.
const CHECK_BEFORE_WRITE_ROWS: i64 = 1_000;

/// Everything a worker process needs to run jobs.
pub struct Runner {
    pub pool: PgPool,
    pub settings: WorkerSettings,
    pub worker_id: String,
    /// Templates (loaded from the database after the start-up sync, reloaded when
    /// `processing_templates` or `data_mappings` change) and read options; the job's template
    /// and store override are set per job.
    pub plan_options: std::sync::RwLock<PlanOptions>,
    /// Folders a path job's file may be read from: the configured roots and this worker's
    /// `processing/` folders.
    pub read_roots: Vec<PathBuf>,
    pub metrics: Arc<Metrics>,
    /// Poked by the local intake after it queued a job.
    pub kick: Arc<Notify>,
    /// Direct session URL for LISTEN; `None`: poll only (transaction pooler without a direct URL).
    pub listen_url: Option<String>,
}

/// How one attempt ended.
enum Attempt {
    /// The import transaction committed (the import itself may be `failed`: a refused file).
    Committed(ImportOutcome),
    /// A failure that another attempt would meet again.
    Permanent(String),
    /// A failure another attempt may not meet (the database blinked).
    Transient(String),
    /// The claim is gone: rescued, cancelled or finished elsewhere.
    LeaseLost,
    /// Shutdown grace ran out.
    Stopped,
    /// The inbox file in `processing/` no longer has the content that was queued (its writer
    /// was still writing): nothing is committed and the file goes back to the inbox.
    Changed(String),
    /// The attempt ran past `worker.job_timeout_secs`.
    TimedOut,
}

/// Why planning produced no plan: the pipeline's error, or a panic inside it.
#[derive(Debug)]
enum PlanFailure {
    Plan(crate::import::plan::PlanError),
    Panic,
}

impl fmt::Display for PlanFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanFailure::Plan(e) => write!(f, "{e}"),
            PlanFailure::Panic => f.write_str(
                "internal error: reading this file crashed the reader (a bug in pharmacy-ingest); \
                 the file is kept for a bug report",
            ),
        }
    }
}

impl Runner {
    fn lease(&self) -> Duration {
        Duration::from_secs(self.settings.lease_secs.max(1))
    }

    /// Claim up to `n` jobs in one statement, small files coming with their claim.
    async fn claim(&self, n: usize) -> Result<Vec<lease::Claimed>, QueueError> {
        let lease = self.lease();
        lease::claim_with_files(
            &self.pool,
            &self.worker_id,
            n,
            lease,
            lease::INLINE_FILE_BYTES,
        )
        .await
    }

    /// How long one attempt may take, reading to commit.
    fn job_timeout(&self) -> Duration {
        Duration::from_secs(self.settings.job_timeout_secs.max(1))
    }

    /// Largest file read (`read.max_file_bytes`).
    fn max_file_bytes(&self) -> u64 {
        self.plan_options
            .read()
            .expect("plan options lock is never poisoned")
            .read
            .limits
            .max_file_bytes
    }

    /// Run until `shutdown` is cancelled, then drain within the grace period.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), QueueError> {
        // LISTEN before the first claim, so a job queued in between still wakes us.
        let mut waker = Waker::new(
            self.listen_url.clone(),
            Duration::from_millis(self.settings.poll_interval_ms.max(10)),
        )
        .await;
        tracing::info!(
            worker_id = %self.worker_id,
            concurrency = self.settings.concurrency,
            listening = waker.is_listening(),
            "worker started"
        );
        let tracker = TaskTracker::new();
        let hard_stop = CancellationToken::new();
        let slot_freed = Arc::new(Notify::new());
        let slots = Arc::new(tokio::sync::Semaphore::new(
            self.settings.concurrency.max(1),
        ));

        let maintenance = tokio::spawn(self.clone().maintain(shutdown.clone()));

        let mut claim_errors = 0u32;
        while !shutdown.is_cancelled() {
            let free = slots.available_permits();
            let mut claimed_all = false;
            if free > 0 {
                match self.claim(free).await {
                    Ok(jobs) => {
                        claim_errors = 0;
                        claimed_all = !jobs.is_empty() && jobs.len() == free;
                        for job in jobs {
                            let permit = slots
                                .clone()
                                .try_acquire_owned()
                                .expect("a permit per claimed job: claims never exceed free slots");
                            let me = self.clone();
                            let stop = hard_stop.clone();
                            let freed = slot_freed.clone();
                            tracker.spawn(async move {
                                me.run_job(job.job, job.inline_bytes, stop).await;
                                drop(permit);
                                freed.notify_one();
                            });
                        }
                        if !claimed_all && free > 0 {
                            // Fewer jobs than slots: the queue is drained for now.
                        }
                    }
                    Err(e) => {
                        claim_errors += 1;
                        tracing::warn!(error = %e, "claiming jobs failed; retrying");
                        let pause = Duration::from_millis(200 * u64::from(claim_errors.min(25)));
                        tokio::select! {
                            _ = shutdown.cancelled() => break,
                            _ = tokio::time::sleep(pause) => {}
                        }
                        continue;
                    }
                }
            }
            if claimed_all {
                // Every slot filled: wait for one to free up before claiming again.
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = slot_freed.notified() => {}
                }
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = waker.wait(), if slots.available_permits() > 0 => {}
                _ = self.kick.notified(), if slots.available_permits() > 0 => {}
                _ = slot_freed.notified() => {}
            }
        }

        tracker.close();
        let grace = Duration::from_secs(self.settings.shutdown_grace_secs);
        if !tracker.is_empty() {
            tracing::info!(
                in_flight = tracker.len(),
                grace_secs = grace.as_secs(),
                "stopping: letting in-flight imports finish"
            );
        }
        if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
            tracing::warn!(
                in_flight = tracker.len(),
                "grace period over: abandoning in-flight imports and releasing their jobs"
            );
            hard_stop.cancel();
            tracker.wait().await;
        }
        let _ = maintenance.await;
        tracing::info!(worker_id = %self.worker_id, "worker stopped");
        Ok(())
    }

    /// Run every due job now, one at a time, and return how many ran (tests, `drain`).
    pub async fn drain(self: &Arc<Self>) -> Result<usize, QueueError> {
        let mut n = 0;
        loop {
            let jobs = self.claim(1).await?;
            let Some(job) = jobs.into_iter().next() else {
                return Ok(n);
            };
            self.clone()
                .run_job(job.job, job.inline_bytes, CancellationToken::new())
                .await;
            n += 1;
        }
    }

    /// Rescue expired leases, prune old jobs and reload changed templates until shutdown.
    async fn maintain(self: Arc<Self>, shutdown: CancellationToken) {
        let mut rescue = tokio::time::interval(Duration::from_millis(
            self.settings.rescue_interval_ms.max(100),
        ));
        rescue.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune = tokio::time::interval(Duration::from_secs(600));
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let prune_age =
            Duration::from_secs_f64((self.settings.prune_after_hours * 3600.0).max(0.0));
        let mut reload = tokio::time::interval(Duration::from_secs(
            self.settings.template_reload_secs.max(1),
        ));
        reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen_templates = templates_fingerprint(&self.pool).await.ok();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = rescue.tick() => match maintain::rescue_expired(&self.pool).await {
                    Ok(rescued) => {
                        for (job_id, state) in &rescued {
                            tracing::warn!(%job_id, state = %state, "rescued a job whose worker stopped heartbeating");
                        }
                        if !rescued.is_empty() {
                            self.kick.notify_one();
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "rescuing expired jobs failed"),
                },
                _ = reload.tick() => self.reload_templates(&mut seen_templates).await,
                _ = prune.tick() => match maintain::prune_finished(&self.pool, prune_age).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(pruned = n, "pruned finished jobs"),
                    Err(e) => tracing::warn!(error = %e, "pruning finished jobs failed"),
                },
            }
        }
    }

    /// Reload the templates when the database's changed since `seen` (an operator edited one).
    async fn reload_templates(&self, seen: &mut Option<String>) {
        let now = match templates_fingerprint(&self.pool).await {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!(error = %e, "checking for template changes failed");
                return;
            }
        };
        if seen.as_deref() == Some(now.as_str()) {
            return;
        }
        match crate::template::sync::load_active(&self.pool).await {
            Ok(templates) => {
                tracing::info!(
                    templates = templates.len(),
                    "processing templates changed; reloaded"
                );
                self.plan_options
                    .write()
                    .expect("plan options lock is never poisoned")
                    .templates = templates;
                *seen = Some(now);
            }
            Err(e) => {
                tracing::warn!(error = %e, "reloading processing templates failed; keeping the loaded ones")
            }
        }
    }

    /// One claimed job, from heartbeat to file move. Never returns an error: every ending is
    /// recorded in the job row (or left to the rescuer when the database is gone).
    async fn run_job(
        self: Arc<Self>,
        job: Job,
        inline: Option<Vec<u8>>,
        hard_stop: CancellationToken,
    ) {
        let Some(claim) = job.claim() else {
            return;
        };
        let span = tracing::info_span!("job", job_id = %job.id, attempt = job.attempt, import_id = tracing::field::Empty);
        async move {
            let started = Instant::now();
            let progress = Arc::new(Mutex::new(Progress {
                stage: "claimed",
                ..Progress::default()
            }));
            let lost = CancellationToken::new();
            let done = CancellationToken::new();
            let beat = tokio::spawn(heartbeat_loop(
                self.pool.clone(),
                claim,
                self.lease(),
                Duration::from_millis(self.settings.heartbeat_ms.max(50)),
                progress.clone(),
                lost.clone(),
                done.clone(),
            ));
            let deadline = self.job_timeout();
            let result = tokio::select! {
                biased;
                _ = hard_stop.cancelled() => Attempt::Stopped,
                _ = tokio::time::sleep(deadline) => Attempt::TimedOut,
                r = self.attempt(&job, inline, &claim, &progress, &lost, &hard_stop) => r,
            };
            done.cancel();
            let _ = beat.await;
            self.settle(&job, &claim, result, started).await;
        }
        .instrument(span)
        .await
    }

    /// Read, plan and write one job; the transaction completes the job only if the claim holds.
    ///
    /// A lost lease (seen by the heartbeat) stops the work before the transaction; once the
    /// transaction runs, the in-transaction claim check alone decides, so a heartbeat that
    /// finds the job already completed by this very transaction cannot misreport it.
    async fn attempt(
        &self,
        job: &Job,
        inline: Option<Vec<u8>>,
        claim: &Claim,
        progress: &Mutex<Progress>,
        lost: &CancellationToken,
        stop: &CancellationToken,
    ) -> Attempt {
        let prepared = tokio::select! {
            biased;
            _ = lost.cancelled() => return Attempt::LeaseLost,
            r = self.prepare(job, inline, claim, progress, stop) => r,
        };
        let (request, bytes, planned, total) = match prepared {
            Ok(p) => p,
            Err(a) => return a,
        };
        let ctx = CommitContext {
            job,
            claim,
            progress,
            stop,
        };
        self.commit_import(&ctx, &request, &bytes, planned, total)
            .await
    }

    /// Read and plan the file.
    async fn prepare(
        &self,
        job: &Job,
        inline: Option<Vec<u8>>,
        claim: &Claim,
        progress: &Mutex<Progress>,
        stop: &CancellationToken,
    ) -> Result<(ImportRequest, Vec<u8>, Result<Plan, PlanFailure>, i64), Attempt> {
        let watch = job.file_size.is_some_and(|n| n >= WATCH_BYTES);
        self.stage(claim, progress, "reading", None, watch).await;
        let bytes = match inline {
            Some(b) => b,
            None => self.read_file(job, stop).await?,
        };
        let watch = bytes.len() as i64 >= WATCH_BYTES;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let request = ImportRequest {
            file_name: job.file_name.clone(),
            file_size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256,
            source: parse_source(&job.source),
            mode: if job.mode == "append" {
                ImportMode::Append
            } else {
                ImportMode::Replace
            },
            force: job.force,
            template: job.template.clone(),
            // A store inbox's number only fills in a file that names no store.
            store_number: job.store_number.filter(|_| !is_store_inbox_job(job)),
            job_id: Some(job.id),
            created_by: format!("worker:{}", self.worker_id),
        };

        self.stage(claim, progress, "planning", None, watch).await;
        let fallback = job.store_number.filter(|_| is_store_inbox_job(job));
        let (planned, bytes) = self.plan(bytes, &request, fallback).await;
        let total = planned.as_ref().map(|p| p.shifts.len()).unwrap_or(0);
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        self.stage(claim, progress, "writing", Some(total), watch)
            .await;
        Ok((request, bytes, planned, total))
    }

    /// The import transaction: check the claim, keep the file's bytes (for reprocessing),
    /// write the import (publishing rows written), complete the job, commit.
    async fn commit_import(
        &self,
        ctx: &CommitContext<'_>,
        request: &ImportRequest,
        bytes: &[u8],
        planned: Result<Plan, PlanFailure>,
        total: i64,
    ) -> Attempt {
        let (claim, progress) = (ctx.claim, ctx.progress);
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => return Attempt::Transient(format!("database unavailable: {e}")),
        };
        // Fail fast before a long write if the claim is gone; the completion below is the
        // check that decides, so a small job (whose write is one short batch) skips this one.
        if total >= CHECK_BEFORE_WRITE_ROWS {
            match lease::check_in_tx(&mut tx, claim).await {
                Ok(()) => {}
                Err(QueueError::LeaseLost(_)) => return Attempt::LeaseLost,
                Err(e) => return Attempt::Transient(e.to_string()),
            }
        }
        if let Err(e) = crate::import::files::save_file(&mut tx, bytes).await {
            return if crate::db::retry::is_transient(&e) {
                Attempt::Transient(format!("storing the file failed: {e}"))
            } else {
                Attempt::Permanent(format!("storing the file failed: {e}"))
            };
        }
        let on_progress = |w: crate::import::write::WriteProgress| {
            let mut p = progress.lock().expect("progress lock is never poisoned");
            p.rows_done = Some(i64::try_from(w.rows_done).unwrap_or(i64::MAX));
        };
        let written = crate::import::write::write_import_with_progress(
            &mut tx,
            request,
            planned,
            None,
            &on_progress,
        )
        .await;
        let outcome = match written {
            Ok(o) => o,
            Err(e) if e.is_retryable() => return Attempt::Transient(e.to_string()),
            Err(e) => return Attempt::Permanent(e.to_string()),
        };
        let completion = Completion {
            state: if outcome.status == ImportStatus::Failed {
                JobState::Failed
            } else {
                JobState::Succeeded
            },
            import_id: Some(outcome.import_id),
            rows_done: outcome.rows_imported,
            rows_total: total,
            error: outcome.error.clone(),
        };
        match lease::complete_in_tx(&mut tx, claim, &completion).await {
            Ok(()) => {}
            Err(QueueError::LeaseLost(_)) => return Attempt::LeaseLost,
            Err(e) => return Attempt::Transient(e.to_string()),
        }
        if let Some(changed) = self.inbox_file_changed(ctx.job, ctx.stop).await {
            // Dropping the transaction rolls the import back.
            return Attempt::Changed(changed);
        }
        match tx.commit().await {
            Ok(()) => Attempt::Committed(outcome),
            // If the commit did land, the retry finds the lease gone and changes nothing.
            Err(e) => Attempt::Transient(format!("commit failed: {e}")),
        }
    }

    /// The job's bytes: from the row, or from its path (which must be under a read root, be a
    /// regular file and fit `read.max_file_bytes`; the read gives up at the job's deadline and
    /// at shutdown, so a FIFO or a stalled share cannot hold the slot).
    async fn read_file(&self, job: &Job, stop: &CancellationToken) -> Result<Vec<u8>, Attempt> {
        if job.file_size.is_some() {
            return match lease::file_bytes(&self.pool, job.id).await {
                Ok(Some(b)) => Ok(b),
                Ok(None) => Err(Attempt::Permanent("the job carries no file".into())),
                Err(e) if e.is_transient() => Err(Attempt::Transient(e.to_string())),
                Err(e) => Err(Attempt::Permanent(e.to_string())),
            };
        }
        let Some(path) = job.file_path.clone() else {
            return Err(Attempt::Permanent("the job names no file".into()));
        };
        let roots = self.read_roots.clone();
        let p = PathBuf::from(&path);
        let real = tokio::task::spawn_blocking(move || {
            super::roots::is_under_roots(&p, &roots)
                .then(|| p.canonicalize().ok())
                .flatten()
        })
        .await
        .ok()
        .flatten();
        let Some(real) = real else {
            return Err(Attempt::Permanent(format!(
                "{path} is missing or not under one of this worker's import roots"
            )));
        };
        match read_bounded(&real, self.max_file_bytes(), self.job_timeout(), stop).await {
            Ok(r) => Ok(r.bytes),
            Err(SafeReadError::Stopped { .. }) => Err(Attempt::Stopped),
            Err(SafeReadError::TimedOut { .. }) => Err(Attempt::TimedOut),
            Err(e) => Err(Attempt::Permanent(e.to_string())),
        }
    }

    /// For an inbox job: whether its `processing/` file still has the content that was queued
    /// (`Some(reason)` when it does not). Checked right before the commit, so a writer that
    /// paused past the settle time and then went on writing never gets a partial import.
    async fn inbox_file_changed(&self, job: &Job, stop: &CancellationToken) -> Option<String> {
        if job.source != ImportSource::Inbox.as_str() {
            return None;
        }
        let (Some(path), Some(queued)) = (&job.file_path, &job.file_sha256) else {
            return None;
        };
        let now = read_bounded(
            Path::new(path),
            self.max_file_bytes(),
            self.job_timeout(),
            stop,
        )
        .await;
        match now {
            Ok(r) if &r.sha256 == queued => None,
            Ok(_) | Err(SafeReadError::TooLarge { .. }) => Some(format!(
                "{}: the file changed after it was taken (was it still being written?); nothing \
                 was imported and the file was put back in the inbox to be taken again",
                job.file_name
            )),
            // Gone (moved on by someone else) or unreadable: the queued bytes are what counts.
            Err(_) => None,
        }
    }

    /// Plan in a blocking thread; a panic becomes a failed plan. Hands the bytes back.
    async fn plan(
        &self,
        bytes: Vec<u8>,
        request: &ImportRequest,
        fallback_store: Option<i32>,
    ) -> (Result<Plan, PlanFailure>, Vec<u8>) {
        let mut opts = self
            .plan_options
            .read()
            .expect("plan options lock is never poisoned")
            .clone();
        opts.template = request.template.clone();
        opts.store = request.store_number;
        opts.fallback_store = fallback_store;
        let file_name = request.file_name.clone();
        // Shared with the blocking task, not copied: a big file is held once.
        let bytes = Arc::new(bytes);
        let for_plan = bytes.clone();
        let res = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                plan_bytes(&file_name, &for_plan, &opts)
            }))
        })
        .await;
        // The task (and its handle on the bytes) is gone by now.
        let keep = Arc::try_unwrap(bytes).unwrap_or_else(|shared| shared.to_vec());
        let planned = match res {
            Ok(Ok(Ok(plan))) => Ok(plan),
            Ok(Ok(Err(e))) => Err(PlanFailure::Plan(e)),
            Ok(Err(_)) | Err(_) => {
                tracing::error!("the file reader panicked; the import is recorded as failed");
                Err(PlanFailure::Panic)
            }
        };
        (planned, keep)
    }

    /// Record a stage change. The heartbeat publishes it within `heartbeat_ms`; a job worth
    /// watching (`watch`: its file is [`WATCH_BYTES`] or larger) publishes it at once (one
    /// round trip, which also extends the lease), so small jobs spend no round trip on it.
    async fn stage(
        &self,
        claim: &Claim,
        progress: &Mutex<Progress>,
        stage: &'static str,
        rows_total: Option<i64>,
        watch: bool,
    ) {
        let snapshot = {
            let mut p = progress.lock().expect("progress lock is never poisoned");
            p.stage = stage;
            if rows_total.is_some() {
                p.rows_total = rows_total;
                p.rows_done = Some(0);
            }
            p.clone()
        };
        if !watch {
            return;
        }
        if let Err(e) = lease::heartbeat(&self.pool, claim, self.lease(), Some(&snapshot)).await {
            tracing::debug!(error = %e, "progress update failed");
        }
    }

    /// Record how the attempt ended and move the file on.
    async fn settle(&self, job: &Job, claim: &Claim, result: Attempt, started: Instant) {
        match result {
            Attempt::Committed(outcome) => {
                tracing::Span::current()
                    .record("import_id", tracing::field::display(outcome.import_id));
                let took = started.elapsed();
                let end = match outcome.status {
                    ImportStatus::Succeeded => JobEnd::Succeeded,
                    ImportStatus::Partial => JobEnd::Partial,
                    ImportStatus::Duplicate => JobEnd::Duplicate,
                    ImportStatus::Failed => JobEnd::Refused,
                };
                self.metrics.job_ended(end);
                self.metrics
                    .import_committed(took, outcome.rows_imported, outcome.rows_rejected);
                tracing::info!(
                    import_id = %outcome.import_id,
                    status = ?outcome.status,
                    rows_imported = outcome.rows_imported,
                    rows_rejected = outcome.rows_rejected,
                    rows_replaced = outcome.rows_replaced,
                    warnings = outcome.warnings,
                    ms = took.as_millis() as u64,
                    "import committed"
                );
                let how = match outcome.status {
                    ImportStatus::Failed => {
                        Finish::Failed(crate::import::report::errors_txt(&job.file_name, &outcome))
                    }
                    ImportStatus::Partial => Finish::Processed(Some(
                        crate::import::report::errors_txt(&job.file_name, &outcome),
                    )),
                    ImportStatus::Succeeded | ImportStatus::Duplicate => Finish::Processed(None),
                };
                self.move_file(job, how).await;
            }
            Attempt::Changed(reason) => {
                self.metrics.job_ended(JobEnd::Failed);
                tracing::warn!("the inbox file changed after it was queued; put back in the inbox");
                match lease::fail(&self.pool, claim, &reason, false, 0.0).await {
                    Ok(_) => self.return_to_inbox(job).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not record the failure; the lease will expire and the job be retried")
                    }
                }
            }
            Attempt::Permanent(reason) => self.fail_permanently(job, claim, reason).await,
            Attempt::Transient(reason) => {
                tracing::warn!(reason = %reason, "job attempt failed; will retry");
                match lease::fail(
                    &self.pool,
                    claim,
                    &reason,
                    true,
                    self.settings.backoff_base_secs,
                )
                .await
                {
                    Ok(JobState::Failed) => {
                        self.metrics.job_ended(JobEnd::Failed);
                        tracing::warn!("job failed: no attempts left");
                        let report = crate::intake::report::plain_report(
                            &job.file_name,
                            job.id,
                            &format!(
                                "the database could not take the import after {} attempts: {reason}",
                                claim.attempt
                            ),
                        );
                        self.move_file(job, Finish::Failed(report)).await;
                    }
                    Ok(_) => self.metrics.job_ended(JobEnd::Retrying),
                    Err(e) => {
                        self.metrics.job_ended(JobEnd::Retrying);
                        tracing::warn!(error = %e, "could not record the failure; the lease will expire and the job be retried")
                    }
                }
            }
            Attempt::TimedOut => {
                let reason = format!(
                    "{}: the import did not finish within {} s (worker.job_timeout_secs); the \
                     file may be too large or a folder too slow: split the file, or ask your \
                     administrator",
                    job.file_name,
                    self.job_timeout().as_secs()
                );
                self.fail_permanently(job, claim, reason).await;
            }
            Attempt::LeaseLost => {
                self.metrics.job_ended(JobEnd::LeaseLost);
                tracing::warn!(
                    "lease lost (rescued, cancelled or finished elsewhere); work discarded"
                );
            }
            Attempt::Stopped => {
                self.metrics.job_ended(JobEnd::Released);
                match lease::release(&self.pool, claim).await {
                    Ok(true) => tracing::info!("job released at shutdown"),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "could not release the job; its lease will expire")
                    }
                }
            }
        }
    }

    /// A failure another attempt would meet again: the job fails, the file goes to `failed/`.
    async fn fail_permanently(&self, job: &Job, claim: &Claim, reason: String) {
        self.metrics.job_ended(JobEnd::Failed);
        tracing::warn!(reason = %reason, "job failed; not retried");
        match lease::fail(
            &self.pool,
            claim,
            &reason,
            false,
            self.settings.backoff_base_secs,
        )
        .await
        {
            Ok(_) => {
                let report = crate::intake::report::plain_report(&job.file_name, job.id, &reason);
                self.move_file(job, Finish::Failed(report)).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not record the failure; the lease will expire and the job be retried")
            }
        }
    }

    /// Put an inbox job's `processing/` file back in its inbox (`inbox/` beside it), to settle
    /// and be taken again. A watched folder with another name is not known here: the file then
    /// stays and the sweep moves it to `failed/` with the job's reason.
    async fn return_to_inbox(&self, job: &Job) {
        let Some(path) = job.file_path.clone() else {
            return;
        };
        let res = tokio::task::spawn_blocking(move || {
            let p = Path::new(&path);
            match crate::intake::Layout::of_processing_file(p) {
                Some(l) if l.inbox.is_dir() => folders::move_into(p, &l.inbox).map(|_| ()),
                _ => Ok(()),
            }
        })
        .await;
        if !matches!(res, Ok(Ok(()))) {
            tracing::warn!(
                "could not put the changed file back in the inbox; the next sweep will move it on"
            );
        }
    }

    /// Move an inbox job's `processing/` file on (nothing for other jobs).
    async fn move_file(&self, job: &Job, how: Finish) {
        if job.source != ImportSource::Inbox.as_str() {
            return;
        }
        let Some(path) = job.file_path.clone() else {
            return;
        };
        let res =
            tokio::task::spawn_blocking(move || folders::finish(Path::new(&path), &how)).await;
        match res {
            Ok(Ok(Some(_))) => {}
            Ok(Ok(None)) => {
                tracing::debug!("the job's file was not in processing/ (moved already)")
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not move the job's file on; the next sweep will")
            }
            Err(e) => tracing::warn!(error = %e, "moving the job's file panicked"),
        }
    }
}

/// What the import transaction needs to know about its job beyond the request.
struct CommitContext<'a> {
    job: &'a Job,
    claim: &'a Claim,
    progress: &'a Mutex<Progress>,
    stop: &'a CancellationToken,
}

/// Changes whenever a template or mapping row is added, changed or removed.
async fn templates_fingerprint(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT (SELECT coalesce(max(updated_at)::text, '') || '#' || count(*) FROM processing_templates)
             || '/' ||
             (SELECT coalesce(max(updated_at)::text, '') || '#' || count(*) FROM data_mappings)",
    )
    .fetch_one(pool)
    .await
}

/// A job the watched folder queued with its inbox folder's store number
/// ([`crate::intake::store_inbox`]): that number is a fallback, not an override.
fn is_store_inbox_job(job: &Job) -> bool {
    job.source == ImportSource::Inbox.as_str()
}

fn parse_source(s: &str) -> ImportSource {
    match s {
        "inbox" => ImportSource::Inbox,
        "cli" => ImportSource::Cli,
        "reprocess" => ImportSource::Reprocess,
        _ => ImportSource::Sql,
    }
}

/// Extend the lease every `every` until `done`; cancel `lost` when the lease is gone.
async fn heartbeat_loop(
    pool: PgPool,
    claim: Claim,
    lease: Duration,
    every: Duration,
    progress: Arc<Mutex<Progress>>,
    lost: CancellationToken,
    done: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = tick.tick() => {}
        }
        let snapshot = progress
            .lock()
            .expect("progress lock is never poisoned")
            .clone();
        match lease::heartbeat(&pool, &claim, lease, Some(&snapshot)).await {
            Ok(true) => {}
            Ok(false) => {
                lost.cancel();
                return;
            }
            Err(e) => tracing::warn!(error = %e, "heartbeat failed; retrying"),
        }
    }
}
