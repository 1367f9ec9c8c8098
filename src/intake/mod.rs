//! The watched folders: notify events plus a periodic rescan, the settle check, and the moves
//! `inbox/ → processing/ → processed/YYYY-MM-DD/ | failed/`.
//!
//! - [`filter`] — temporary, lock and hidden files are never taken.
//! - [`settle`] — a file is taken once its size and mtime stop changing for `settle_ms`.
//! - [`complete`] — and once the format's own end marker says it is whole (zip end record,
//!   `%%EOF`, the xls sector table); text has none, so it waits the longer `text_settle_ms`.
//! - [`safe_read`] — regular files only, never a blocking open, never more than the read limit.
//! - [`folders`] — the folder layout and the never-overwrite moves.
//! - [`warn_once`] — a folder problem is logged once, not on every rescan.
//! - [`report`] — the `NAME.errors.txt` for a file that failed outside the import itself.
//! - [`watch`] — the loop: events and rescans offer files, settled files become jobs, and
//!   `processing/` is swept for files a crash left behind.
//!
//! A taken file is read (proving it can be opened; its size is checked against
//! `read.max_file_bytes` first, and a file over it goes to `failed/` with a report, never to the
//! database), checked unchanged while it was read, moved to `processing/`, checked again there
//! (same hash), and queued with its bytes and its `processing/` path in one `enqueue_import`
//! call. The runner moves it on when its
//! job ends; the sweep finishes that move if the worker died between the commit and the move,
//! and queues files that were moved but never queued.

pub mod complete;
pub mod filter;
pub mod folders;
pub mod report;
pub mod safe_read;
pub mod settle;
pub mod store_inbox;
pub mod warn_once;
pub mod watch;

pub use folders::{Finish, Layout};
pub use watch::Intake;

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[intake]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeSettings {
    /// Watch folders at all (a worker may serve only the queue).
    pub enabled: bool,
    /// Watched folders; empty means `inbox/` under the data folder. Each gets `processing/`,
    /// `processed/` and `failed/` beside it.
    pub inboxes: Vec<PathBuf>,
    /// A file is taken once its size and modification time have not changed for this long.
    pub settle_ms: u64,
    /// Text files (CSV) have no end marker, so they must be quiet this long (three times this
    /// when the last line has no line break) before they are taken.
    pub text_settle_ms: u64,
    /// A file whose format says it is incomplete (a zip without its end record, a PDF without
    /// `%%EOF`, an xls shorter than its sector table) waits for the rest this long after its
    /// last change, then goes to `failed/` with a report (seconds).
    pub incomplete_fail_secs: u64,
    /// Full rescan of every folder (events can be lost on network shares), in seconds.
    pub rescan_secs: u64,
    /// A file in `processing/` with no job is queued again once it is this old (seconds);
    /// younger ones may be in the middle of being queued by another worker.
    pub recover_grace_secs: u64,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            enabled: true,
            inboxes: Vec::new(),
            settle_ms: 1000,
            text_settle_ms: 5000,
            incomplete_fail_secs: 600,
            rescan_secs: 10,
            recover_grace_secs: 10,
        }
    }
}

impl IntakeSettings {
    /// The watched folders: configured, or `inbox/` under `data_dir`.
    pub fn inbox_paths(&self, data_dir: &Path) -> Vec<PathBuf> {
        if self.inboxes.is_empty() {
            vec![data_dir.join("inbox")]
        } else {
            self.inboxes.clone()
        }
    }

    /// Prepare every watched folder and its siblings.
    pub fn layouts(&self, data_dir: &Path) -> Result<Vec<Layout>, IntakeError> {
        self.inbox_paths(data_dir)
            .iter()
            .map(|p| {
                Layout::prepare(p).map_err(|source| IntakeError::Folder {
                    path: p.clone(),
                    source,
                })
            })
            .collect()
    }
}

/// Errors of the watched-folder boundary.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// A watched folder or one of its siblings could not be created or read.
    #[error("watched folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The file-system error.
        source: std::io::Error,
    },
    /// A file could not be moved between the folders.
    #[error("moving a file in {}: {source}", dir.display())]
    Move {
        /// The folder the move went to or from.
        dir: PathBuf,
        /// The file-system error.
        source: std::io::Error,
    },
    /// The job for a file could not be queued (the file stays in `processing/` and is queued
    /// by a later sweep).
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
}
