//! The queue's worker loop, generic over the work a job stands for: claim → heartbeat → hand
//! the claim to the [`Work`] → settle. The work completes its job inside its own transaction
//! ([`super::lease::complete_in_tx`], or the same update inside one of its statements); every
//! other ending (a failure to retry or not, a lost lease, a release at shutdown, a timeout) is
//! recorded here, then the work is told ([`Work::settled`]) so it can move files and count.
//!
//! Up to `concurrency` jobs run at once; each has a heartbeat task extending its lease and
//! publishing its stage. Shutdown: stop claiming, let in-flight jobs finish until the grace
//! deadline, then abandon them (their transactions roll back) and release their jobs.
//! The import work is [`crate::worker::ImportWork`].

use super::job::{Claim, Job, JobState, Stage};
pub use super::lease::Failure;
use super::lease::{self, Progress};
use super::wake::Waker;
use super::{QueueError, WorkerSettings, maintain};
use sqlx::{Connection, PgConnection, PgPool};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// How one attempt ended, as the work reports it.
pub enum Attempt<D> {
    /// The work's transaction committed and completed the job.
    Committed(D),
    /// Nothing was committed.
    Failed(Failure, String),
    /// Nothing was committed and the job fails, but its input goes back to where it came from
    /// to be taken again (an inbox file that was still being written).
    Withdrawn(String),
    /// The claim is gone: rescued, cancelled or finished elsewhere.
    LeaseLost,
    /// Shutdown grace ran out.
    Stopped,
    /// The attempt ran past `worker.job_timeout_secs`.
    TimedOut,
}

/// How a job ended, once recorded: what [`Work::settled`] is told.
pub enum Ending<D> {
    /// The work committed (see [`Attempt::Committed`]); `took`: claim to commit.
    Committed { done: D, took: Duration },
    /// The job failed for good (permanently, or out of attempts); `reason` is recorded in it.
    Failed { reason: String },
    /// The job failed and its input should go back (see [`Attempt::Withdrawn`]).
    Withdrawn,
    /// A transient failure: the job will run again (or its lease expires and it is rescued).
    Retrying,
    /// The lease was lost; the work was thrown away.
    LeaseLost,
    /// Released at shutdown, to run again at once elsewhere.
    Released,
}

/// The work a claimed job stands for.
pub trait Work: Send + Sync + 'static {
    /// What a committed attempt hands to [`Work::settled`].
    type Done: Send + 'static;

    /// Run one attempt. The work must complete the job in the transaction it commits
    /// (`lease::complete_in_tx`, or `complete_job_sql!` inside one of its own statements, as
    /// the import does), and should give up early when [`JobContext::lost`] fires.
    fn perform(&self, ctx: &JobContext<'_>) -> impl Future<Output = Attempt<Self::Done>> + Send;

    /// After the runner recorded how the job ended: move files, count, report.
    fn settled(&self, job: &Job, ending: Ending<Self::Done>) -> impl Future<Output = ()> + Send;
}

/// What an attempt gets with its claimed job.
pub struct JobContext<'a> {
    pub job: &'a Job,
    pub claim: Claim,
    /// The file's bytes when they came with the claim (small jobs); see [`Self::take_inline`].
    inline: Mutex<Option<Vec<u8>>>,
    /// Cancelled when the heartbeat finds the lease gone.
    pub lost: CancellationToken,
    /// Cancelled when shutdown grace runs out.
    pub stop: CancellationToken,
    pool: &'a PgPool,
    lease: Duration,
    progress: Arc<Mutex<Progress>>,
}

impl JobContext<'_> {
    /// Take the bytes that came with the claim, if any.
    pub fn take_inline(&self) -> Option<Vec<u8>> {
        self.inline
            .lock()
            .expect("inline lock is never poisoned")
            .take()
    }

    /// Record a stage change. The heartbeat publishes it within `heartbeat_ms`; `watch` (a job
    /// worth watching) publishes it at once (one round trip, which also extends the lease).
    pub async fn stage(&self, stage: Stage, rows_total: Option<i64>, watch: bool) {
        let snapshot = {
            let mut p = self
                .progress
                .lock()
                .expect("progress lock is never poisoned");
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
        let res = lease::heartbeat(self.pool, &self.claim, self.lease, Some(&snapshot)).await;
        if let Err(e) = res {
            tracing::debug!(error = %e, "progress update failed");
        }
    }

    /// Record rows written so far (published by the next heartbeat).
    pub fn rows_done(&self, n: usize) {
        let mut p = self
            .progress
            .lock()
            .expect("progress lock is never poisoned");
        p.rows_done = Some(i64::try_from(n).unwrap_or(i64::MAX));
    }
}

/// Everything a worker process needs to run jobs of one kind of work.
pub struct Runner<W: Work> {
    pub pool: PgPool,
    pub settings: WorkerSettings,
    pub worker_id: String,
    pub work: Arc<W>,
    /// Poked by the local intake after it queued a job.
    pub kick: Arc<Notify>,
    /// Direct session URL for LISTEN; `None`: poll only (transaction pooler without a direct URL).
    pub listen_url: Option<String>,
    /// Whether the pool's connections are sessions of their own (not a transaction pooler's,
    /// whose server connections other clients share): then the claim connection keeps its
    /// plan settings for the session ([`Runner::claim`]).
    pub session_pool: bool,
}

impl<W: Work> Runner<W> {
    /// A runner that polls (no LISTEN), is kicked by nobody and whose pool is no transaction
    /// pooler; set the fields to change that.
    pub fn new(pool: PgPool, settings: WorkerSettings, worker_id: String, work: Arc<W>) -> Self {
        Runner {
            pool,
            settings,
            worker_id,
            work,
            kick: Arc::new(Notify::new()),
            listen_url: None,
            session_pool: true,
        }
    }

    /// Claim up to `n` jobs in one statement, small files coming with their claim, on the
    /// runner's claim connection `kept` (opened on first use and kept between claims; a kept
    /// connection that fails, closed by the server while idle, is dropped and the claim made
    /// once more on a new one).
    ///
    /// The claims have a connection of their own, outside the pool, for their plans:
    /// - a plan is per connection, and PostgreSQL plans a prepared statement afresh for its
    ///   first five runs on each one: taken from the pool, an idle worker's claims went round
    ///   its connections and nearly every one was planned anew (0.3–0.5 ms of a one-shift
    ///   job's way from its enqueue to its commit);
    /// - with [`Self::session_pool`], the connection reads the due jobs in the order of
    ///   `import_jobs_claim_idx` whatever the statistics say (no bitmap scan, no sort). A
    ///   young or just-busy queue's statistics say a handful of jobs wait, and the plan made
    ///   from them read every entry of the index into a bitmap, then sorted; an index scan
    ///   instead marks the entries of jobs already claimed as dead as it passes them, so each
    ///   claim reads the few due jobs, not all that were claimed since the last vacuum
    ///   (0.3–0.4 ms a claim after 2,000 jobs); and its claims run on their generic plan from
    ///   the first (no parameter of a claim changes which plan is best: the lease, the worker
    ///   and the inline size), where PostgreSQL's own choice planned many afresh.
    async fn claim(
        &self,
        kept: &mut Option<PgConnection>,
        n: usize,
    ) -> Result<Vec<lease::Claimed>, QueueError> {
        let was_kept = kept.is_some();
        match self.claim_on(kept, n).await {
            Err(_) if was_kept => self.claim_on(kept, n).await,
            claimed => claimed,
        }
    }

    /// [`Self::claim`] once; the connection is dropped if the claim fails.
    async fn claim_on(
        &self,
        kept: &mut Option<PgConnection>,
        n: usize,
    ) -> Result<Vec<lease::Claimed>, QueueError> {
        let conn = match kept {
            Some(conn) => conn,
            None => kept.insert(self.claim_connection().await?),
        };
        let lease = self.settings.lease();
        let inline = lease::INLINE_FILE_BYTES;
        let claimed = lease::claim_with_files(&mut *conn, &self.worker_id, n, lease, inline).await;
        if claimed.is_err() {
            *kept = None;
        }
        claimed
    }

    /// A new claim connection, with the pool's options (see [`Self::claim`]).
    async fn claim_connection(&self) -> Result<PgConnection, QueueError> {
        let mut conn = PgConnection::connect_with(&self.pool.connect_options()).await?;
        if self.session_pool {
            sqlx::query(
                "SELECT set_config('enable_bitmapscan', 'off', false),
                        set_config('enable_sort', 'off', false),
                        set_config('plan_cache_mode', 'force_generic_plan', false)",
            )
            .execute(&mut conn)
            .await?;
        }
        Ok(conn)
    }

    /// Run until `shutdown` is cancelled, then drain within the grace period.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), QueueError> {
        // LISTEN before the first claim, so a job queued in between still wakes us.
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        let mut waker = Waker::new(self.listen_url.clone(), poll).await;
        tracing::info!(
            worker_id = %self.worker_id,
            concurrency = self.settings.concurrency,
            listening = waker.is_listening(),
            "worker started"
        );
        let tracker = TaskTracker::new();
        let hard_stop = CancellationToken::new();
        let maintenance = tokio::spawn(self.clone().maintain(shutdown.clone()));
        self.claim_loop(&shutdown, &mut waker, &tracker, &hard_stop)
            .await;
        self.finish_in_flight(&tracker, &hard_stop).await;
        let _ = maintenance.await;
        tracing::info!(worker_id = %self.worker_id, "worker stopped");
        Ok(())
    }

    /// Claim as many jobs as there are free slots whenever woken, until shutdown.
    async fn claim_loop(
        self: &Arc<Self>,
        shutdown: &CancellationToken,
        waker: &mut Waker,
        tracker: &TaskTracker,
        hard_stop: &CancellationToken,
    ) {
        let slot_freed = Arc::new(Notify::new());
        let slots = Arc::new(tokio::sync::Semaphore::new(
            self.settings.concurrency.max(1),
        ));
        let mut claim_errors = 0u32;
        let mut claimer = None;
        while !shutdown.is_cancelled() {
            let free = slots.available_permits();
            let mut claimed_all = false;
            if free > 0 {
                match self.claim(&mut claimer, free).await {
                    Ok(jobs) => {
                        tracing::debug!(free, claimed = jobs.len(), "claim round");
                        claim_errors = 0;
                        claimed_all = !jobs.is_empty() && jobs.len() == free;
                        for job in jobs {
                            let permit = slots
                                .clone()
                                .try_acquire_owned()
                                .expect("a permit per claimed job: claims never exceed free slots");
                            let (me, stop, freed) =
                                (self.clone(), hard_stop.clone(), slot_freed.clone());
                            tracker.spawn(async move {
                                me.run_job(job.job, job.inline_bytes, stop).await;
                                drop(permit);
                                freed.notify_one();
                            });
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
                // Every slot filled (a backlog): claim again once a quarter of the slots is
                // free, so each claim brings several jobs (one statement for them, and small
                // ones arrive together to share a commit) rather than one per finished job.
                let again = (self.settings.concurrency / 4).max(1);
                while slots.available_permits() < again {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = slot_freed.notified() => {}
                    }
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
        if let Some(conn) = claimer {
            let _ = conn.close().await;
        }
    }

    /// Let in-flight jobs finish within the grace period, then abandon (and release) them.
    async fn finish_in_flight(&self, tracker: &TaskTracker, hard_stop: &CancellationToken) {
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
    }

    /// Run every due job now, one at a time, and return how many ran (tests, `drain`).
    pub async fn drain(self: &Arc<Self>) -> Result<usize, QueueError> {
        let (mut n, mut claimer) = (0, None);
        loop {
            let jobs = self.claim(&mut claimer, 1).await?;
            let Some(job) = jobs.into_iter().next() else {
                return Ok(n);
            };
            self.clone()
                .run_job(job.job, job.inline_bytes, CancellationToken::new())
                .await;
            n += 1;
        }
    }

    /// Rescue expired leases and prune old jobs until shutdown.
    async fn maintain(self: Arc<Self>, shutdown: CancellationToken) {
        let every = |d: Duration| {
            let mut i = tokio::time::interval(d);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        };
        let mut rescue = every(Duration::from_millis(
            self.settings.rescue_interval_ms.max(100),
        ));
        let mut prune = every(Duration::from_secs(600));
        let prune_age =
            Duration::from_secs_f64((self.settings.prune_after_hours * 3600.0).max(0.0));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = rescue.tick() => self.rescue().await,
                _ = prune.tick() => match maintain::prune_finished(&self.pool, prune_age).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(pruned = n, "pruned finished jobs"),
                    Err(e) => tracing::warn!(error = %e, "pruning finished jobs failed"),
                },
            }
        }
    }

    /// Put jobs whose worker stopped heartbeating back in the queue, and wake the claimer.
    async fn rescue(&self) {
        match maintain::rescue_expired(&self.pool).await {
            Ok(rescued) => {
                for (job_id, state) in &rescued {
                    tracing::warn!(%job_id, state = %state, "rescued a job whose worker stopped heartbeating");
                }
                if !rescued.is_empty() {
                    self.kick.notify_one();
                }
            }
            Err(e) => tracing::warn!(error = %e, "rescuing expired jobs failed"),
        }
    }

    /// One claimed job, from heartbeat to settle. Never returns an error: every ending is
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
            let ctx = JobContext {
                job: &job,
                claim,
                inline: Mutex::new(inline),
                lost: CancellationToken::new(),
                stop: hard_stop.clone(),
                pool: &self.pool,
                lease: self.settings.lease(),
                progress: Arc::new(Mutex::new(Progress::default())),
            };
            let done = CancellationToken::new();
            let beat = tokio::spawn(heartbeat_loop(
                self.pool.clone(),
                claim,
                self.settings.lease(),
                self.settings.heartbeat(),
                ctx.progress.clone(),
                ctx.lost.clone(),
                done.clone(),
            ));
            let result = tokio::select! {
                biased;
                _ = hard_stop.cancelled() => Attempt::Stopped,
                _ = tokio::time::sleep(self.settings.job_timeout()) => Attempt::TimedOut,
                r = self.work.perform(&ctx) => r,
            };
            done.cancel();
            let _ = beat.await;
            let ending = self.record(&job, &claim, result, started).await;
            if let Some(ending) = ending {
                self.work.settled(&job, ending).await;
            }
        }
        .instrument(span)
        .await
    }

    /// Record how the attempt ended in the job row; `None` when that could not be recorded
    /// (the lease will expire and the job be retried, so the work must not act on it).
    async fn record(
        &self,
        job: &Job,
        claim: &Claim,
        result: Attempt<W::Done>,
        started: Instant,
    ) -> Option<Ending<W::Done>> {
        let ending = match result {
            Attempt::Committed(done) => Ending::Committed {
                done,
                took: started.elapsed(),
            },
            Attempt::Withdrawn(reason) => {
                tracing::warn!("the job's input changed after it was queued; given back");
                self.fail(claim, &reason, Failure::Permanent).await?;
                Ending::Withdrawn
            }
            Attempt::Failed(Failure::Permanent, reason) => {
                self.fail_for_good(claim, reason).await?
            }
            Attempt::Failed(Failure::Transient, reason) => self.retry(claim, reason).await,
            Attempt::TimedOut => {
                let reason = format!(
                    "{}: the import did not finish within {} s (worker.job_timeout_secs); the \
                     file may be too large or a folder too slow: split the file, or ask your \
                     administrator",
                    job.file_name,
                    self.settings.job_timeout().as_secs()
                );
                self.fail_for_good(claim, reason).await?
            }
            Attempt::LeaseLost => {
                tracing::warn!(
                    "lease lost (rescued, cancelled or finished elsewhere); work discarded"
                );
                Ending::LeaseLost
            }
            Attempt::Stopped => {
                match lease::release(&self.pool, claim).await {
                    Ok(true) => tracing::info!("job released at shutdown"),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "could not release the job; its lease will expire")
                    }
                }
                Ending::Released
            }
        };
        Some(ending)
    }

    /// Record a failed attempt; `None` when the database did not take it.
    async fn fail(&self, claim: &Claim, reason: &str, how: Failure) -> Option<JobState> {
        let base = self.settings.backoff_base_secs;
        match lease::fail(&self.pool, claim, reason, how, base).await {
            Ok(state) => Some(state),
            Err(e) => {
                tracing::warn!(error = %e, "could not record the failure; the lease will expire and the job be retried");
                None
            }
        }
    }

    /// A failure another attempt would meet again: the job fails now.
    async fn fail_for_good(&self, claim: &Claim, reason: String) -> Option<Ending<W::Done>> {
        tracing::warn!(reason = %reason, "job failed; not retried");
        self.fail(claim, &reason, Failure::Permanent).await?;
        Some(Ending::Failed { reason })
    }

    /// A transient failure: retried later, unless that was the last attempt.
    async fn retry(&self, claim: &Claim, reason: String) -> Ending<W::Done> {
        tracing::warn!(reason = %reason, "job attempt failed; will retry");
        match self.fail(claim, &reason, Failure::Transient).await {
            Some(JobState::Failed) => {
                tracing::warn!("job failed: no attempts left");
                Ending::Failed {
                    reason: format!(
                        "the database could not take the import after {} attempts: {reason}",
                        claim.attempt
                    ),
                }
            }
            _ => Ending::Retrying,
        }
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
