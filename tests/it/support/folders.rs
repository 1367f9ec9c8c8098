//! Watched folders in tests: drop a file the way a store manager's copy lands, wait until it
//! is filed, read what was written beside it; and an intake of the test process itself on a
//! folder (no worker process, nothing running until the test runs it).
//!
//! ```ignore
//! use crate::support::folders::{self, WITHIN, drop_and_wait, files_under, wait_until};
//!
//! let filed = drop_and_wait(&inbox, &src, "week.csv", &root.join("failed"), 4).await;
//! let report = folders::beside(&filed, ".errors.txt");   // failed/week.csv.errors.txt
//! let (intake, layout) = folders::intake(&db, &inbox, settings).await;
//! ```

use super::TestDb;
use pharmacy_ingest::intake::{Intake, IntakeSettings, Layout};
use pharmacy_ingest::ops::metrics::Metrics;
use pharmacy_ingest::queue::roots;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a worker is given to file a dropped file.
pub const WITHIN: Duration = Duration::from_secs(30);

/// Copy `src` into `dir` as `as_name` the way a manager's copy lands (temp name, rename).
pub fn drop_into(dir: &Path, src: &Path, as_name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let tmp = dir.join(format!("{as_name}.part"));
    std::fs::copy(src, &tmp).unwrap();
    std::fs::rename(&tmp, dir.join(as_name)).unwrap();
}

/// Drop `src` into `dir` as `as_name`, wait (up to [`WITHIN`]) until folder `to` holds
/// `files` files (counted through its subfolders), and return where the dropped file is
/// then expected: `to/as_name`.
pub async fn drop_and_wait(
    dir: &Path,
    src: &Path,
    as_name: &str,
    to: &Path,
    files: usize,
) -> PathBuf {
    drop_into(dir, src, as_name);
    let what = format!("{as_name} and what goes with it in {}", to.display());
    wait_until(&what, WITHIN, || files_under(to).len() == files).await;
    to.join(as_name)
}

/// The text written beside `file` as `<its name><suffix>` (its receipt, its report).
pub fn beside(file: &Path, suffix: &str) -> String {
    let mut name = file.file_name().unwrap().to_os_string();
    name.push(suffix);
    read(&file.with_file_name(name))
}

/// A file's text; a missing file fails the test with its path.
pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The names of the files a person sees under `dir` and its subfolders, sorted (none: `dir` is
/// missing). Hidden files are left out: they are a worker's temporaries (a report being
/// written and then linked into place), so counting them would see a file before it is whole.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else if !name.starts_with('.') {
                out.push(name);
            }
        }
    }
    out.sort();
    out
}

/// Wait until `f` holds, checking every 100 ms; fail the test after `within`.
pub async fn wait_until<F: Fn() -> bool>(what: &str, within: Duration, f: F) {
    let deadline = tokio::time::Instant::now() + within;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Today's folder in `processed/` (`YYYY-MM-DD`, local time).
pub fn day() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

/// An intake in this process on `inbox` (its siblings created, its `processing/` published
/// as a read root of a host of its own), not yet running.
pub async fn intake(db: &TestDb, inbox: &Path, s: IntakeSettings) -> (Intake, Layout) {
    let layout = Layout::prepare(inbox).unwrap();
    roots::publish(
        db.pool(),
        &format!("test-{}", uuid::Uuid::new_v4()),
        std::slice::from_ref(&layout.processing),
    )
    .await
    .unwrap();
    let intake = Intake::new(
        db.pool().clone(),
        vec![layout.clone()],
        s,
        Arc::new(Notify::new()),
        Arc::new(Metrics::default()),
    );
    (intake, layout)
}
