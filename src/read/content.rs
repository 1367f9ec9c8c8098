//! A file's content as the readers take it: bytes in memory, or an open regular file read
//! where it lies.
//!
//! A large workbook need not be held whole while it is planned and stored (a 1,048,576-row
//! xlsx is 32 MB of zip): its parts are inflated straight from the open file with positional
//! reads, so several readers walk it at once (the hidden-row scan runs beside calamine's cell
//! stream) without sharing a cursor. Only the length the file had when it was opened is ever
//! read, and a file that ends sooner is an error, never a shorter file.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

/// Files from this size on are imported from where they lie (`import`, the worker's path jobs
/// and inbox files), not read into memory first: an xlsx is inflated from the open file and
/// stored from it; the other formats' readers load it anyway. Smaller files are read whole,
/// which is as fast and stores them in one statement.
pub const IN_PLACE_BYTES: u64 = 8 << 20;

/// Borrowed content: what every reader takes.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// The whole file in memory.
    Bytes(&'a [u8]),
    /// An open regular file and the length it had when it was opened.
    File { file: &'a File, len: u64 },
}

impl<'a> Content<'a> {
    /// The content's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::File { len, .. } => *len,
        }
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A reader of its own (position 0), independent of every other reader.
    pub fn reader(&self) -> ContentReader<'a> {
        ContentReader {
            content: *self,
            pos: 0,
        }
    }

    /// The first `n` bytes (all of them when the content is shorter).
    pub fn head(&self, n: usize) -> io::Result<Cow<'a, [u8]>> {
        match self {
            Content::Bytes(b) => Ok(Cow::Borrowed(&b[..b.len().min(n)])),
            Content::File { len, .. } => {
                let mut out = vec![0; (*len).min(n as u64) as usize];
                self.reader().read_exact(&mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    /// The whole content in memory (read from the file when it is one).
    pub fn bytes(&self) -> io::Result<Cow<'a, [u8]>> {
        match self {
            Content::Bytes(b) => Ok(Cow::Borrowed(b)),
            Content::File { len, .. } => {
                let size = usize::try_from(*len).map_err(io::Error::other)?;
                let mut out = vec![0; size];
                self.reader().read_exact(&mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }
}

/// A `Read + Seek` over [`Content`]; clones are independent readers.
#[derive(Debug, Clone)]
pub struct ContentReader<'a> {
    content: Content<'a>,
    pos: u64,
}

impl Read for ContentReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = self.content.len();
        let want = (len.saturating_sub(self.pos)).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = match self.content {
            Content::Bytes(b) => {
                let at = self.pos as usize;
                buf[..want].copy_from_slice(&b[at..at + want]);
                want
            }
            Content::File { file, .. } => match file.read_at(&mut buf[..want], self.pos)? {
                0 => return Err(shrank()),
                n => n,
            },
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ContentReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.content.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// The file ended before the length it had when it was opened.
fn shrank() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the file became shorter while it was read (is something still writing it?)",
    )
}

/// Owned content: what a job holds from reading the file to storing it.
#[derive(Debug)]
pub enum Owned {
    Bytes(Vec<u8>),
    File { file: File, len: u64 },
}

impl Owned {
    /// The content, borrowed for the readers.
    pub fn content(&self) -> Content<'_> {
        match self {
            Owned::Bytes(b) => Content::Bytes(b),
            Owned::File { file, len } => Content::File { file, len: *len },
        }
    }

    /// The content's length in bytes.
    pub fn len(&self) -> u64 {
        self.content().len()
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(data: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(data).unwrap();
        f
    }

    #[test]
    fn a_file_reads_and_seeks_like_its_bytes() {
        let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let file = file_of(&data);
        for content in [
            Content::Bytes(&data),
            Content::File {
                file: &file,
                len: data.len() as u64,
            },
        ] {
            let mut r = content.reader();
            r.seek(SeekFrom::End(-10)).unwrap();
            let mut tail = Vec::new();
            r.read_to_end(&mut tail).unwrap();
            assert_eq!(tail, data[data.len() - 10..]);
            let mut r2 = r.clone();
            r2.seek(SeekFrom::Start(5)).unwrap();
            let mut five = [0; 5];
            r2.read_exact(&mut five).unwrap();
            assert_eq!(five, data[5..10]);
            assert_eq!(&*content.head(3).unwrap(), &data[..3]);
            assert_eq!(&*content.bytes().unwrap(), &data[..]);
            assert!(r.seek(SeekFrom::Current(-200_000)).is_err());
        }
    }

    #[test]
    fn only_the_length_at_opening_is_read_and_a_shorter_file_is_an_error() {
        let file = file_of(b"0123456789");
        let grown = Content::File {
            file: &file,
            len: 4,
        };
        assert_eq!(&*grown.bytes().unwrap(), b"0123");
        let shrunk = Content::File {
            file: &file,
            len: 20,
        };
        let err = shrunk.bytes().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
