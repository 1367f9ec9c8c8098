//! Reading a file someone else controls without ever hanging on it or taking more than the
//! read limit: the file type is checked on the open descriptor (opened non-blocking, without
//! following a symlink, so a FIFO or a device can never block the open), its size is checked
//! before a byte is read, and at most `limit + 1` bytes are ever read (a file growing while it
//! is read cannot exceed the limit either).
//!
//! The read itself is [`crate::read::file::read_regular`], the one every caller uses; this
//! module adds the sha256, the errors the intake reports, and [`read_bounded`], which runs that
//! read on a blocking thread and gives up at a deadline or when a
//! token is cancelled (a read stuck on a dead network share ends the job, not the worker).
//! Used by the watched folders, the queue runner (path jobs) and the `import`/`enqueue`
//! commands.

use crate::read::content::{Content, Owned};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum SafeReadError {
    /// The path is not a regular file (a FIFO, a device, a socket, a directory, a symlink).
    #[error(
        "{}: is {kind}, not a regular file; only regular files are imported (remove it from the folder)",
        file_name(path)
    )]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is, in words (`a named pipe (FIFO)`).
        kind: &'static str,
    },
    /// Larger than the read limit (`read.max_file_bytes`).
    #[error(
        "{}: the file is too large ({size} bytes; the limit is {limit} bytes, read.max_file_bytes); \
         split it into smaller files or ask your administrator to raise the limit",
        file_name(path)
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (at least this much).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is gone.
    #[error("{}: the file is gone", file_name(path))]
    Gone {
        /// The file.
        path: PathBuf,
    },
    /// Opening or reading failed.
    #[error("{}: cannot read the file ({source})", file_name(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The read did not finish before the job's deadline.
    #[error(
        "{}: reading the file took longer than {secs} s (a stalled network share?)",
        file_name(path)
    )]
    TimedOut {
        /// The file.
        path: PathBuf,
        /// The time allowed.
        secs: u64,
    },
    /// The worker is shutting down.
    #[error("{}: reading stopped: the worker is shutting down", file_name(path))]
    Stopped {
        /// The file.
        path: PathBuf,
    },
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A file read whole.
#[derive(Debug, Clone)]
pub struct FileRead {
    pub bytes: Vec<u8>,
    /// Hex sha256 of `bytes`.
    pub sha256: String,
    /// Modification time when it was opened.
    pub modified: Option<SystemTime>,
}

/// The size of a regular file at `path` without following symlinks or opening it.
pub fn regular_size(path: &Path) -> Result<u64, SafeReadError> {
    let md = std::fs::symlink_metadata(path).map_err(|e| io_error(path, e))?;
    if !md.file_type().is_file() {
        return Err(SafeReadError::NotRegular {
            path: path.to_path_buf(),
            kind: crate::read::file::kind_of(&md.file_type()),
        });
    }
    Ok(md.len())
}

fn io_error(path: &Path, source: std::io::Error) -> SafeReadError {
    if source.kind() == std::io::ErrorKind::NotFound {
        return SafeReadError::Gone {
            path: path.to_path_buf(),
        };
    }
    SafeReadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Read the regular file at `path` (synchronous; never blocks on the open; a final symlink is
/// refused), at most `limit` bytes, with its sha256: [`crate::read::file::read_regular`].
pub fn read_limited(path: &Path, limit: u64) -> Result<FileRead, SafeReadError> {
    use crate::read::file::{Symlinks, read_regular};
    let opened = read_regular(path, limit, Symlinks::Refuse).map_err(|e| open_error(path, e))?;
    let sha256 = crate::import::files::sha256_hex(&opened.bytes);
    Ok(FileRead {
        modified: opened.meta.modified().ok(),
        bytes: opened.bytes,
        sha256,
    })
}

/// [`read_limited`] without the read: the open regular file and its length, for content read
/// where it lies ([`crate::read::content`]).
pub fn open_limited(path: &Path, limit: u64) -> Result<(std::fs::File, u64), SafeReadError> {
    use crate::read::file::{Symlinks, open_regular};
    let (file, meta) =
        open_regular(path, limit, Symlinks::Refuse).map_err(|e| open_error(path, e))?;
    Ok((file, meta.len()))
}

fn open_error(path: &Path, e: crate::read::file::OpenError) -> SafeReadError {
    use crate::read::file::OpenError;
    match e {
        OpenError::NotRegular(kind) => SafeReadError::NotRegular {
            path: path.to_path_buf(),
            kind,
        },
        OpenError::TooLarge { size, limit } => SafeReadError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        },
        OpenError::Io(e) => io_error(path, e),
    }
}

/// A file's content as a job holds it, with the sha256 of that content.
#[derive(Debug)]
pub struct Loaded {
    pub content: Owned,
    /// Hex sha256 of the content.
    pub sha256: String,
}

impl Loaded {
    /// Bytes already in memory.
    pub fn bytes(bytes: Vec<u8>) -> Loaded {
        Loaded {
            sha256: crate::import::files::sha256_hex(&bytes),
            content: Owned::Bytes(bytes),
        }
    }
}

/// [`read_limited`] for a job's content: the regular file at `path`, checked as there, read
/// once. A file of `in_place_from` bytes or more stays open to be read where it lies (hashed
/// in chunks, never held, [`crate::read::content`]); a smaller one is read into memory.
pub fn load_limited(path: &Path, limit: u64, in_place_from: u64) -> Result<Loaded, SafeReadError> {
    let (file, len) = open_limited(path, limit)?;
    let io = |e| io_error(path, e);
    let content = if len >= in_place_from {
        Owned::File { file, len }
    } else {
        let bytes = Content::File { file: &file, len }.bytes().map_err(io)?;
        Owned::Bytes(bytes.into_owned())
    };
    let sha256 = crate::import::files::sha256_of(content.content()).map_err(io)?;
    Ok(Loaded { content, sha256 })
}

/// [`load_limited`] on a blocking thread, abandoned like [`read_bounded`].
pub async fn load_bounded(
    path: &Path,
    limit: u64,
    in_place_from: u64,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<Loaded, SafeReadError> {
    let p = path.to_path_buf();
    bounded(path, timeout, stop, move || {
        load_limited(&p, limit, in_place_from)
    })
    .await
}

/// `work` on a blocking thread, abandoned after `timeout` or when `stop` is cancelled.
async fn bounded<T: Send + 'static>(
    path: &Path,
    timeout: Duration,
    stop: &CancellationToken,
    work: impl FnOnce() -> Result<T, SafeReadError> + Send + 'static,
) -> Result<T, SafeReadError> {
    let task = tokio::task::spawn_blocking(work);
    tokio::select! {
        biased;
        _ = stop.cancelled() => Err(SafeReadError::Stopped { path: path.to_path_buf() }),
        _ = tokio::time::sleep(timeout) => Err(SafeReadError::TimedOut {
            path: path.to_path_buf(),
            secs: timeout.as_secs(),
        }),
        r = task => r.unwrap_or_else(|e| Err(SafeReadError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })),
    }
}

/// [`read_limited`] on a blocking thread, abandoned after `timeout` or when `stop` is
/// cancelled (the thread may stay stuck in the kernel; the caller goes on).
pub async fn read_bounded(
    path: &Path,
    limit: u64,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<FileRead, SafeReadError> {
    let p = path.to_path_buf();
    bounded(path, timeout, stop, move || read_limited(&p, limit)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo failed");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("week48.csv");
        mkfifo(&fifo);
        let started = std::time::Instant::now();
        let err = read_limited(&fifo, 1 << 20).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(
            matches!(err, SafeReadError::NotRegular { kind, .. } if kind.contains("FIFO")),
            "{err}"
        );
        assert!(err.to_string().starts_with("week48.csv: is a named pipe"));
        assert!(matches!(
            regular_size(&fifo),
            Err(SafeReadError::NotRegular { .. })
        ));
    }

    #[test]
    fn devices_symlinks_and_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_limited(Path::new("/dev/zero"), 10),
            Err(SafeReadError::NotRegular { .. })
        ));
        assert!(matches!(
            read_limited(dir.path(), 10),
            Err(SafeReadError::NotRegular { .. })
        ));
        let target = dir.path().join("t.csv");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            read_limited(&link, 10),
            Err(SafeReadError::NotRegular { .. })
        ));
        assert!(matches!(
            read_limited(&dir.path().join("missing"), 10),
            Err(SafeReadError::Gone { .. })
        ));
    }

    #[test]
    fn the_limit_is_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.csv");
        let f = std::fs::File::create(&p).unwrap();
        // A sparse 3 GB file: reading it whole would take 3 GB of memory.
        f.set_len(3 << 30).unwrap();
        let err = read_limited(&p, 1 << 20).unwrap_err();
        assert!(
            matches!(err, SafeReadError::TooLarge { size, limit, .. } if size == 3 << 30 && limit == 1 << 20)
        );
        assert!(err.to_string().contains("too large"), "{err}");
        std::fs::write(&p, b"Store\n").unwrap();
        let r = read_limited(&p, 6).unwrap();
        assert_eq!(r.bytes, b"Store\n");
        assert_eq!(r.sha256, crate::import::files::sha256_hex(b"Store\n"));
    }

    #[tokio::test]
    async fn a_bounded_read_gives_up_when_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, b"x\n").unwrap();
        let stop = CancellationToken::new();
        let r = read_bounded(&p, 10, Duration::from_secs(5), &stop).await;
        assert_eq!(r.unwrap().bytes, b"x\n");
        stop.cancel();
        let r = read_bounded(&p, 10, Duration::from_secs(5), &stop).await;
        assert!(matches!(r, Err(SafeReadError::Stopped { .. })), "{r:?}");
    }
}
