//! Readers: every supported file becomes a [`grid::Grid`].
//!
//! The format is detected from the content ([`sniff`]: magic bytes, zip members, OLE2 streams),
//! never trusted from the extension. Readers are synchronous and do no database work; the
//! worker runs them in `spawn_blocking` (small files inline). Every reader honours
//! [`ReadOptions::limits`] before allocating: spreadsheets are streamed into the sparse grid
//! (xlsx, xlsb) or have their extent checked before calamine builds a dense range (xls, ods).
//!
//! Entry points: [`read_path`], [`read_bytes`] and [`read_content`] (an xlsx/xlsm file read
//! where it lies, [`content`]). Every error names the file and says what is
//! wrong in one line (`schedule.xlsx: the file is empty`); none quotes cell contents.

pub mod content;
pub mod csv;
mod extent;
pub mod file;
pub mod grid;
mod guard;
mod package;
pub mod pdf;
mod sheet_xml;
pub mod sniff;
pub mod spreadsheet;
mod xlsx_cells;
mod xml_scan;

use content::Content;
pub use file::read_file;
use grid::{Grid, SourceFormat};
use sniff::{NotReadable, Sniffed};
use std::path::Path;

/// Bounds that keep a hostile or enormous file from exhausting memory or time. Every one is
/// checked before the bytes it bounds are read or allocated (see `ARCHITECTURE.md`, "Reader
/// budgets").
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadLimits {
    /// Most cells (across all sheets) a file may hold; checked from declared dimensions
    /// before anything is allocated, and again while cells are read.
    pub max_cells: usize,
    /// Largest file accepted, in bytes; checked from the file's metadata before it is opened
    /// for reading, and again while it is read (a file that grows is cut off).
    pub max_file_bytes: u64,
    /// Most PDF pages read.
    pub max_pdf_pages: usize,
    /// Largest total uncompressed size of a zip package's parts (xlsx/xlsb/ods), in bytes:
    /// the declared sizes are summed before anything is inflated, and a part that inflates to
    /// more than it declared is refused while it is inflated.
    pub max_unpacked_bytes: u64,
    /// Largest single value in bytes: a CSV field, or an XML text run or tag inside a
    /// package part (a spreadsheet cell holds at most 32,767 characters).
    pub max_cell_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_cells: 1_000_000,
            max_file_bytes: 200 * 1024 * 1024,
            max_pdf_pages: 500,
            max_unpacked_bytes: 512 * 1024 * 1024,
            max_cell_bytes: 1024 * 1024,
        }
    }
}

/// Options for one read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub limits: ReadLimits,
    /// Password for an encrypted PDF (`--password`).
    pub password: Option<String>,
    /// Keep only the first rows of each sheet of a format that streams (xlsx, xlsm, CSV): a
    /// sheet with more is marked [`grid::Sheet::rows_beyond`] and [`stream_rows`] reads the
    /// rest without holding it. Cells left in the file do not count against `max_cells`.
    /// `None`: read everything (xls, xlsb, ods and PDF always are).
    pub head_rows: Option<u32>,
}

/// Why a file could not be read at all. Every message starts with the file name and says what
/// an operator can do; none quotes cell contents (they may be personal data).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read from disk.
    #[error("{file}: cannot read the file ({error})")]
    Io { file: String, error: std::io::Error },
    /// The file has no bytes at all.
    #[error("{file}: the file is empty")]
    Empty { file: String },
    /// The path is not a regular file (a FIFO, a device, a directory, a socket): refused from
    /// its metadata, before it is opened, so a FIFO without a writer cannot block a reader.
    #[error("{file}: not a regular file (it is {kind}); only regular files can be read")]
    NotAFile { file: String, kind: &'static str },
    /// The file is larger than [`ReadLimits::max_file_bytes`] (`size` is at least this much:
    /// a file that grows while it is read is cut off just past the limit).
    #[error(
        "{file}: the file is too large ({size} bytes; the limit is {limit} bytes, the configured \
         read.max_file_bytes)"
    )]
    TooLarge { file: String, size: u64, limit: u64 },
    /// One value (a CSV field, an XML text run or tag) is longer than
    /// [`ReadLimits::max_cell_bytes`]; `place` says where (`row 3`, `part 'xl/styles.xml'`).
    #[error(
        "{file}: {place} holds a value longer than {limit} bytes (the configured \
         read.max_cell_bytes); a schedule cell is never this long, so the file is damaged or \
         not a schedule"
    )]
    ValueTooLong {
        file: String,
        place: String,
        limit: usize,
    },
    /// The content is not a spreadsheet, CSV or PDF; `what` names what it looks like.
    #[error("{file}: not a spreadsheet, CSV or PDF (looks like {what})")]
    Unsupported { file: String, what: String },
    /// A password-protected (encrypted) workbook.
    #[error("{file}: password-protected workbook; save it without a password and send it again")]
    Encrypted { file: String },
    /// The container or a part of it is corrupt; `detail` is the parser's reason, shown on one
    /// short line (a parser may quote the file's bytes, line breaks included).
    #[error("{file}: the {format} file is damaged ({})", one_line(.detail))]
    Damaged {
        file: String,
        /// Format name as detected (`xlsx`, `xls`, …) or as the extension claimed.
        format: String,
        detail: String,
    },
    /// More cells than [`ReadLimits::max_cells`] (counted before they are allocated).
    #[error(
        "{file}: sheet '{sheet}' is too large: it would hold more than {limit} cells \
         (the configured read.max_cells)"
    )]
    TooManyCells {
        file: String,
        sheet: String,
        limit: usize,
    },
    /// A CSV row with more fields than a spreadsheet has columns.
    #[error(
        "{file}: row {row} has more than {limit} fields, more than a spreadsheet has columns; \
         the file is damaged or not a schedule"
    )]
    TooWide {
        file: String,
        row: u64,
        limit: usize,
    },
    /// A zip package's parts together unpack to more than [`ReadLimits::max_unpacked_bytes`]
    /// (a zip bomb or an enormous workbook): `size` is the running total once `part` is
    /// counted, from the declared sizes (before inflating) or the inflated bytes (a part that
    /// inflates to more than it declared stops there).
    #[error(
        "{file}: the package would unpack to {size} bytes or more once part '{part}' is \
         counted, above the limit of {limit} (the configured read.max_unpacked_bytes)"
    )]
    TooLargeUnpacked {
        file: String,
        part: String,
        size: u64,
        limit: u64,
    },
    /// A PDF that could not be read (without the file name; [`ReadError::PdfFile`] carries it).
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
    /// A PDF that could not be read, with the file it came from.
    #[error("{file}: {error}")]
    PdfFile { file: String, error: pdf::PdfError },
}

/// Read a file from disk into a grid (through [`file::read_file`]: regular files only, size
/// checked before reading).
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<Grid, ReadError> {
    let bytes = file::read_file(path, &opts.limits)?;
    read_bytes(&file::display_name(path), &bytes, opts)
}

/// Read a file's bytes into a grid; `file_name` names the file in messages, gives a CSV its
/// sheet name (the stem) and is otherwise ignored: the format comes from the content.
pub fn read_bytes(file_name: &str, bytes: &[u8], opts: &ReadOptions) -> Result<Grid, ReadError> {
    read_content(file_name, Content::Bytes(bytes), opts)
}

/// [`read_bytes`] for content that may be an open file: an xlsx or xlsm package or a CSV is
/// read where it lies; anything else is read into memory first ([`needs_loading`]).
pub fn read_content(
    file_name: &str,
    content: Content<'_>,
    opts: &ReadOptions,
) -> Result<Grid, ReadError> {
    let file = file_name.to_owned();
    let size = content.len();
    if size > opts.limits.max_file_bytes {
        return Err(ReadError::TooLarge {
            file,
            size,
            limit: opts.limits.max_file_bytes,
        });
    }
    let io = |error| ReadError::Io {
        file: file.clone(),
        error,
    };
    let sniffed = sniff::sniff_content(content).map_err(io)?;
    if matches!(content, Content::File { .. }) && !read_in_place(&sniffed) {
        return read_bytes(file_name, &content.bytes().map_err(io)?, opts);
    }
    let claimed = extension(file_name);
    let kind = match sniffed {
        Ok(kind) => kind,
        Err(NotReadable::Empty) => return Err(ReadError::Empty { file }),
        Err(NotReadable::Encrypted) => return Err(ReadError::Encrypted { file }),
        Err(NotReadable::DamagedZip(detail)) => {
            let format = match claimed.as_deref() {
                Some(ext @ ("xlsx" | "xlsm" | "xlsb" | "ods")) => ext.to_owned(),
                _ => "zip".to_owned(),
            };
            return Err(ReadError::Damaged {
                file,
                format,
                detail,
            });
        }
        Err(NotReadable::DamagedOle(detail)) => {
            return Err(ReadError::Damaged {
                file,
                format: "xls".into(),
                detail,
            });
        }
        Err(NotReadable::Other(what)) => {
            return Err(ReadError::Unsupported {
                file,
                what: what.to_owned(),
            });
        }
    };
    let format = match kind {
        Sniffed::Pdf => {
            let bytes = content.bytes().map_err(io)?;
            return pdf::read_pdf(&bytes, opts).map_err(|error| ReadError::PdfFile { file, error });
        }
        Sniffed::Text => {
            let stem = Path::new(file_name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Sheet1".into());
            return csv::read_csv(&file, &stem, content, &opts.limits, opts.head_rows);
        }
        Sniffed::Xls => SourceFormat::Xls,
        Sniffed::Xlsx => SourceFormat::Xlsx,
        Sniffed::Xlsm => SourceFormat::Xlsm,
        Sniffed::Xlsb => SourceFormat::Xlsb,
        Sniffed::Ods => SourceFormat::Ods,
    };
    spreadsheet::read_workbook(&file, format, content, &opts.limits, opts.head_rows)
}

/// Read the rows of sheet `sheet` from row index `from` on into `each`, one at a time and
/// holding none: the rest of a sheet a read with [`ReadOptions::head_rows`] left in the file.
/// For xlsx, xlsm and CSV (the formats a head read cuts short).
pub fn stream_rows(
    file_name: &str,
    content: Content<'_>,
    opts: &ReadOptions,
    sheet: &str,
    from: u32,
    each: &mut dyn FnMut(grid::Row),
) -> Result<(), ReadError> {
    let limits = &opts.limits;
    let io = |error| ReadError::Io {
        file: file_name.to_owned(),
        error,
    };
    let format = match sniff::sniff_content(content).map_err(io)? {
        Ok(Sniffed::Text) => return csv::stream_csv(file_name, content, limits, from, each),
        Ok(Sniffed::Xlsx) => SourceFormat::Xlsx,
        Ok(Sniffed::Xlsm) => SourceFormat::Xlsm,
        _ => {
            return Err(ReadError::Unsupported {
                file: file_name.to_owned(),
                what: "a file that is read whole, not row by row".to_owned(),
            });
        }
    };
    spreadsheet::stream_xlsx_rows(file_name, format, content, limits, sheet, from, each)
}

/// Rows handed from the reading thread to the caller at a time by [`stream_rows_beside`].
const ROWS_PER_BATCH: usize = 256;

/// [`stream_rows`] on a thread of its own: the file is inflated and parsed while the caller's
/// `each` works on the rows before (in order, a few batches ahead at most, so nothing more is
/// held). Reading is most of a large sheet's time and extraction the rest; on two cores they
/// overlap. A panic of `each` is the caller's own and unwinds as usual.
///
/// `each` borrows the rows, and each batch it is done with goes back to the reading thread,
/// which frees its rows (and refills its vector): freed by the caller, every cell string would
/// go back to the reading thread's malloc arena under that arena's lock, which the reading
/// thread holds for its own allocations; the two threads contended for it on almost every
/// free (a 100,000-row preview: 15,000 context switches, a fifth of its time in the kernel).
pub fn stream_rows_beside(
    file_name: &str,
    content: Content<'_>,
    opts: &ReadOptions,
    sheet: &str,
    from: u32,
    each: &mut dyn FnMut(&grid::Row),
) -> Result<(), ReadError> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<grid::Row>>(4);
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<grid::Row>>();
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
            // Once the caller is gone (its `each` panicked) the rest is read and dropped.
            let mut open = true;
            let read = stream_rows(file_name, content, opts, sheet, from, &mut |row| {
                batch.push(row);
                if open && batch.len() == ROWS_PER_BATCH {
                    let full = std::mem::replace(&mut batch, refill(&spent_rx));
                    open = tx.send(full).is_ok();
                } else if !open {
                    batch.clear();
                }
            });
            if open && !batch.is_empty() {
                let _ = tx.send(batch);
            }
            read
        });
        for batch in rx {
            batch.iter().for_each(&mut *each);
            // Refused once the reading thread is done: then freeing here contends with nothing.
            let _ = spent_tx.send(batch);
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// An empty batch for the reading thread: a spent one back from the caller, its rows freed
/// here, or a new one; any other spent batches are freed too.
fn refill(spent: &std::sync::mpsc::Receiver<Vec<grid::Row>>) -> Vec<grid::Row> {
    let mut back = spent.try_iter();
    let mut batch = back
        .next()
        .unwrap_or_else(|| Vec::with_capacity(ROWS_PER_BATCH));
    batch.clear();
    back.for_each(drop);
    batch
}

/// Whether `content` is a file the readers take only in memory: anything but an xlsx or xlsm
/// package (inflated from the file where it lies) or delimited text (decoded in chunks from
/// it); the other formats are parsed whole, so their bytes are the least of what they hold.
pub fn needs_loading(content: Content<'_>) -> std::io::Result<bool> {
    Ok(match content {
        Content::Bytes(_) => false,
        Content::File { .. } => !read_in_place(&sniff::sniff_content(content)?),
    })
}

/// Whether a file sniffed as `kind` is read where it lies ([`needs_loading`]).
fn read_in_place(kind: &Result<Sniffed, NotReadable>) -> bool {
    matches!(kind, Ok(Sniffed::Xlsx | Sniffed::Xlsm | Sniffed::Text))
}

/// The lower-case extension of a file name, if any.
fn extension(file_name: &str) -> Option<String> {
    Path::new(file_name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// A parser's message as one short line: control characters (line breaks) become spaces, runs
/// of spaces one, and anything past 160 characters is cut (a quoted fragment of a damaged file
/// could otherwise carry its content into a report).
fn one_line(detail: &str) -> String {
    const MAX: usize = 160;
    let mut out = String::with_capacity(detail.len().min(MAX + 3));
    for c in detail.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if out.chars().count() == MAX {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_beside_are_the_rows_read_in_line_through_recycled_batches() {
        let mut csv = String::from("Employee,Date,Start,End\n");
        for i in 0..3_000 {
            csv.push_str(&format!("Employee {i},01/05/2026,9:00 AM,5:00 PM\n"));
        }
        let content = Content::Bytes(csv.as_bytes());
        let opts = ReadOptions::default();
        let key = |r: &grid::Row| (r.index, r.cells.first().map(|c| c.to_string()));
        let mut in_line = Vec::new();
        stream_rows("s.csv", content, &opts, "", 1, &mut |r| {
            in_line.push(key(&r))
        })
        .unwrap();
        let mut beside = Vec::new();
        stream_rows_beside("s.csv", content, &opts, "", 1, &mut |r| beside.push(key(r))).unwrap();
        assert_eq!(in_line.len(), 3_000);
        assert_eq!(beside, in_line);
    }

    #[test]
    fn a_refill_is_an_empty_spent_batch_and_frees_the_other_spent_ones() {
        let (tx, rx) = std::sync::mpsc::channel();
        let row = || grid::Row::trimmed(0, vec![grid::Cell::Text("x".into())]).unwrap();
        for _ in 0..3 {
            let mut spent = Vec::with_capacity(ROWS_PER_BATCH);
            spent.push(row());
            tx.send(spent).unwrap();
        }
        let batch = refill(&rx);
        assert!(batch.is_empty());
        assert!(batch.capacity() >= ROWS_PER_BATCH);
        assert!(rx.try_recv().is_err(), "every spent batch was taken");
        let fresh = refill(&rx);
        assert!(fresh.is_empty() && fresh.capacity() >= ROWS_PER_BATCH);
    }

    #[test]
    fn a_damaged_files_reason_is_one_short_line() {
        let e = ReadError::Damaged {
            file: "f.ods".into(),
            format: "ods".into(),
            detail: format!("close tag `</\n<x>` {}", "y".repeat(400)),
        };
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(
            msg.starts_with("f.ods: the ods file is damaged (close tag `</ <x>` y"),
            "{msg}"
        );
        assert!(msg.chars().count() < 220, "{msg}");
    }

    #[test]
    fn empty_file_names_the_file() {
        let err = read_bytes("schedule.xlsx", b"", &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "schedule.xlsx: the file is empty");
    }

    #[test]
    fn image_is_refused_by_content() {
        let err = read_bytes(
            "week.xlsx",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "week.xlsx: not a spreadsheet, CSV or PDF (looks like a PNG image)"
        );
    }

    #[test]
    fn truncated_zip_is_damaged_xlsx() {
        let err = read_bytes(
            "week.xlsx",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("week.xlsx: the xlsx file is damaged ("),
            "{err}"
        );
    }

    #[test]
    fn size_limit_is_checked_first() {
        let mut opts = ReadOptions::default();
        opts.limits.max_file_bytes = 3;
        let err = read_bytes("a.csv", b"a,b,c\n", &opts).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { size: 6, .. }));
    }
}
