//! The intake loop: notify events and periodic rescans offer files to the settle check;
//! settled files are read, moved to `processing/` and queued; `processing/` is swept for files
//! a crash left behind.

use super::filter::is_ignored;
use super::folders::{Finish, Layout, Moved, finish, move_into};
use super::settle::Settler;
use super::{IntakeError, IntakeSettings};
use crate::import::ImportSource;
use crate::ops::metrics::Metrics;
use crate::queue::enqueue::{JobFile, NewJob, enqueue};
use crate::queue::{JobState, QueueError};
use notify::{RecursiveMode, Watcher};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What the file-system watcher tells the loop.
enum Signal {
    /// These paths changed.
    Paths(Vec<PathBuf>),
    /// Events were lost or the watcher failed: look at everything.
    Rescan,
}

/// The watched folders of one worker.
#[derive(Clone)]
pub struct Intake {
    pool: PgPool,
    layouts: Vec<Layout>,
    settings: IntakeSettings,
    /// Poked after a job is queued, so the local runner claims at once even without LISTEN.
    kick: Arc<Notify>,
    metrics: Arc<Metrics>,
}

impl Intake {
    pub fn new(
        pool: PgPool,
        layouts: Vec<Layout>,
        settings: IntakeSettings,
        kick: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> Intake {
        Intake {
            pool,
            layouts,
            settings,
            kick,
            metrics,
        }
    }

    /// The folders watched.
    pub fn layouts(&self) -> &[Layout] {
        &self.layouts
    }

    /// Watch until `shutdown`: files present now and every file dropped later become jobs.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), IntakeError> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Signal>();
        let mut watchers = Vec::new();
        for layout in &self.layouts {
            let tx = tx.clone();
            let made = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                let sig = match res {
                    Ok(ev) if ev.need_rescan() => Signal::Rescan,
                    Ok(ev) => Signal::Paths(ev.paths),
                    Err(_) => Signal::Rescan,
                };
                let _ = tx.send(sig);
            })
            .and_then(|mut w| {
                w.watch(&layout.inbox, RecursiveMode::NonRecursive)?;
                Ok(w)
            });
            match made {
                Ok(w) => watchers.push(w),
                Err(e) => tracing::warn!(
                    inbox = %layout.inbox.display(), error = %e,
                    "cannot watch the folder for events; relying on rescans"
                ),
            }
        }
        // Keep a sender so the channel never closes, even if every watcher failed.
        let _keep_open = tx;

        let settle = Duration::from_millis(self.settings.settle_ms);
        let tick_every = (settle / 10).clamp(Duration::from_millis(10), Duration::from_millis(100));
        let mut settler = Settler::default();
        let startup_sweep = self.sweep_processing().await;
        log_sweep(startup_sweep, true);
        self.scan(&mut settler);

        let mut rescan =
            tokio::time::interval(Duration::from_secs(self.settings.rescan_secs.max(1)));
        rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        rescan.tick().await;
        let mut tick = tokio::time::interval(tick_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                sig = rx.recv() => match sig {
                    Some(Signal::Paths(paths)) => {
                        for p in paths {
                            if self.is_inbox_file(&p) {
                                settler.offer(&p);
                            }
                        }
                    }
                    Some(Signal::Rescan) | None => self.scan(&mut settler),
                },
                _ = rescan.tick() => {
                    self.scan(&mut settler);
                    log_sweep(self.sweep_processing().await, false);
                }
                _ = tick.tick(), if !settler.is_empty() => {
                    for path in settler.check(settle) {
                        settler.forget(&path);
                        if shutdown.is_cancelled() {
                            break;
                        }
                        match self.take(&path).await {
                            Ok(Some(job_id)) => tracing::info!(%job_id, "file queued from the watched folder"),
                            Ok(None) => {}
                            Err(e) => tracing::warn!(error = %e, "could not take a file from the watched folder"),
                        }
                    }
                }
            }
        }
        drop(watchers);
        Ok(())
    }

    /// Whether `path` is a file directly in a watched folder, with a name that may be taken.
    fn is_inbox_file(&self, path: &Path) -> bool {
        let Some(parent) = path.parent() else {
            return false;
        };
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        !is_ignored(name) && self.layouts.iter().any(|l| l.inbox == parent)
    }

    /// Offer every file in every watched folder to the settle check.
    fn scan(&self, settler: &mut Settler) {
        for layout in &self.layouts {
            let entries = match std::fs::read_dir(&layout.inbox) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(inbox = %layout.inbox.display(), error = %e, "cannot list the watched folder");
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if self.is_inbox_file(&path) {
                    settler.offer(&path);
                }
            }
        }
    }

    /// Take one settled file: read it (it must open), move it to `processing/`, queue it.
    /// `Ok(None)`: the file was gone (another worker took it).
    pub async fn take(&self, path: &Path) -> Result<Option<Uuid>, IntakeError> {
        let Some(layout) = self
            .layouts
            .iter()
            .find(|l| Some(l.inbox.as_path()) == path.parent())
        else {
            return Ok(None);
        };
        let name = match path.file_name().and_then(|n| n.to_str()) {
            Some(n) => n.to_string(),
            None => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(IntakeError::Folder {
                    path: layout.inbox.clone(),
                    source,
                });
            }
        };
        let src = path.to_path_buf();
        let dir = layout.processing.clone();
        let moved = tokio::task::spawn_blocking(move || move_into(&src, &dir))
            .await
            .map_err(|e| IntakeError::Move {
                dir: layout.processing.clone(),
                source: std::io::Error::other(e),
            })?
            .map_err(|source| IntakeError::Move {
                dir: layout.processing.clone(),
                source,
            })?;
        let Moved::To(at) = moved else {
            return Ok(None);
        };
        self.metrics.file_taken();
        let store = super::store_inbox::store_of_inbox(&layout.inbox);
        self.queue_file(name, bytes, &at, store).await
    }

    async fn queue_file(
        &self,
        name: String,
        bytes: Vec<u8>,
        at: &Path,
        store: Option<i32>,
    ) -> Result<Option<Uuid>, IntakeError> {
        let mut job = NewJob::new(
            name,
            JobFile::BytesAt(bytes, at.to_string_lossy().into_owned()),
            ImportSource::Inbox,
        );
        job.store_number = store;
        match enqueue(&self.pool, &job).await {
            Ok(id) => {
                self.kick.notify_one();
                Ok(Some(id))
            }
            Err(QueueError::AlreadyQueued(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Look at every file in `processing/`: finish the move of files whose job ended (the
    /// worker died between its commit and the move, or ran on another machine), and queue
    /// files that were moved but never queued.
    pub async fn sweep_processing(&self) -> Result<Sweep, IntakeError> {
        let mut sweep = Sweep::default();
        for layout in &self.layouts {
            let entries =
                std::fs::read_dir(&layout.processing).map_err(|source| IntakeError::Folder {
                    path: layout.processing.clone(),
                    source,
                })?;
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(md) = std::fs::symlink_metadata(&path) else {
                    continue;
                };
                if !md.file_type().is_file() {
                    continue;
                }
                let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                if is_ignored(&name) {
                    continue;
                }
                self.sweep_one(&path, name, &md, &mut sweep).await?;
            }
        }
        Ok(sweep)
    }

    async fn sweep_one(
        &self,
        path: &Path,
        name: String,
        md: &std::fs::Metadata,
        sweep: &mut Sweep,
    ) -> Result<(), IntakeError> {
        let path_str = path.to_string_lossy().into_owned();
        let last: Option<(Uuid, String, Option<bool>, Option<String>)> = sqlx::query_as(
            "SELECT id, state::text, finished_at < now() - interval '5 seconds', last_error
             FROM import_jobs WHERE file_path = $1 AND source = 'inbox'
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(&path_str)
        .fetch_optional(&self.pool)
        .await
        .map_err(QueueError::from)?;
        match last {
            None => {
                if changed_age(md) < Duration::from_secs(self.settings.recover_grace_secs) {
                    return Ok(());
                }
                let bytes = match tokio::fs::read(path).await {
                    Ok(b) => b,
                    Err(_) => return Ok(()),
                };
                // The inbox it came from is not known here: no store inbox fallback.
                if let Some(job_id) = self.queue_file(name, bytes, path, None).await? {
                    tracing::info!(%job_id, "queued a file left in processing/");
                    sweep.queued += 1;
                }
            }
            Some((job_id, state, settled, last_error)) => {
                let state: JobState = state.parse()?;
                if !state.is_finished() || settled != Some(true) {
                    return Ok(());
                }
                let how = match state {
                    JobState::Succeeded => Finish::Processed(None),
                    _ => Finish::Failed(super::report::plain_report(
                        &name,
                        job_id,
                        last_error.as_deref().unwrap_or("the job did not succeed"),
                    )),
                };
                let p = path.to_path_buf();
                let done = tokio::task::spawn_blocking(move || finish(&p, &how))
                    .await
                    .map_err(|e| IntakeError::Move {
                        dir: path.to_path_buf(),
                        source: std::io::Error::other(e),
                    })?
                    .map_err(|source| IntakeError::Move {
                        dir: path.to_path_buf(),
                        source,
                    })?;
                if done.is_some() {
                    tracing::info!(%job_id, state = %state, "moved on a file whose job had ended");
                    sweep.finished += 1;
                }
            }
        }
        Ok(())
    }
}

/// What a sweep of `processing/` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    /// Files queued that had no job.
    pub queued: usize,
    /// Files moved on because their job had ended.
    pub finished: usize,
}

fn log_sweep(res: Result<Sweep, IntakeError>, startup: bool) {
    match res {
        Ok(s) if s.queued > 0 || s.finished > 0 || startup => {
            tracing::info!(
                queued = s.queued,
                moved = s.finished,
                startup,
                "swept processing/"
            )
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "sweeping processing/ failed; trying again at the next rescan")
        }
    }
}

/// How long ago the file's inode changed (a move into `processing/` changes it).
fn changed_age(md: &std::fs::Metadata) -> Duration {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let ctime = Duration::new(
            u64::try_from(md.ctime()).unwrap_or(0),
            u32::try_from(md.ctime_nsec()).unwrap_or(0),
        );
        now.saturating_sub(ctime)
    }
    #[cfg(not(unix))]
    {
        md.modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .unwrap_or_default()
    }
}
