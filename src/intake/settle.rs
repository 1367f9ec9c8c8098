//! The settle check: a file is taken only once its size and modification time have not changed
//! for the settle time (a copy over a share or a slow export is still growing before that).
//! Whether it can be opened, and whether it is whole ([`super::complete`]), is checked by the
//! caller when it reads the file; the caller's verdict is kept with the file ([`Settler::note`])
//! until the file changes, so a file judged incomplete is not read again on every tick.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
}

/// One candidate: how it looked, since when, and the caller's note on it at that look.
#[derive(Debug)]
struct Entry<N> {
    stamp: Stamp,
    since: Instant,
    note: Option<N>,
}

/// Candidate files and how long each has looked the same; `N` is what the caller notes about
/// a file (cleared whenever the file changes).
#[derive(Debug)]
pub struct Settler<N = ()> {
    seen: HashMap<PathBuf, Entry<N>>,
}

impl<N> Default for Settler<N> {
    fn default() -> Self {
        Settler {
            seen: HashMap::new(),
        }
    }
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

impl<N> Settler<N> {
    /// Start (or keep) watching `path`.
    pub fn offer(&mut self, path: &Path) {
        if !self.seen.contains_key(path)
            && let Some(stamp) = stamp(path)
        {
            self.seen.insert(
                path.to_path_buf(),
                Entry {
                    stamp,
                    since: Instant::now(),
                    note: None,
                },
            );
        }
    }

    /// How long `path` has looked the same (as of the last [`Settler::check`]).
    pub fn quiet_for(&self, path: &Path) -> Option<std::time::Duration> {
        self.seen.get(path).map(|e| e.since.elapsed())
    }

    /// Keep `note` with `path` until the file changes.
    pub fn note(&mut self, path: &Path, note: N) {
        if let Some(e) = self.seen.get_mut(path) {
            e.note = Some(note);
        }
    }

    /// The note kept with `path`, if the file has not changed since.
    pub fn noted(&self, path: &Path) -> Option<&N> {
        self.seen.get(path).and_then(|e| e.note.as_ref())
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
        self.seen.retain(|path, e| match stamp(path) {
            None => false,
            Some(s) if s != e.stamp => {
                e.stamp = s;
                e.since = now;
                e.note = None;
                true
            }
            Some(_) => {
                if now.duration_since(e.since) >= settle {
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
        let mut s = Settler::<&str>::default();
        assert_eq!(s.verdict(&p, settle), Verdict::Waiting);
        s.note(&p, "judged");
        assert_eq!(s.noted(&p), Some(&"judged"));
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(60)).await;
            f.write_all(b"1042,x\n").unwrap();
            f.flush().unwrap();
            assert_eq!(s.verdict(&p, settle), Verdict::Waiting);
            assert_eq!(s.noted(&p), None, "a change clears the note");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(s.verdict(&p, settle), Verdict::Ready(p.clone()));
    }

    #[test]
    fn directories_symlinks_and_missing_files_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settler::<()>::default();
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
