//! The job queue in `import_jobs`: enqueue, claim with a lease, heartbeats, rescue, retries,
//! and the generic runner loop that hands a claimed job to its work (imports:
//! [`crate::worker`]). The queue knows nothing about imports beyond the job row.
//!
//! Semantics follow River on sqlx: a job is `available` (or `retryable` after a failure) until a
//! worker claims it with `FOR UPDATE SKIP LOCKED` in a statement that commits at once; the claim
//! hands out a fresh lease token and a short lease that heartbeats extend. A job whose lease ran
//! out (the worker died) is rescued back to `retryable`. Completion checks the lease token inside
//! the import transaction, so a worker that lost its lease can never complete a job.
//!
//! - [`job`] — the job row and its states.
//! - [`enqueue`] — new jobs (through the `enqueue_import` SQL function).
//! - [`lease`] — claim, heartbeat, complete, retry, release: everything that holds a lease.
//! - [`maintain`] — the rescuer of expired leases and the pruner of finished jobs.
//! - [`admin`] — what operators do: list, show, retry, cancel.
//! - [`backoff`] — the retry delay.
//! - [`wake`] — LISTEN/NOTIFY wake-ups with polling as the fallback.
//! - [`runner`] — the loop: claim → heartbeat → the work (which completes the job in its own
//!   transaction) → record the ending → tell the work.

pub mod admin;
pub mod backoff;
pub mod enqueue;
pub mod job;
pub mod lease;
pub mod maintain;
pub mod roots;
pub mod runner;
pub mod wake;

pub use job::{Job, JobState, Outcome};

use serde::Deserialize;

/// The channel `import_jobs` inserts are announced on (payload: the job id).
pub const JOBS_CHANNEL: &str = "pharmacy_ingest_jobs";

/// The channel every job end is announced on, at the commit that ends it (migration 0300).
/// Payload: JSON `{"job_id", "outcome", "import_id", "rows_imported", "rows_rejected",
/// "rows_replaced", "warnings"}` (ids and counts only).
pub const JOB_DONE_CHANNEL: &str = "pharmacy_ingest_job_done";

/// `[worker]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Jobs run at once by one worker process.
    pub concurrency: usize,
    /// Of those, jobs whose file is over 16 KiB (or read from a path) at once: they are
    /// planned on the blocking pool and hold memory in proportion to their size; smaller ones
    /// fill the other slots and are committed together under a backlog.
    pub busy_at_once: usize,
    /// Of those, jobs whose file is over 1 MiB (or is read from a path) at once: they hold the
    /// memory of a large import (up to about 150 MB for a million rows), small ones little,
    /// so many small jobs run beside a couple of large ones.
    pub large_at_once: usize,
    /// Small jobs (a file of 16 KiB or less, under 256 shifts) committed in one transaction at
    /// most: under a backlog they gather while the worker's transactions are busy, and one
    /// commit carries them all; 1 writes each alone.
    pub batch_max: usize,
    /// How long a claim is valid without a heartbeat, in seconds. A job whose worker stopped
    /// heartbeating is rescued after this (plus one rescue interval).
    pub lease_secs: u64,
    /// Heartbeat interval, in milliseconds (a few beats fit in one lease).
    pub heartbeat_ms: u64,
    /// How often expired leases are looked for, in milliseconds.
    pub rescue_interval_ms: u64,
    /// How often the queue is polled when no notification arrives, in milliseconds.
    pub poll_interval_ms: u64,
    /// Attempts before a job that keeps failing for transient reasons is `failed`.
    pub max_attempts: i32,
    /// Base of the retry delay in seconds: attempt `n` waits about `base * n^4` seconds.
    pub backoff_base_secs: f64,
    /// Finished jobs (succeeded, failed, cancelled) are deleted after this many hours;
    /// `document_imports` is the permanent record.
    pub prune_after_hours: f64,
    /// On SIGTERM/SIGINT, how long in-flight imports may run before they are released.
    pub shutdown_grace_secs: u64,
    /// Longest one attempt may take, reading to commit; past it the job fails with a report
    /// (a stalled share or a pathological file cannot hold a slot forever).
    pub job_timeout_secs: u64,
    /// Roots under which `enqueue_import(file_path => …)` may name a file. The worker writes
    /// them (and its own `processing/` folders) to `queue_path_roots` at start-up.
    pub path_roots: Vec<std::path::PathBuf>,
    /// LISTEN for new jobs (on `database.direct_url`, or `database.url` unless it is a
    /// transaction pooler); `false`: poll only.
    pub listen: bool,
    /// How often the worker looks for changed processing templates, in seconds.
    pub template_reload_secs: u64,
    /// This worker's name in `import_jobs.worker_id` (default: `host:pid`).
    pub id: Option<String>,
    /// Hold a `replace` that would leave a staffed day with nobody or drop an employee from
    /// the dates it covers, until an operator approves it (`imports approve ID`).
    pub hold_risky_replaces: bool,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            concurrency: 64,
            busy_at_once: 4,
            large_at_once: 2,
            batch_max: 16,
            lease_secs: 10,
            heartbeat_ms: 2000,
            rescue_interval_ms: 2000,
            poll_interval_ms: 1000,
            max_attempts: 5,
            backoff_base_secs: 1.0,
            prune_after_hours: 24.0 * 7.0,
            shutdown_grace_secs: 30,
            job_timeout_secs: 1800,
            path_roots: Vec::new(),
            listen: true,
            template_reload_secs: 30,
            id: None,
            hold_risky_replaces: false,
        }
    }
}

impl WorkerSettings {
    /// How long a claim is valid without a heartbeat (`lease_secs`).
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lease_secs.max(1))
    }

    /// How often a running job's lease is extended (`heartbeat_ms`).
    pub fn heartbeat(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.heartbeat_ms.max(50))
    }

    /// How long one attempt may take, reading to commit (`job_timeout_secs`).
    pub fn job_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.job_timeout_secs.max(1))
    }

    /// The worker id to record on claims: configured, or `host:pid`.
    pub fn worker_id(&self) -> String {
        match &self.id {
            Some(w) => w.clone(),
            None => format!("{}:{}", host_name(), std::process::id()),
        }
    }
}

/// The machine's host name (from `/proc` or `HOSTNAME`), `localhost` when unknown.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Errors of the queue boundary.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database refused or could not be reached.
    #[error("job queue: database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The job does not exist (or was pruned).
    #[error("job {0} not found")]
    NotFound(uuid::Uuid),
    /// The worker no longer holds the job's lease (it was rescued, cancelled or completed by
    /// someone else); its work must be thrown away.
    #[error("job {0}: the lease was lost (rescued, cancelled or finished elsewhere)")]
    LeaseLost(uuid::Uuid),
    /// An operator action does not fit the job's state (e.g. cancelling a finished job).
    #[error("job {id} is {state}: {action} is not possible")]
    WrongState {
        /// The job.
        id: uuid::Uuid,
        /// Its current state.
        state: JobState,
        /// What was asked.
        action: &'static str,
    },
    /// `enqueue_import` refused the job (a path outside the configured roots, a bad mode, no
    /// file); the message is the database's, which names the reason.
    #[error("the job was refused: {0}")]
    Refused(String),
    /// An unfinished job for the same inbox file already exists (another worker queued it).
    #[error("an unfinished job for {0} already exists")]
    AlreadyQueued(String),
    /// A value in the job row is not one this version knows (newer schema?).
    #[error("job row has an unknown {column} value {value:?}")]
    BadRow {
        /// The column.
        column: &'static str,
        /// The value found.
        value: String,
    },
}

impl QueueError {
    /// Whether the error is a database blink (connection lost, pool timeout, serialization
    /// failure) that a later attempt may not meet.
    pub fn is_transient(&self) -> bool {
        match self {
            QueueError::Db(e) => crate::db::retry::is_transient(e),
            _ => false,
        }
    }
}
