//! The settle check: a file is taken only once its size and modification time have not changed
//! for the settle time (a copy over a share or a slow export is still growing before that).
//! Whether it can be opened is checked by the caller when it reads the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
}

/// Candidate files and how long each has looked the same.
#[derive(Debug, Default)]
pub struct Settler {
    seen: HashMap<PathBuf, (Stamp, Instant)>,
}

/// What [`Settler::check`] found for one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Unchanged for the settle time: take it.
    Ready(PathBuf),
    /// Still changing, or not unchanged for long enough.
    Waiting,
    /// Gone, or not a regular file (directories and symlinks are never followed).
    Dropped,
}

impl Settler {
    /// Start (or keep) watching `path`.
    pub fn offer(&mut self, path: &Path) {
        if !self.seen.contains_key(path)
            && let Some(stamp) = stamp(path)
        {
            self.seen
                .insert(path.to_path_buf(), (stamp, Instant::now()));
        }
    }

    /// Forget `path` (taken, or failed to be taken).
    pub fn forget(&mut self, path: &Path) {
        self.seen.remove(path);
    }

    /// Files being watched.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no file is being watched.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Look at every candidate again; returns those unchanged for `settle`.
    pub fn check(&mut self, settle: Duration) -> Vec<PathBuf> {
        let now = Instant::now();
        let mut ready = Vec::new();
        self.seen.retain(|path, (last, since)| match stamp(path) {
            None => false,
            Some(s) if s != *last => {
                *last = s;
                *since = now;
                true
            }
            Some(_) => {
                if now.duration_since(*since) >= settle {
                    ready.push(path.clone());
                }
                true
            }
        });
        ready.sort();
        ready
    }

    /// The verdict for one path (for tests and one-off checks).
    pub fn verdict(&mut self, path: &Path, settle: Duration) -> Verdict {
        if stamp(path).is_none() {
            self.forget(path);
            return Verdict::Dropped;
        }
        self.offer(path);
        if self.check(settle).iter().any(|p| p == path) {
            Verdict::Ready(path.to_path_buf())
        } else {
            Verdict::Waiting
        }
    }
}

/// Size and mtime of a regular file, not following symlinks; `None` for anything else.
fn stamp(path: &Path) -> Option<Stamp> {
    let md = std::fs::symlink_metadata(path).ok()?;
    if !md.file_type().is_file() {
        return None;
    }
    Some(Stamp {
        size: md.len(),
        modified: md.modified().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[tokio::test]
    async fn a_growing_file_waits_until_it_is_quiet() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(b"Store,Employee\n").unwrap();
        f.flush().unwrap();
        let settle = Duration::from_millis(150);
        let mut s = Settler::default();
        assert_eq!(s.verdict(&p, settle), Verdict::Waiting);
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(60)).await;
            f.write_all(b"1042,x\n").unwrap();
            f.flush().unwrap();
            assert_eq!(s.verdict(&p, settle), Verdict::Waiting);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(s.verdict(&p, settle), Verdict::Ready(p.clone()));
    }

    #[test]
    fn directories_symlinks_and_missing_files_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settler::default();
        assert_eq!(s.verdict(dir.path(), Duration::ZERO), Verdict::Dropped);
        assert_eq!(
            s.verdict(&dir.path().join("missing"), Duration::ZERO),
            Verdict::Dropped
        );
        #[cfg(unix)]
        {
            let target = dir.path().join("t.csv");
            std::fs::write(&target, b"x").unwrap();
            let link = dir.path().join("l.csv");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            assert_eq!(s.verdict(&link, Duration::ZERO), Verdict::Dropped);
            assert_eq!(
                s.verdict(&target, Duration::ZERO),
                Verdict::Ready(target.clone())
            );
        }
    }
}
