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

/// Why a path could not be read as a regular file (before any format is looked at).
#[derive(Debug)]
pub enum OpenError {
    /// Not a regular file: what it is, in words (`a named pipe (FIFO)`).
    NotRegular(&'static str),
    /// Over the limit: `size` is at least this much.
    TooLarge { size: u64, limit: u64 },
    /// Opening or reading failed (`NotFound` when the file is gone).
    Io(std::io::Error),
}

/// Whether the path's last component may be a symbolic link: a path the user typed may
/// ([`Symlinks::Follow`]); a file found in a watched folder or under an import root may not
/// ([`Symlinks::Refuse`]: it is opened with `O_NOFOLLOW`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    Follow,
    Refuse,
}

/// The bytes of a regular file and the metadata of the descriptor they were read from.
#[derive(Debug)]
pub struct Opened {
    pub bytes: Vec<u8>,
    pub meta: Metadata,
}

/// The one bounded read of a file every caller uses (`preview`, `import`, the watched folders,
/// the queue's path jobs): type and size from the metadata before opening, a non-blocking
/// open, the same checks again on the opened descriptor, and at most `limit + 1` bytes read.
pub fn read_regular(path: &Path, limit: u64, symlinks: Symlinks) -> Result<Opened, OpenError> {
    let (file, meta) = open_regular(path, limit, symlinks)?;
    let capacity = usize::try_from(meta.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(OpenError::Io)?;
    let size = bytes.len() as u64;
    if size > limit {
        return Err(OpenError::TooLarge { size, limit });
    }
    Ok(Opened { bytes, meta })
}

/// [`read_regular`] without the read: the open regular file (within the limit when opened)
/// and its descriptor's metadata, for content read where it lies ([`super::content`]).
pub fn open_regular(
    path: &Path,
    limit: u64,
    symlinks: Symlinks,
) -> Result<(File, Metadata), OpenError> {
    let before = match symlinks {
        Symlinks::Follow => std::fs::metadata(path),
        Symlinks::Refuse => std::fs::symlink_metadata(path),
    };
    check_metadata(&before.map_err(OpenError::Io)?, limit)?;
    let file = open_nonblocking(path, symlinks).map_err(|e| match e.raw_os_error() {
        #[cfg(unix)]
        Some(libc::ELOOP) if symlinks == Symlinks::Refuse => {
            OpenError::NotRegular("a symbolic link")
        }
        _ => OpenError::Io(e),
    })?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    check_metadata(&meta, limit)?;
    Ok((file, meta))
}

/// Read a whole regular file, refusing other file types and files over the size limit before
/// reading them.
pub fn read_file(path: &Path, limits: &ReadLimits) -> Result<Vec<u8>, ReadError> {
    let file = display_name(path);
    match read_regular(path, limits.max_file_bytes, Symlinks::Follow) {
        Ok(opened) => Ok(opened.bytes),
        Err(OpenError::NotRegular(kind)) => Err(ReadError::NotAFile { file, kind }),
        Err(OpenError::TooLarge { size, limit }) => Err(ReadError::TooLarge { file, size, limit }),
        Err(OpenError::Io(error)) => Err(ReadError::Io { file, error }),
    }
}

/// [`read_file`] without the read: the open regular file and its length.
pub fn open_file(path: &Path, limits: &ReadLimits) -> Result<(File, u64), ReadError> {
    let file = display_name(path);
    match open_regular(path, limits.max_file_bytes, Symlinks::Follow) {
        Ok((f, meta)) => Ok((f, meta.len())),
        Err(OpenError::NotRegular(kind)) => Err(ReadError::NotAFile { file, kind }),
        Err(OpenError::TooLarge { size, limit }) => Err(ReadError::TooLarge { file, size, limit }),
        Err(OpenError::Io(error)) => Err(ReadError::Io { file, error }),
    }
}

/// Refuse anything but a regular file within the size limit.
fn check_metadata(meta: &Metadata, limit: u64) -> Result<(), OpenError> {
    if !meta.file_type().is_file() {
        return Err(OpenError::NotRegular(kind_of(&meta.file_type())));
    }
    if meta.len() > limit {
        return Err(OpenError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

/// What a file type that is not a regular file is, in words.
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        return "a folder";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

/// Open for reading without blocking (a FIFO swapped in after the metadata check would
/// otherwise block `open` until a writer appears), never a controlling terminal, and without
/// following a final symlink when `symlinks` says so.
fn open_nonblocking(path: &Path, symlinks: Symlinks) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = match symlinks {
            Symlinks::Follow => 0,
            Symlinks::Refuse => libc::O_NOFOLLOW,
        };
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
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
                    kind: "a folder",
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
            "inbox.csv: not a regular file (it is a named pipe (FIFO)); only regular files can \
             be read"
        );
        // The non-blocking open returns at once even on the FIFO itself.
        assert!(open_nonblocking(&path, Symlinks::Refuse).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused() {
        let err = read_file(Path::new("/dev/zero"), &ReadLimits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotAFile {
                    kind: "a character device",
                    ..
                }
            ),
            "{err}"
        );
    }
}
