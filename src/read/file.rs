//! Opening a file to read: only regular files, and only up to the size limit.
//!
//! The file's type and size come from its metadata before it is opened for reading, so a FIFO
//! (which would block `open` until a writer appears), a device (which may never end) or a
//! directory is refused at once, and a file over [`ReadLimits::max_file_bytes`] is refused
//! before a byte of it is read. The open itself is non-blocking and the opened handle is
//! checked again (the path may have been swapped in between); the read stops one byte past the
//! limit, so a file that grows while it is read cannot take more memory than the limit.

use super::{ReadError, ReadLimits};
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// The name a path's file goes by in messages: its file name, else the whole path.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Read a whole regular file, refusing other file types and files over the size limit before
/// reading them.
pub fn read_file(path: &Path, limits: &ReadLimits) -> Result<Vec<u8>, ReadError> {
    let name = display_name(path);
    let io = |error| ReadError::Io {
        file: name.clone(),
        error,
    };
    check_metadata(&name, &std::fs::metadata(path).map_err(io)?, limits)?;
    let file = open_nonblocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    check_metadata(&name, &meta, limits)?;
    let limit = limits.max_file_bytes;
    let capacity = usize::try_from(meta.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let size = bytes.len() as u64;
    if size > limit {
        return Err(ReadError::TooLarge {
            file: name,
            size,
            limit,
        });
    }
    Ok(bytes)
}

/// Refuse anything but a regular file within the size limit.
fn check_metadata(name: &str, meta: &Metadata, limits: &ReadLimits) -> Result<(), ReadError> {
    if let Some(kind) = not_regular(meta) {
        return Err(ReadError::NotAFile {
            file: name.to_owned(),
            kind,
        });
    }
    let (size, limit) = (meta.len(), limits.max_file_bytes);
    if size > limit {
        return Err(ReadError::TooLarge {
            file: name.to_owned(),
            size,
            limit,
        });
    }
    Ok(())
}

/// What a non-regular file is, in words; `None` for a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Open for reading without blocking (a FIFO swapped in after the metadata check would
/// otherwise block `open` until a writer appears).
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_and_oversized_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_file(dir.path(), &ReadLimits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotAFile {
                    kind: "a directory",
                    ..
                }
            ),
            "{err}"
        );
        let path = dir.path().join("big.csv");
        std::fs::write(&path, b"a,b,c\n").unwrap();
        let limits = ReadLimits {
            max_file_bytes: 5,
            ..ReadLimits::default()
        };
        let err = read_file(&path, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "big.csv: the file is too large (6 bytes; the limit is 5 bytes, the configured \
             read.max_file_bytes)"
        );
        assert_eq!(
            read_file(&path, &ReadLimits::default()).unwrap(),
            b"a,b,c\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_without_writer_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.csv");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let err = read_file(&path, &ReadLimits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inbox.csv: not a regular file (it is a FIFO (named pipe)); only regular files can \
             be read"
        );
        // The non-blocking open returns at once even on the FIFO itself.
        assert!(open_nonblocking(&path).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused() {
        let err = read_file(Path::new("/dev/zero"), &ReadLimits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotAFile {
                    kind: "a device",
                    ..
                }
            ),
            "{err}"
        );
    }
}
