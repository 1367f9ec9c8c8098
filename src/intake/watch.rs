//! The intake loop: notify events and periodic rescans offer files to the settle check;
//! settled files are read, moved to `processing/` and queued; `processing/` is swept for files
//! a crash left behind.

use super::complete::{Completeness, judge};
use super::filter::is_ignored;
use super::folders::{Destination, Finish, Layout, Moved, finish, move_into, store_folder};
use super::safe_read::{FileRead, SafeReadError, read_bounded};
use super::settle::Settler;
use super::warn_once::WarnOnce;
use super::{IntakeError, IntakeSettings};
use crate::import::{ImportSource, ImportStatus, StoredStatus};
use crate::ops::metrics::Metrics;
use crate::queue::enqueue::{JobFile, NewJob, enqueue_from_pool};
use crate::queue::{JobState, QueueError};
use notify::{RecursiveMode, Watcher};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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
    /// Largest file taken (`read.max_file_bytes`); larger ones go to `failed/` unread.
    max_file_bytes: u64,
    /// Folder problems already warned about (a read-only inbox is reported once, not on every
    /// rescan).
    warned: Arc<Mutex<WarnOnce>>,
}

/// How long a file is given to be read before the intake gives up on it for this round.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Hidden temporaries a crash left beside the watched folder are removed after this long.
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);
/// How often the folders beside the watched folder are swept for such temporaries (and once
/// at start): they are found within `STALE_TEMPORARY` plus this.
const TEMPORARY_SWEEP_EVERY: Duration = Duration::from_secs(600);

/// What became of a settled file offered to [`Intake::take`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Moved to `processing/` and queued as this job.
    Queued(Uuid),
    /// Gone (another worker took it), not a regular file, or already queued.
    Gone,
    /// Not whole yet by its format's verdict, or changed while it was read: look again later.
    Wait(Completeness),
    /// Moved to `failed/` with a report (too large, incomplete for too long, refused).
    Refused,
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
            max_file_bytes: crate::read::ReadLimits::default().max_file_bytes,
            warned: Arc::default(),
        }
    }

    /// Take files up to `max_file_bytes` (the configured `read.max_file_bytes`).
    pub fn with_max_file_bytes(mut self, max_file_bytes: u64) -> Intake {
        self.max_file_bytes = max_file_bytes;
        self
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
                w.watch(&layout.inbox, RecursiveMode::Recursive)?;
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
        let mut settler = Settler::<Completeness>::default();
        let startup_sweep = self.sweep_processing().await;
        log_sweep(startup_sweep, true);
        self.sweep_temporaries().await;
        let mut temporaries_swept = tokio::time::Instant::now();
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
                    self.retire_fixed().await;
                    if temporaries_swept.elapsed() >= TEMPORARY_SWEEP_EVERY {
                        self.sweep_temporaries().await;
                        temporaries_swept = tokio::time::Instant::now();
                    }
                }
                _ = tick.tick(), if !settler.is_empty() => {
                    for path in settler.check(settle) {
                        if shutdown.is_cancelled() {
                            break;
                        }
                        self.consider(&mut settler, &path, &shutdown).await;
                    }
                }
            }
        }
        drop(watchers);
        Ok(())
    }

    /// Offer one settled file to [`Intake::take`] (unless its last verdict says it is not worth
    /// reading again yet) and keep or forget it according to the result.
    async fn consider(
        &self,
        settler: &mut Settler<Completeness>,
        path: &Path,
        shutdown: &CancellationToken,
    ) {
        let quiet = settler.quiet_for(path).unwrap_or_default();
        if let Some(last) = settler.noted(path)
            && !self.worth_reading_again(last, quiet)
        {
            return;
        }
        match self.take_after(path, quiet, shutdown).await {
            Ok(Taken::Queued(job_id)) => {
                settler.forget(path);
                tracing::info!(%job_id, "file queued from the watched folder");
            }
            Ok(Taken::Wait(verdict)) => settler.note(path, verdict),
            Ok(Taken::Gone) | Ok(Taken::Refused) => settler.forget(path),
            Err(e) => {
                settler.forget(path);
                self.warn_once(
                    &format!("take:{}", path.parent().unwrap_or(path).display()),
                    &e.to_string(),
                    "could not take a file from the watched folder",
                );
            }
        }
    }

    /// How long a file with `verdict` must be quiet before it is taken; `None`: never (it
    /// looks incomplete; after `incomplete_fail_secs` it is refused instead).
    fn quiet_needed(&self, verdict: &Completeness) -> Option<Duration> {
        let text = Duration::from_millis(self.settings.text_settle_ms);
        match verdict {
            Completeness::Whole => Some(Duration::ZERO),
            Completeness::Unmarked {
                ends_with_newline: true,
            } => Some(text),
            Completeness::Unmarked {
                ends_with_newline: false,
            } => Some(text * 3),
            Completeness::Incomplete(_) => None,
        }
    }

    /// Whether a file last judged `verdict` and quiet for `quiet` should be read again.
    fn worth_reading_again(&self, verdict: &Completeness, quiet: Duration) -> bool {
        match self.quiet_needed(verdict) {
            Some(needed) => quiet >= needed,
            None => quiet >= Duration::from_secs(self.settings.incomplete_fail_secs),
        }
    }

    /// Log a folder problem once (and again when it changes, or after a long while).
    fn warn_once(&self, key: &str, error: &str, what: &str) {
        let mut warned = self.warned.lock().expect("warned lock is never poisoned");
        if warned.should_warn(key, error, std::time::Instant::now()) {
            tracing::warn!(error = %error, "{what}");
        }
    }

    /// Forget a folder problem (it went away), noting the recovery once.
    fn clear_warning(&self, key: &str) {
        let mut warned = self.warned.lock().expect("warned lock is never poisoned");
        if warned.recovered(key) {
            tracing::info!(folder = %key, "the watched folder works again");
        }
    }

    /// Whether `path` is a file directly in a watched folder or in one of its per-store
    /// folders (`inbox/<store>/`), with a name that may be taken.
    fn is_inbox_file(&self, path: &Path) -> bool {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        !is_ignored(name) && self.layout_of(path).is_some()
    }

    /// The layout an inbox file belongs to, and its per-store folder (`inbox/<store>/`).
    fn layout_of(&self, path: &Path) -> Option<(&Layout, Option<String>)> {
        let parent = path.parent()?;
        if let Some(l) = self.layouts.iter().find(|l| l.inbox == parent) {
            return Some((l, None));
        }
        let store = store_folder(parent)?;
        let l = self
            .layouts
            .iter()
            .find(|l| Some(l.inbox.as_path()) == parent.parent())?;
        Some((l, Some(store)))
    }

    /// Offer every file in every watched folder (and its per-store folders) to the settle
    /// check.
    fn scan(&self, settler: &mut Settler<Completeness>) {
        for layout in &self.layouts {
            for dir in with_store_folders(&layout.inbox) {
                let key = format!("list:{}", dir.display());
                let entries = match std::fs::read_dir(&dir) {
                    Ok(e) => {
                        self.clear_warning(&key);
                        e
                    }
                    Err(e) => {
                        self.warn_once(&key, &e.to_string(), "cannot list the watched folder");
                        continue;
                    }
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if entry.file_type().is_ok_and(|t| t.is_file()) && self.is_inbox_file(&path) {
                        settler.offer(&path);
                    }
                }
            }
        }
    }

    /// Move the files a later import, reprocess or retry fixed out of `failed/` and
    /// `needs-attention/` (CLI reprocesses and retries on other hosts are found here).
    async fn retire_fixed(&self) {
        match super::fixed::retire_fixed(&self.pool, &self.layouts).await {
            Ok(n) if n > 0 => tracing::info!(moved = n, "moved fixed files on"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "looking for fixed files failed; trying again at the next rescan")
            }
        }
    }

    /// Take one file now, as if it had been quiet long enough for any format (tests, one-off
    /// takes). `Ok(None)`: not queued (gone, waiting for the rest, or refused to `failed/`).
    pub async fn take(&self, path: &Path) -> Result<Option<Uuid>, IntakeError> {
        let forever = Duration::from_secs(u64::MAX / 4);
        match self
            .take_after(path, forever, &CancellationToken::new())
            .await?
        {
            Taken::Queued(id) => Ok(Some(id)),
            _ => Ok(None),
        }
    }

    /// Take one settled file that has been quiet for `quiet`: check its size, read it, judge
    /// whether it is whole, move it to `processing/`, check the copy there, queue it.
    pub async fn take_after(
        &self,
        path: &Path,
        quiet: Duration,
        shutdown: &CancellationToken,
    ) -> Result<Taken, IntakeError> {
        let Some((layout, store)) = self.layout_of(path) else {
            return Ok(Taken::Gone);
        };
        let name = display_name(path);
        let read = match read_bounded(path, self.max_file_bytes, READ_TIMEOUT, shutdown).await {
            Ok(r) => r,
            Err(SafeReadError::TooLarge { size, limit, .. }) => {
                let reason = format!(
                    "the file is too large ({size} bytes; the limit is {limit} bytes); split it \
                     into smaller files or ask your administrator to raise read.max_file_bytes"
                );
                return self.refuse(layout, path, &name, &reason).await;
            }
            Err(SafeReadError::Gone { .. }) | Err(SafeReadError::NotRegular { .. }) => {
                return Ok(Taken::Gone);
            }
            Err(SafeReadError::Stopped { .. }) => return Ok(Taken::Wait(Completeness::Whole)),
            Err(e) => {
                return Err(IntakeError::Folder {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(e.to_string()),
                });
            }
        };
        if !unchanged_since(path, &read) {
            return Ok(Taken::Wait(Completeness::Whole));
        }
        let verdict = judge(&read.bytes);
        match (&verdict, self.quiet_needed(&verdict)) {
            (_, Some(needed)) if quiet >= needed => {}
            (_, Some(_)) => return Ok(Taken::Wait(verdict)),
            (Completeness::Incomplete(why), _)
                if quiet >= Duration::from_secs(self.settings.incomplete_fail_secs) =>
            {
                let reason = format!(
                    "the file looks incomplete ({why}) and nothing was added for {} s: the copy \
                     or export was probably interrupted; send the whole file again",
                    quiet.as_secs()
                );
                return self.refuse(layout, path, &name, &reason).await;
            }
            _ => return Ok(Taken::Wait(verdict)),
        }
        let Some(at) = self
            .move_checked(layout, store.as_deref(), path, &read)
            .await?
        else {
            return Ok(Taken::Wait(Completeness::Whole));
        };
        self.metrics.file_taken();
        // A per-store folder (`inbox/1042/`), else a watched folder named after a store.
        let store_number = store
            .and_then(|s| s.parse().ok())
            .or_else(|| super::store_inbox::store_of_inbox(&layout.inbox));
        match self
            .queue_file(name.clone(), read.bytes, &at, store_number)
            .await
        {
            Ok(Some(id)) => Ok(Taken::Queued(id)),
            Ok(None) => Ok(Taken::Gone),
            Err(IntakeError::Queue(QueueError::Refused(reason))) => {
                self.fail_processing_file(&at, &name, &reason).await;
                Ok(Taken::Refused)
            }
            Err(e) => Err(e),
        }
    }

    /// Move a read file to `processing/` (`processing/<store>/` from a per-store folder) and
    /// check the copy there has the hash that was read (a writer that still held the file open
    /// may have added to it: then it goes back to its folder to settle again). `None`: gone, or
    /// put back.
    async fn move_checked(
        &self,
        layout: &Layout,
        store: Option<&str>,
        path: &Path,
        read: &FileRead,
    ) -> Result<Option<PathBuf>, IntakeError> {
        let src = path.to_path_buf();
        let dir = match store {
            Some(s) => layout.processing.join(s),
            None => layout.processing.clone(),
        };
        let limit = self.max_file_bytes;
        let inbox = path.parent().unwrap_or(&layout.inbox).to_path_buf();
        let sha = read.sha256.clone();
        let moved = tokio::task::spawn_blocking(move || -> std::io::Result<Option<PathBuf>> {
            let Moved::To(at) = move_into(&src, &dir)? else {
                return Ok(None);
            };
            match super::safe_read::read_limited(&at, limit) {
                Ok(again) if again.sha256 == sha => Ok(Some(at)),
                _ => {
                    move_into(&at, &inbox)?;
                    Ok(None)
                }
            }
        })
        .await
        .map_err(|e| IntakeError::Move {
            dir: layout.processing.clone(),
            source: std::io::Error::other(e),
        })?;
        moved.map_err(|source| IntakeError::Move {
            dir: layout.processing.clone(),
            source,
        })
    }

    /// Move an inbox file straight to `failed/` with a report saying why (no job exists).
    async fn refuse(
        &self,
        layout: &Layout,
        path: &Path,
        name: &str,
        reason: &str,
    ) -> Result<Taken, IntakeError> {
        tracing::warn!(reason = %reason, "file refused by the watched folder; moved to failed/");
        let how = Finish::failed(name, super::report::intake_report(name, reason));
        let src = path.to_path_buf();
        let failed = match self.layout_of(path) {
            Some((_, Some(store))) => layout.failed.join(store),
            _ => layout.failed.clone(),
        };
        let moved = tokio::task::spawn_blocking(move || {
            super::folders::move_with_sidecars(&src, &failed, &how.sidecars)
        })
        .await
        .map_err(|e| IntakeError::Move {
            dir: layout.failed.clone(),
            source: std::io::Error::other(e),
        })?
        .map_err(|source| IntakeError::Move {
            dir: layout.failed.clone(),
            source,
        })?;
        Ok(if moved.is_some() {
            Taken::Refused
        } else {
            Taken::Gone
        })
    }

    /// A `processing/` file the queue refused: to `failed/` with the reason.
    async fn fail_processing_file(&self, at: &Path, name: &str, reason: &str) {
        tracing::warn!(reason = %reason, "the queue refused a file; moved to failed/");
        let how = Finish::failed(name, super::report::intake_report(name, reason));
        let p = at.to_path_buf();
        let partial = self.settings.partial_folder.clone();
        match tokio::task::spawn_blocking(move || finish(&p, &how, &partial)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not move a refused file to failed/"),
            Err(e) => tracing::warn!(error = %e, "moving a refused file panicked"),
        }
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
        match enqueue_from_pool(&self.pool, &job).await {
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
            for dir in with_store_folders(&layout.processing) {
                self.sweep_folder(&dir, &mut sweep).await;
            }
        }
        Ok(sweep)
    }

    /// Remove the hidden temporaries older than an hour that a killed worker left in any
    /// folder beside the watched folders (never in them). Returns how many went.
    pub async fn sweep_temporaries(&self) -> usize {
        let layouts = self.layouts.clone();
        let removed = tokio::task::spawn_blocking(move || {
            layouts
                .iter()
                .flat_map(super::folders::temporary_folders)
                .map(|dir| super::folders::remove_stale_temporaries(&dir, STALE_TEMPORARY))
                .sum::<usize>()
        })
        .await
        .unwrap_or(0);
        if removed > 0 {
            tracing::info!(removed, "removed hidden temporaries a stopped worker left");
        }
        removed
    }

    /// Sweep one `processing/` folder (or a per-store folder in it).
    async fn sweep_folder(&self, dir: &Path, sweep: &mut Sweep) {
        let key = format!("sweep:{}", dir.display());
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => {
                self.clear_warning(&key);
                e
            }
            Err(e) => {
                self.warn_once(&key, &e.to_string(), "cannot list processing/");
                sweep.errors += 1;
                return;
            }
        };
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
            // One file's trouble (a database refusal, an unreadable file) must not stop the
            // recovery of the others.
            if let Err(e) = self.sweep_one(&path, name, &md, sweep).await {
                sweep.errors += 1;
                self.warn_once(
                    &format!("sweep-file:{}", path.display()),
                    &e.to_string(),
                    "could not recover a file in processing/; trying again at the next rescan",
                );
            }
        }
    }

    async fn sweep_one(
        &self,
        path: &Path,
        name: String,
        md: &std::fs::Metadata,
        sweep: &mut Sweep,
    ) -> Result<(), IntakeError> {
        let path_str = path.to_string_lossy().into_owned();
        let last = crate::queue::admin::last_inbox_job(&self.pool, &path_str).await?;
        match last {
            None => {
                if changed_age(md) < Duration::from_secs(self.settings.recover_grace_secs) {
                    return Ok(());
                }
                // A per-store folder's store is in the path; a watched folder named after a
                // store is not known here.
                let store = super::folders::inbox_store_of(path);
                let stop = CancellationToken::new();
                let reason =
                    match read_bounded(path, self.max_file_bytes, READ_TIMEOUT, &stop).await {
                        Ok(read) => {
                            match self.queue_file(name.clone(), read.bytes, path, store).await {
                                Ok(Some(job_id)) => {
                                    tracing::info!(%job_id, "queued a file left in processing/");
                                    sweep.queued += 1;
                                    return Ok(());
                                }
                                Ok(None) => return Ok(()),
                                Err(IntakeError::Queue(QueueError::Refused(reason))) => reason,
                                Err(e) => return Err(e),
                            }
                        }
                        Err(e @ SafeReadError::TooLarge { .. }) => e.to_string(),
                        Err(_) => return Ok(()),
                    };
                self.fail_processing_file(path, &name, &reason).await;
                sweep.finished += 1;
            }
            Some(crate::queue::admin::InboxJob {
                id: job_id,
                state,
                settled,
                last_error,
            }) => {
                if !state.is_finished() || !settled {
                    return Ok(());
                }
                let how = match state {
                    JobState::Succeeded => self.receipt_only(&name, job_id).await?,
                    _ => Finish::failed(
                        &name,
                        super::report::plain_report(
                            &name,
                            job_id,
                            last_error.as_deref().unwrap_or("the job did not succeed"),
                        ),
                    ),
                };
                let p = path.to_path_buf();
                let partial = self.settings.partial_folder.clone();
                let done = tokio::task::spawn_blocking(move || finish(&p, &how, &partial))
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

impl Intake {
    /// How a swept file whose job succeeded ends: a short receipt naming the import (the full
    /// report is in the database), to `needs-attention/` when the import was partial or held.
    async fn receipt_only(&self, name: &str, job_id: Uuid) -> Result<Finish, IntakeError> {
        let import = crate::import::query::import_of_job(&self.pool, job_id)
            .await
            .map_err(QueueError::from)?;
        let receipt = super::report::plain_receipt(name, job_id, import.as_ref());
        Ok(Finish {
            to: match import.as_ref().map(|i| i.1) {
                Some(StoredStatus::Outcome(ImportStatus::Partial | ImportStatus::Held)) => {
                    Destination::NeedsAttention
                }
                _ => Destination::Processed,
            },
            sidecars: vec![crate::import::feedback::Sidecar {
                suffix: crate::import::feedback::RESULT_TXT,
                bytes: receipt.into_bytes(),
            }],
        })
    }
}

/// A folder and its per-store folders (`1042/`, …).
fn with_store_folders(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) && store_folder(&p).is_some() {
                out.push(p);
            }
        }
    }
    out
}

/// What a sweep of `processing/` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    /// Files queued that had no job.
    pub queued: usize,
    /// Files moved on because their job had ended (or to `failed/`: refused).
    pub finished: usize,
    /// Files (or folders) that could not be handled this time; tried again next sweep.
    pub errors: usize,
}

fn log_sweep(res: Result<Sweep, IntakeError>, startup: bool) {
    match res {
        Ok(s) if s.queued > 0 || s.finished > 0 || s.errors > 0 || startup => {
            tracing::info!(
                queued = s.queued,
                moved = s.finished,
                errors = s.errors,
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

/// The file's name for messages and the job row.
fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether the file still has the size and modification time it had when `read` opened it
/// (a writer did not add to it while it was read).
fn unchanged_since(path: &Path, read: &FileRead) -> bool {
    std::fs::symlink_metadata(path)
        .is_ok_and(|md| md.len() == read.bytes.len() as u64 && md.modified().ok() == read.modified)
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
