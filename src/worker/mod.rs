//! The import worker: the queue's [`Work`] for import jobs. It joins the generic runner
//! ([`crate::queue::runner`]), the import job service ([`crate::import::job`]) and the watched
//! folders' file moves ([`crate::intake`]).
//!
//! - [`attempt`]: read the job's file → plan it → one transaction that checks the claim,
//!   writes the import, completes the job and commits.
//! - [`batch`]: the group commit of small jobs: under a backlog several share a transaction.
//! - [`settle`]: after the runner recorded the ending: metrics, the inbox file's move and its
//!   receipt and reports, the files the import fixed.
//!
//! Dependencies point down: `worker` → `intake`, `queue`, `import`, `pipeline`, `ops`.

pub mod attempt;
pub mod batch;
pub mod settle;

use crate::import::ImportOutcome;
use crate::ops::metrics::Metrics;
use crate::pipeline::plan::PlanOptions;
use crate::queue::WorkerSettings;
use crate::queue::job::Job;
use crate::queue::runner::{Attempt, Ending, JobContext, Runner, Work};
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What import jobs need beyond the queue.
pub struct ImportWork {
    pub pool: PgPool,
    pub settings: WorkerSettings,
    /// Recorded as `created_by` (`worker:<id>`).
    pub worker_id: String,
    /// Templates (loaded from the database after the start-up sync, reloaded when
    /// `processing_templates` or `data_mappings` change) and read options; the job's template
    /// and store override are set per job.
    pub plan_options: RwLock<PlanOptions>,
    /// Folders a path job's file may be read from: the configured roots and this worker's
    /// `processing/` folders.
    pub read_roots: Vec<PathBuf>,
    pub metrics: Arc<Metrics>,
    /// The folder beside an inbox for partly imported and held files (`intake.partial_folder`).
    pub partial_folder: String,
    /// Permits for jobs whose file did not come with the claim (`worker.large_at_once`).
    pub large: tokio::sync::Semaphore,
    /// Permits for jobs whose file is over 16 KiB (`worker.busy_at_once`).
    pub busy: tokio::sync::Semaphore,
    /// Small jobs waiting for a transaction, committed together (`worker.batch_max`).
    pub group: batch::Group,
}

impl ImportWork {
    /// Import work with no read roots, fresh metrics and the default partial folder.
    pub fn new(pool: PgPool, settings: WorkerSettings, worker_id: &str, plan: PlanOptions) -> Self {
        ImportWork {
            large: tokio::sync::Semaphore::new(settings.large_at_once.max(1)),
            busy: tokio::sync::Semaphore::new(settings.busy_at_once.max(1)),
            group: batch::Group::new(settings.batch_max),
            pool,
            settings,
            worker_id: worker_id.to_string(),
            plan_options: RwLock::new(plan),
            read_roots: Vec::new(),
            metrics: Arc::new(Metrics::default()),
            partial_folder: crate::intake::folders::NEEDS_ATTENTION.into(),
        }
    }

    /// A runner for this work (polling, not kicked; see [`Runner::new`]).
    pub fn into_runner(self) -> Runner<ImportWork> {
        let (pool, settings, id) = (
            self.pool.clone(),
            self.settings.clone(),
            self.worker_id.clone(),
        );
        Runner::new(pool, settings, id, Arc::new(self))
    }

    /// The plan options in use now (a snapshot).
    pub fn plan_options(&self) -> PlanOptions {
        self.plan_options
            .read()
            .expect("plan options lock is never poisoned")
            .clone()
    }

    /// Largest file read (`read.max_file_bytes`).
    pub fn max_file_bytes(&self) -> u64 {
        self.plan_options
            .read()
            .expect("plan options lock is never poisoned")
            .read
            .limits
            .max_file_bytes
    }

    /// Reload the templates whenever an operator changes one, until shutdown.
    pub async fn keep_templates_fresh(self: Arc<Self>, shutdown: CancellationToken) {
        let every = Duration::from_secs(self.settings.template_reload_secs.max(1));
        let mut reload = tokio::time::interval(every);
        reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen = crate::template::sync::fingerprint(&self.pool).await.ok();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = reload.tick() => self.reload_templates(&mut seen).await,
            }
        }
    }

    /// Reload the templates when the database's changed since `seen` (an operator edited one).
    async fn reload_templates(&self, seen: &mut Option<String>) {
        let now = match crate::template::sync::fingerprint(&self.pool).await {
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
}

/// A committed import job: its outcome, and the file's bytes when its reports need its cells.
pub struct Committed {
    pub outcome: Box<ImportOutcome>,
    pub bytes: Option<Vec<u8>>,
}

impl Work for ImportWork {
    type Done = Committed;

    async fn perform(&self, ctx: &JobContext<'_>) -> Attempt<Committed> {
        attempt::perform(self, ctx).await
    }

    async fn settled(&self, job: &Job, ending: Ending<Committed>) {
        settle::settled(self, job, ending).await
    }
}
