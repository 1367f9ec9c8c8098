//! CSV and other delimited text: decode, sniff the delimiter, read every field as text.
//!
//! Decoding: a BOM decides (UTF-8, UTF-16 LE/BE); without one, valid UTF-8 is UTF-8 and
//! anything else is Windows-1252 (what Excel on Windows writes for "CSV"). The delimiter is
//! the one among `,` `;` tab `|` whose first records have the most consistent column count
//! (quotes respected, so a quoted `;` or newline does not count). Every field becomes
//! [`Cell::Text`] exactly as written (typed interpretation is extraction's job); an empty field
//! is [`Cell::Empty`]. The one sheet is named after the file's stem.
//!
//! The text is streamed: decoded in chunks and split field by field with `csv-core` (the
//! state machine under the `csv` crate), so memory is the grid being built (and the input
//! when it is in memory: a large file is read in chunks where it lies, [`Content::File`]).
//! Each field is refused as soon as it passes [`ReadLimits::max_cell_bytes`], and the file as
//! soon as its fields pass [`ReadLimits::max_cells`]; nothing waits for a whole record.

use super::content::{Content, ContentReader};
use super::grid::{Cell, Grid, Row, Sheet, SourceFormat};
use super::{ReadError, ReadLimits};
use encoding_rs::Encoding;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;

/// Delimiters we try, in order of preference when they score the same.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Records examined when sniffing the delimiter.
const SNIFF_RECORDS: usize = 50;
/// Bytes examined when sniffing the delimiter.
const SNIFF_BYTES: usize = 64 * 1024;
/// Most fields in one record: the columns of a spreadsheet (`XFD`).
pub const MAX_FIELDS: usize = 16_384;
/// Decoded bytes handed to the field splitter at a time.
const CHUNK: usize = 64 * 1024;

/// Read delimited text into a one-sheet grid named `sheet_name`; with `head`, only records
/// `0..head` are kept and the sheet is marked [`Sheet::rows_beyond`] when more follow.
pub fn read_csv(
    file: &str,
    sheet_name: &str,
    content: Content<'_>,
    limits: &ReadLimits,
    head: Option<u32>,
) -> Result<Grid, ReadError> {
    let mut sheet = Sheet::new(sheet_name);
    scan(file, sheet_name, content, limits, |index, cells| {
        if head.is_some_and(|h| index >= h) {
            sheet.rows_beyond = true;
            return ControlFlow::Break(());
        }
        sheet.push_row(index, cells);
        ControlFlow::Continue(())
    })?;
    let mut grid = Grid::new(SourceFormat::Csv);
    grid.sheets.push(sheet);
    Ok(grid)
}

/// Read the records from index `from` on into `each`, one at a time, holding none: the rest
/// of a file [`read_csv`] read the head of. They do not count against `max_cells` (nothing is
/// kept); every other limit applies.
pub fn stream_csv(
    file: &str,
    content: Content<'_>,
    limits: &ReadLimits,
    from: u32,
    each: &mut dyn FnMut(Row),
) -> Result<(), ReadError> {
    let unheld = ReadLimits {
        max_cells: usize::MAX,
        ..limits.clone()
    };
    scan(file, "", content, &unheld, |index, cells| {
        if index >= from
            && let Some(row) = Row::trimmed(index, cells)
        {
            each(row);
        }
        ControlFlow::Continue(())
    })
}

/// Split the text into records and hand each one (its index and cells) to `record`, which
/// may stop the scan.
fn scan(
    file: &str,
    sheet_name: &str,
    content: Content<'_>,
    limits: &ReadLimits,
    mut record: impl FnMut(u32, Vec<Cell>) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let io = |error| ReadError::Io {
        file: file.to_owned(),
        error,
    };
    let source = Source::of(content).map_err(io)?;
    let delimiter = sniff_delimiter(&source.sample(SNIFF_BYTES).map_err(io)?);
    let mut reader = splitter(delimiter);
    let mut fields = Fields::new(file, sheet_name, limits);
    let mut chunks = source.chunks().map_err(io)?;
    let mut input: &[u8] = &[];
    let mut field: Vec<u8> = vec![0; 1024.min(limits.max_cell_bytes.saturating_add(1))];
    let mut len = 0usize;
    loop {
        if input.is_empty() {
            input = chunks.next_chunk().map_err(io)?;
        }
        let (result, nin, nout) = reader.read_field(input, &mut field[len..]);
        input = &input[nin..];
        len += nout;
        match result {
            csv_core::ReadFieldResult::InputEmpty => {}
            csv_core::ReadFieldResult::OutputFull => {
                // The buffer holds at most one byte more than the limit allows.
                if field.len() > limits.max_cell_bytes {
                    return Err(fields.too_long());
                }
                let grown = (field.len() * 2).min(limits.max_cell_bytes.saturating_add(1));
                field.resize(grown, 0);
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                if len > limits.max_cell_bytes {
                    return Err(fields.too_long());
                }
                fields.push(&field[..len])?;
                len = 0;
                if record_end {
                    let (index, cells) = fields.end_record();
                    if record(index, cells).is_break() {
                        return Ok(());
                    }
                }
            }
            csv_core::ReadFieldResult::End => return Ok(()),
        }
    }
}

/// The fields of the record being read, with the file's cell budget.
struct Fields<'a> {
    file: &'a str,
    sheet: &'a str,
    limits: &'a ReadLimits,
    cells: Vec<Cell>,
    seen: usize,
    /// Zero-based index of the record being read (blank lines are not records).
    index: u32,
}

impl<'a> Fields<'a> {
    fn new(file: &'a str, sheet: &'a str, limits: &'a ReadLimits) -> Self {
        Fields {
            file,
            sheet,
            limits,
            cells: Vec::new(),
            seen: 0,
            index: 0,
        }
    }

    /// Add one field, failing once the file holds more cells than the limit.
    fn push(&mut self, field: &[u8]) -> Result<(), ReadError> {
        self.seen += 1;
        if self.seen > self.limits.max_cells {
            return Err(ReadError::TooManyCells {
                file: self.file.to_owned(),
                sheet: self.sheet.to_owned(),
                limit: self.limits.max_cells,
            });
        }
        if self.cells.len() >= MAX_FIELDS {
            return Err(ReadError::TooWide {
                file: self.file.to_owned(),
                row: u64::from(self.index) + 1,
                limit: MAX_FIELDS,
            });
        }
        self.cells.push(if field.is_empty() {
            Cell::Empty
        } else {
            // The text is UTF-8 (decoded if it was not) and fields split only on ASCII bytes.
            Cell::Text(String::from_utf8_lossy(field).into_owned())
        });
        Ok(())
    }

    /// The record just ended: its index and cells.
    fn end_record(&mut self) -> (u32, Vec<Cell>) {
        let index = self.index;
        self.index = self.index.saturating_add(1);
        (index, std::mem::take(&mut self.cells))
    }

    fn too_long(&self) -> ReadError {
        ReadError::ValueTooLong {
            file: self.file.to_owned(),
            place: format!("row {}", u64::from(self.index) + 1),
            limit: self.limits.max_cell_bytes,
        }
    }
}

/// A text file's content and how it decodes to UTF-8.
struct Source<'a> {
    content: Content<'a>,
    /// Where the text starts (past a BOM).
    start: u64,
    /// `None`: valid UTF-8, handed on as it is; else decoded on the fly (UTF-16 with a BOM,
    /// else Windows-1252).
    encoding: Option<&'static Encoding>,
}

impl<'a> Source<'a> {
    /// BOM first, then UTF-8, then Windows-1252.
    fn of(content: Content<'a>) -> io::Result<Self> {
        let head = content.head(4)?;
        let (encoding, bom) = Encoding::for_bom(&head).unwrap_or((encoding_rs::WINDOWS_1252, 0));
        let start = bom as u64;
        let may_be_utf8 = encoding == encoding_rs::UTF_8 || encoding == encoding_rs::WINDOWS_1252;
        let encoding = if may_be_utf8 && is_utf8(content, start)? {
            None
        } else {
            Some(encoding)
        };
        Ok(Source {
            content,
            start,
            encoding,
        })
    }

    fn chunks(&self) -> io::Result<Chunks<'a>> {
        let mut reader = self.content.reader();
        reader.seek(SeekFrom::Start(self.start))?;
        Ok(Chunks {
            raw: Raw {
                reader,
                buf: vec![0; CHUNK],
                at: 0,
                end: 0,
                eof: false,
            },
            decoder: self
                .encoding
                .map(|e| (e.new_decoder_without_bom_handling(), vec![0; CHUNK])),
            done: false,
        })
    }

    /// About the first `max` decoded bytes, cut at a character boundary.
    fn sample(&self, max: usize) -> io::Result<String> {
        let mut chunks = self.chunks()?;
        let mut out = Vec::with_capacity(max + CHUNK);
        while out.len() < max {
            let chunk = chunks.next_chunk()?;
            if chunk.is_empty() {
                break;
            }
            out.extend_from_slice(chunk);
        }
        let mut cut = out.len().min(max);
        while cut > 0 && cut < out.len() && (out[cut] & 0xC0) == 0x80 {
            cut -= 1;
        }
        out.truncate(cut);
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Whether the content from `start` on is valid UTF-8 (a file is checked in chunks, a
/// character cut by a chunk's end carried into the next).
fn is_utf8(content: Content<'_>, start: u64) -> io::Result<bool> {
    if let Content::Bytes(bytes) = content {
        return Ok(std::str::from_utf8(&bytes[start as usize..]).is_ok());
    }
    let mut reader = content.reader();
    reader.seek(SeekFrom::Start(start))?;
    let mut buf = vec![0; CHUNK + 4];
    let mut carried = 0;
    loop {
        let n = reader.read(&mut buf[carried..carried + CHUNK])?;
        let filled = carried + n;
        match std::str::from_utf8(&buf[..filled]) {
            Ok(_) if n == 0 => return Ok(true),
            Ok(_) => carried = 0,
            // A character cut at the end: keep its first bytes for the next read.
            Err(e) if e.error_len().is_none() && n > 0 => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(_) => return Ok(false),
        }
    }
}

/// Decoded UTF-8 in chunks of at most [`CHUNK`] bytes; an empty chunk means the end.
struct Chunks<'a> {
    raw: Raw<'a>,
    /// The decoder and its output buffer, when the text is not UTF-8.
    decoder: Option<(encoding_rs::Decoder, Vec<u8>)>,
    done: bool,
}

/// The raw bytes read and not handed on yet: `buf[at..end]`.
struct Raw<'a> {
    reader: ContentReader<'a>,
    buf: Vec<u8>,
    at: usize,
    end: usize,
    eof: bool,
}

impl Raw<'_> {
    /// Read the next bytes once the last ones are handed on.
    fn refill(&mut self) -> io::Result<()> {
        if self.at == self.end && !self.eof {
            self.end = self.reader.read(&mut self.buf)?;
            self.at = 0;
            self.eof = self.end == 0;
        }
        Ok(())
    }
}

impl Chunks<'_> {
    fn next_chunk(&mut self) -> io::Result<&[u8]> {
        let raw = &mut self.raw;
        let Some((decoder, out)) = &mut self.decoder else {
            raw.refill()?;
            let chunk = &raw.buf[raw.at..raw.end];
            raw.at = raw.end;
            return Ok(chunk);
        };
        // An empty chunk ends the text, so read on until the decoder writes something (a
        // chunk may end inside a character) or is done.
        loop {
            if self.done {
                return Ok(&[]);
            }
            raw.refill()?;
            // With `last`, InputEmpty means everything is out: the decoder may not be used
            // again.
            let (result, read, written, _) =
                decoder.decode_to_utf8(&raw.buf[raw.at..raw.end], out, raw.eof);
            raw.at += read;
            self.done = raw.eof && result == encoding_rs::CoderResult::InputEmpty;
            if written > 0 {
                return Ok(&out[..written]);
            }
        }
    }
}

/// The delimiter whose first records agree best on a column count above one.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut cut = text.len().min(SNIFF_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let sample = &text.as_bytes()[..cut];
    let mut best = (b',', 0.0f64, 0usize);
    for &d in &DELIMITERS {
        let (score, columns) = consistency(sample, d);
        if score > best.1 || (score == best.1 && columns > best.2 && score > 0.0) {
            best = (d, score, columns);
        }
    }
    best.0
}

/// A field splitter for one delimiter, given back to its thread's spares when dropped.
/// Building one compiles its state machine (tens of microseconds: five builds a file were 8 %
/// of a one-shift job's CPU in the worker), and csv-core's readers cannot be copied (their
/// `Clone` keeps only part of the machine), so a built one is reset and used again.
struct Splitter {
    delimiter: u8,
    reader: Option<csv_core::Reader>,
}

thread_local! {
    /// Built splitters not in use, with their delimiters.
    static SPARE_SPLITTERS: std::cell::RefCell<Vec<(u8, csv_core::Reader)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A field splitter for `delimiter`: a spare one of this thread, or a new one.
fn splitter(delimiter: u8) -> Splitter {
    let spare = SPARE_SPLITTERS.with_borrow_mut(|spares| {
        let i = spares.iter().position(|(d, _)| *d == delimiter)?;
        Some(spares.swap_remove(i).1)
    });
    let reader =
        spare.unwrap_or_else(|| csv_core::ReaderBuilder::new().delimiter(delimiter).build());
    Splitter {
        delimiter,
        reader: Some(reader),
    }
}

impl Splitter {
    fn read_field(
        &mut self,
        input: &[u8],
        output: &mut [u8],
    ) -> (csv_core::ReadFieldResult, usize, usize) {
        self.reader
            .as_mut()
            .expect("a splitter holds its reader until dropped")
            .read_field(input, output)
    }
}

impl Drop for Splitter {
    fn drop(&mut self) {
        if let Some(mut reader) = self.reader.take() {
            reader.reset();
            SPARE_SPLITTERS.with_borrow_mut(|spares| {
                if spares.len() < 2 * DELIMITERS.len() {
                    spares.push((self.delimiter, reader));
                }
            });
        }
    }
}

/// How consistently `delimiter` splits the sample: the share of records that have the most
/// common field count (0 when that count is 1), and that count.
fn consistency(sample: &[u8], delimiter: u8) -> (f64, usize) {
    let mut counts = field_counts(sample, delimiter);
    if counts.is_empty() {
        return (0.0, 0);
    }
    // The last sampled record may be cut off by the sample window.
    if counts.len() > 2 && sample.len() == SNIFF_BYTES {
        counts.pop();
    }
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let (mut mode, mut mode_n, mut i) = (0, 0, 0);
    while i < sorted.len() {
        let j = sorted[i..].iter().take_while(|&&c| c == sorted[i]).count();
        // Prefer the wider count on a tie: title lines are usually the narrow ones.
        if j >= mode_n {
            mode = sorted[i];
            mode_n = j;
        }
        i += j;
    }
    if mode <= 1 {
        return (0.0, mode);
    }
    // Only records of exactly the mode's width agree; titles and notes lines do not.
    let agreeing = counts.iter().filter(|&&c| c == mode).count();
    (agreeing as f64 / counts.len() as f64, mode)
}

/// The field count of each of the sample's first [`SNIFF_RECORDS`] records (quotes respected),
/// blank records left out: they say nothing about the delimiter.
fn field_counts(sample: &[u8], delimiter: u8) -> Vec<usize> {
    let mut reader = splitter(delimiter);
    // The fields' text is not needed, only where they end.
    let mut scratch = [0u8; 1024];
    let mut input = sample;
    let mut counts = Vec::new();
    let (mut fields, mut bytes) = (0usize, 0usize);
    while counts.len() < SNIFF_RECORDS {
        // Once the sample is used up, the empty input tells the splitter it has ended.
        let (result, nin, nout) = reader.read_field(input, &mut scratch);
        input = &input[nin..];
        bytes += nout;
        match result {
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
            csv_core::ReadFieldResult::Field { record_end } => {
                fields += 1;
                if record_end {
                    if !(fields == 1 && bytes == 0) {
                        counts.push(fields);
                    }
                    (fields, bytes) = (0, 0);
                }
            }
            csv_core::ReadFieldResult::End => break,
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Grid {
        read_csv(
            "t.csv",
            "t",
            Content::Bytes(bytes),
            &ReadLimits::default(),
            None,
        )
        .unwrap()
    }

    /// Read from an open file in chunks, the text reads as from its bytes, in UTF-8 (with a
    /// character cut by the first chunk's end), Windows-1252 and UTF-16.
    #[test]
    fn a_file_read_in_chunks_reads_like_its_bytes() {
        use std::io::Write;
        let header = "Store,Employee,Note\n";
        let mut text = String::from(header);
        // `ë` starts at the last byte of the first chunk.
        text.push_str(&format!(
            "1042,{},ë\n",
            "x".repeat(CHUNK - 7 - header.len())
        ));
        assert_eq!(text.find('ë'), Some(CHUNK - 1));
        for i in 0..4000 {
            text.push_str(&format!("1042,Zoë Müller {i},café ½ — ok\n"));
        }
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let cp1252 = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
        // A stray last byte: half a UTF-16 unit, decoded at the end as the bytes are.
        let odd: Vec<u8> = utf16.iter().copied().chain([b'A']).collect();
        for bytes in [text.as_bytes().to_vec(), cp1252, utf16, odd] {
            let mut f = tempfile::tempfile().unwrap();
            f.write_all(&bytes).unwrap();
            let content = Content::File {
                file: &f,
                len: bytes.len() as u64,
            };
            let grid = read_csv("t.csv", "t", content, &ReadLimits::default(), None).unwrap();
            let shown = format!("{grid:?}");
            assert_eq!(shown, format!("{:?}", read(&bytes)));
            assert!(shown.contains("Zoë Müller 3999") && shown.contains("café ½ — ok"));
        }
    }

    #[test]
    fn semicolon_with_quoted_newline_and_comma() {
        let g = read(b"Name;Date;Shift\n\"Doe, J\";11/24/2025;\"9a-5p\nlate\"\nX;Y;Z\n");
        let s = &g.sheets[0];
        assert_eq!(&*s.name, "t");
        assert_eq!(s.row_count(), 3);
        assert_eq!(s.get(1, 0), &Cell::Text("Doe, J".into()));
        assert_eq!(s.get(1, 2), &Cell::Text("9a-5p\nlate".into()));
        assert_eq!(s.get(2, 2), &Cell::Text("Z".into()));
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2,5|3\n"), b'|');
        assert_eq!(sniff_delimiter("a,b;c\n1,2;3\n4,5;6\n"), b',');
        assert_eq!(sniff_delimiter("Week of 11/24\na;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("just one column\nvalue\n"), b',');
    }

    /// Splitters are used again on their thread: one left inside a quoted field by a file
    /// that ended there splits the next file as a new one would.
    #[test]
    fn a_splitter_used_again_starts_afresh() {
        let fresh = read(b"a,b\n1,\"2\"\n");
        for _ in 0..3 {
            let cut = read(b"x,y\n1,\"open quote, never closed\n2,3");
            assert_eq!(cut.sheets[0].row_count(), 2);
            assert_eq!(read(b"a,b\n1,\"2\"\n"), fresh);
        }
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
    }

    #[test]
    fn encodings() {
        // UTF-8 with BOM.
        let g = read("\u{feff}Név,Zoë\n".as_bytes());
        assert_eq!(g.sheets[0].get(0, 0), &Cell::Text("Név".into()));
        // UTF-16 LE with BOM.
        let mut le = vec![0xFF, 0xFE];
        for u in "José,9-5\n".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let g = read(&le);
        assert_eq!(g.sheets[0].get(0, 0), &Cell::Text("José".into()));
        assert_eq!(g.sheets[0].get(0, 1), &Cell::Text("9-5".into()));
        // UTF-16 BE with BOM.
        let mut be = vec![0xFE, 0xFF];
        for u in "José;9-5\n".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(read(&be).sheets[0].get(0, 1), &Cell::Text("9-5".into()));
        // Windows-1252 (not valid UTF-8).
        let g = read(b"Jos\xe9,caf\xe9\x80\n");
        assert_eq!(g.sheets[0].get(0, 0), &Cell::Text("José".into()));
        assert_eq!(g.sheets[0].get(0, 1), &Cell::Text("café€".into()));
    }

    #[test]
    fn spaces_are_kept_and_empty_fields_are_empty() {
        let g = read(b" a ,,b\n");
        let s = &g.sheets[0];
        assert_eq!(s.get(0, 0), &Cell::Text(" a ".into()));
        assert_eq!(s.get(0, 1), &Cell::Empty);
        assert_eq!(s.get(0, 2), &Cell::Text("b".into()));
    }

    #[test]
    fn cell_limit_is_enforced() {
        let limits = ReadLimits {
            max_cells: 5,
            ..ReadLimits::default()
        };
        let err = read_csv(
            "big.csv",
            "big",
            Content::Bytes(b"a,b,c\nd,e,f\n"),
            &limits,
            None,
        )
        .unwrap_err();
        assert!(matches!(err, ReadError::TooManyCells { limit: 5, .. }));
    }
}
