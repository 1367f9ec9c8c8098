//! How many cells calamine would allocate for an xls or ods workbook, measured from the raw
//! records before calamine opens it.
//!
//! calamine parses these formats whole when the workbook is opened, into one dense range per
//! sheet: for xls it reserves the area the `DIMENSIONS` record declares and then spans the
//! bounding box of the cell records; for ods it expands repeated rows and columns. A small
//! hostile file can make either enormous, so we measure both here (a cheap scan of the BIFF
//! records, or a streaming XML scan of `content.xml`) and refuse the file when any sheet's area,
//! summed over sheets, passes [`ReadLimits::max_cells`].
//!
//! The ODS scan also collects merged ranges (`table:number-columns-spanned` /
//! `number-rows-spanned`), which calamine does not expose.

use super::{ReadError, ReadLimits};
use calamine::Dimensions;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

/// Check an xls workbook's declared and used extent against the cell limit; returns each
/// sheet's hidden rows (`ROW` records with `fDyZero`) by sheet name.
pub fn check_xls(
    file: &str,
    bytes: &[u8],
    limits: &ReadLimits,
) -> Result<HashMap<String, Vec<u32>>, ReadError> {
    let stream = workbook_stream(file, bytes)?;
    let mut scan = XlsScan::new(file, limits);
    let mut pos = 0usize;
    while pos + 4 <= stream.len() {
        let at = pos;
        let typ = u16::from_le_bytes([stream[pos], stream[pos + 1]]);
        let len = u16::from_le_bytes([stream[pos + 2], stream[pos + 3]]) as usize;
        let data = &stream[pos + 4..(pos + 4 + len).min(stream.len())];
        pos += 4 + len;
        scan.record(at, typ, data)?;
    }
    Ok(scan.hidden_rows())
}

/// The bytes of an xls file's workbook stream (`Workbook`, or `Book` in BIFF5), read up to
/// twice the file's size.
fn workbook_stream(file: &str, bytes: &[u8]) -> Result<Vec<u8>, ReadError> {
    let damaged = |detail: String| ReadError::Damaged {
        file: file.to_owned(),
        format: "xls".into(),
        detail,
    };
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| damaged(e.to_string()))?;
    let path = cf
        .walk()
        .find(|e| {
            e.is_stream()
                && (e.name().eq_ignore_ascii_case("Workbook")
                    || e.name().eq_ignore_ascii_case("Book"))
        })
        .map(|e| e.path().to_owned())
        .ok_or_else(|| damaged("no workbook stream".into()))?;
    let mut stream = Vec::new();
    cf.open_stream(&path)
        .and_then(|mut s| {
            s.by_ref()
                .take(bytes.len() as u64 * 2)
                .read_to_end(&mut stream)
        })
        .map_err(|e| damaged(e.to_string()))?;
    Ok(stream)
}

/// The BIFF version of an xls workbook stream (the first BOF record says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Biff {
    /// BIFF5 (Excel 95): sheet names in bytes.
    V5,
    /// BIFF8 (Excel 97 and later): sheet names compressed or UTF-16LE.
    V8,
}

/// A scan of the BIFF records of an xls workbook stream, in order.
struct XlsScan<'a> {
    file: &'a str,
    max_cells: usize,
    /// Cells of the sheets ended so far.
    total: u64,
    sheet_no: usize,
    /// Substream nesting: 1 inside the globals or a sheet, 2 inside a chart in a sheet.
    depth: usize,
    area: SheetArea,
    biff: Biff,
    /// Sheet names by the stream offset of their BOF (from BOUNDSHEET records).
    names: HashMap<usize, String>,
    sheet_name: Option<String>,
    hidden: HashMap<String, Vec<u32>>,
}

impl<'a> XlsScan<'a> {
    /// A scan at the start of the stream.
    fn new(file: &'a str, limits: &ReadLimits) -> Self {
        XlsScan {
            file,
            max_cells: limits.max_cells,
            total: 0,
            sheet_no: 0,
            depth: 0,
            area: SheetArea::default(),
            biff: Biff::V8,
            names: HashMap::new(),
            sheet_name: None,
            hidden: HashMap::new(),
        }
    }

    /// Take one record (`at` is its offset in the stream); an error once the cells pass the
    /// limit.
    fn record(&mut self, at: usize, typ: u16, data: &[u8]) -> Result<(), ReadError> {
        match typ {
            // BOF: a new substream (the globals, a sheet, a chart inside a sheet).
            0x0809 | 0x0409 | 0x0209 | 0x0009 => self.bof(at, data),
            // BOUNDSHEET (in the globals): where each sheet starts, and its name.
            0x0085 if self.depth == 1 && data.len() >= 8 => {
                let offset = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
                if let Some(name) = boundsheet_name(&data[6..], self.biff) {
                    self.names.insert(offset, name);
                }
            }
            // ROW: fDyZero (0x20 in grbit) marks a hidden row.
            0x0208 if self.depth == 1 && data.len() >= 14 => {
                let row = u16::from_le_bytes([data[0], data[1]]) as u32;
                let grbit = u16::from_le_bytes([data[12], data[13]]);
                if grbit & 0x0020 != 0
                    && let Some(name) = &self.sheet_name
                {
                    self.hidden.entry(name.clone()).or_default().push(row);
                }
            }
            // EOF
            0x000A => return self.eof(),
            _ if self.depth != 1 => {}
            _ => self.extent(typ, data),
        }
        Ok(())
    }

    /// A BOF record: a sheet (or the globals) starts at depth 1; the first says the version.
    fn bof(&mut self, at: usize, data: &[u8]) {
        self.depth += 1;
        if self.depth == 1 {
            self.area = SheetArea::default();
            self.sheet_name = self.names.get(&at).cloned();
            if data.len() >= 2 && self.sheet_no == 0 && self.names.is_empty() {
                self.biff = if u16::from_le_bytes([data[0], data[1]]) >= 0x0600 {
                    Biff::V8
                } else {
                    Biff::V5
                };
            }
        }
    }

    /// An EOF record: a sheet that ends adds its area to the total, which must stay within
    /// the limit.
    fn eof(&mut self) -> Result<(), ReadError> {
        if self.depth == 1 {
            self.total = self.total.saturating_add(self.area.cells());
            if self.total > self.max_cells as u64 {
                return Err(ReadError::TooManyCells {
                    file: self.file.to_owned(),
                    sheet: self
                        .sheet_name
                        .clone()
                        .unwrap_or_else(|| format!("sheet {}", self.sheet_no + 1)),
                    limit: self.max_cells,
                });
            }
            self.sheet_no += 1;
        }
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    /// A record of a sheet (depth 1) that declares or uses cells.
    fn extent(&mut self, typ: u16, data: &[u8]) {
        let area = &mut self.area;
        match typ {
            // DIMENSIONS: calamine reserves this area up front.
            0x0200 => {
                if let Some(declared) = declared_area(data) {
                    area.declared = area.declared.max(declared);
                }
            }
            // Cell records: row and column lead the record.
            0x0006 | 0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD if data.len() >= 4 => {
                let row = u16::from_le_bytes([data[0], data[1]]) as u32;
                let col = u16::from_le_bytes([data[2], data[3]]) as u32;
                area.add(row, col);
            }
            // MULRK: row, first column, …, last column.
            0x00BD if data.len() >= 6 => {
                let row = u16::from_le_bytes([data[0], data[1]]) as u32;
                let first = u16::from_le_bytes([data[2], data[3]]) as u32;
                let n = data.len();
                let last = u16::from_le_bytes([data[n - 2], data[n - 1]]) as u32;
                area.add(row, first);
                area.add(row, last.max(first));
            }
            _ => {}
        }
    }

    /// Each sheet's hidden rows, ascending and without repeats.
    fn hidden_rows(mut self) -> HashMap<String, Vec<u32>> {
        for rows in self.hidden.values_mut() {
            rows.sort_unstable();
            rows.dedup();
        }
        self.hidden
    }
}

/// The area a DIMENSIONS record declares (BIFF8 32-bit rows, BIFF5 16-bit); none when the
/// record is too short.
fn declared_area(data: &[u8]) -> Option<u64> {
    let (r0, r1, c0, c1) = if data.len() >= 14 {
        (
            u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as u64,
            u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as u64,
            u16::from_le_bytes([data[8], data[9]]) as u64,
            u16::from_le_bytes([data[10], data[11]]) as u64,
        )
    } else if data.len() >= 8 {
        (
            u16::from_le_bytes([data[0], data[1]]) as u64,
            u16::from_le_bytes([data[2], data[3]]) as u64,
            u16::from_le_bytes([data[4], data[5]]) as u64,
            u16::from_le_bytes([data[6], data[7]]) as u64,
        )
    } else {
        return None;
    };
    Some(r1.saturating_sub(r0).saturating_mul(c1.saturating_sub(c0)))
}

/// A BOUNDSHEET name: BIFF8 `cch, flags, chars` (compressed Latin-1 or UTF-16LE), BIFF5
/// `cch, bytes` (read as Latin-1; the workbook code page is not applied).
fn boundsheet_name(d: &[u8], biff: Biff) -> Option<String> {
    let cch = *d.first()? as usize;
    if biff == Biff::V8 {
        let high = d.get(1)? & 1 == 1;
        let chars = &d[2..];
        if high {
            let units: Vec<u16> = chars
                .chunks_exact(2)
                .take(cch)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        } else {
            Some(chars.iter().take(cch).map(|&b| b as char).collect())
        }
    } else {
        Some(d[1..].iter().take(cch).map(|&b| b as char).collect())
    }
}

/// The declared and the used area of one xls sheet.
#[derive(Default)]
struct SheetArea {
    declared: u64,
    bbox: Option<(u32, u32, u32, u32)>,
}

impl SheetArea {
    fn add(&mut self, row: u32, col: u32) {
        self.bbox = Some(match self.bbox {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn cells(&self) -> u64 {
        let used = self.bbox.map_or(0, |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
        });
        used.max(self.declared)
    }
}

/// Merged ranges and hidden rows of each ODS table, by table name.
#[derive(Debug, Default)]
pub struct OdsLayout {
    pub merges: HashMap<String, Vec<Dimensions>>,
    /// Zero-based, ascending, clipped to the rows that hold values.
    pub hidden_rows: HashMap<String, Vec<u32>>,
}

/// Check an ods workbook's expanded extent against the cell limit; returns what calamine does
/// not report (merged ranges, hidden rows).
pub fn check_ods(file: &str, bytes: &[u8], limits: &ReadLimits) -> Result<OdsLayout, ReadError> {
    let damaged = |detail: String| ReadError::Damaged {
        file: file.to_owned(),
        format: "ods".into(),
        detail,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| damaged(e.to_string()))?;
    let content = zip
        .by_name(
            &super::sniff::member_name(&zip, "content.xml").unwrap_or_else(|| "content.xml".into()),
        )
        .map_err(|e| damaged(format!("content.xml: {e}")))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content));
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut scan = OdsScan::new(file, limits);
    loop {
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| damaged(format!("content.xml: {e}")))?;
        match &event {
            Event::Start(e) => scan.start(e, Tag::Open)?,
            Event::Empty(e) => scan.start(e, Tag::SelfClosing)?,
            Event::End(e) => scan.end(e)?,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(OdsLayout {
        merges: scan.merges,
        hidden_rows: scan.hidden_rows,
    })
}

/// Whether an XML start tag has content and an end tag (`<x>…</x>`) or closes itself (`<x/>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Open,
    SelfClosing,
}

/// A streaming scan of an ods `content.xml`: the extent of each table, its merges and hidden
/// rows.
struct OdsScan<'a> {
    file: &'a str,
    max_cells: usize,
    merges: HashMap<String, Vec<Dimensions>>,
    hidden_rows: HashMap<String, Vec<u32>>,
    /// Hidden row spans (first, count) of the current table, clipped when the table ends.
    hidden_spans: Vec<(u64, u64)>,
    /// Cells of the tables ended so far.
    total: u64,
    table: String,
    in_table: bool,
    /// Position and extent within the current table.
    row: u64,
    col: u64,
    row_repeat: u64,
    max_row: u64,
    max_col: u64,
    has_cells: bool,
}

impl<'a> OdsScan<'a> {
    /// A scan before the first table.
    fn new(file: &'a str, limits: &ReadLimits) -> Self {
        OdsScan {
            file,
            max_cells: limits.max_cells,
            merges: HashMap::new(),
            hidden_rows: HashMap::new(),
            hidden_spans: Vec::new(),
            total: 0,
            table: String::new(),
            in_table: false,
            row: 0,
            col: 0,
            row_repeat: 1,
            max_row: 0,
            max_col: 0,
            has_cells: false,
        }
    }

    /// A start tag (or a self-closing one); an error once the cells pass the limit.
    fn start(&mut self, e: &BytesStart<'_>, tag: Tag) -> Result<(), ReadError> {
        match e.local_name().as_ref() {
            "table" => {
                self.in_table = true;
                self.table = attr(e, "name").unwrap_or_default();
                (self.row, self.col) = (0, 0);
                (self.max_row, self.max_col) = (0, 0);
                self.has_cells = false;
                self.hidden_spans.clear();
            }
            "table-row" => {
                self.row_repeat = attr_u64(e, "number-rows-repeated").unwrap_or(1).max(1);
                self.col = 0;
                if attr(e, "visibility").is_some_and(|v| v == "collapse" || v == "filter") {
                    self.hidden_spans.push((self.row, self.row_repeat));
                }
                if tag == Tag::SelfClosing {
                    self.row = self.row.saturating_add(self.row_repeat);
                }
            }
            name @ ("table-cell" | "covered-table-cell") => {
                let repeat = attr_u64(e, "number-columns-repeated").unwrap_or(1).max(1);
                let valued = tag == Tag::Open || attr(e, "value-type").is_some();
                if valued && self.in_table {
                    self.valued_cells(repeat)?;
                }
                if name == "table-cell" {
                    self.merge(e);
                }
                self.col = self.col.saturating_add(repeat);
            }
            _ => {}
        }
        Ok(())
    }

    /// `repeat` cells with a value at the current position: they extend the table, checked
    /// as we go so a single enormous repeat stops the scan at once.
    fn valued_cells(&mut self, repeat: u64) -> Result<(), ReadError> {
        self.has_cells = true;
        self.max_row = self
            .max_row
            .max(self.row.saturating_add(self.row_repeat - 1));
        self.max_col = self.max_col.max(self.col.saturating_add(repeat - 1));
        let so_far = self.total.saturating_add(self.table_cells());
        if so_far > self.max_cells as u64 {
            return Err(self.too_many_cells());
        }
        Ok(())
    }

    /// Record the merged range a `table-cell` spans at the current position, if any.
    fn merge(&mut self, e: &BytesStart<'_>) {
        let (row, col) = (self.row, self.col);
        let cols = attr_u64(e, "number-columns-spanned").unwrap_or(1);
        let rows = attr_u64(e, "number-rows-spanned").unwrap_or(1);
        if (cols > 1 || rows > 1) && row <= u32::MAX as u64 && col <= u32::MAX as u64 {
            let end_row = row.saturating_add(rows.max(1) - 1).min(u32::MAX as u64);
            let end_col = col.saturating_add(cols.max(1) - 1).min(u32::MAX as u64);
            self.merges
                .entry(self.table.clone())
                .or_default()
                .push(Dimensions::new(
                    (row as u32, col as u32),
                    (end_row as u32, end_col as u32),
                ));
        }
    }

    /// An end tag: a row moves down; a table adds its hidden rows and its area to the total,
    /// which must stay within the limit.
    fn end(&mut self, e: &BytesEnd<'_>) -> Result<(), ReadError> {
        match e.local_name().as_ref() {
            "table-row" => self.row = self.row.saturating_add(self.row_repeat),
            "table" if self.in_table => {
                self.in_table = false;
                if self.has_cells {
                    self.keep_hidden_rows();
                    self.total = self.total.saturating_add(self.table_cells());
                }
                if self.total > self.max_cells as u64 {
                    return Err(self.too_many_cells());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Keep the current table's hidden rows, clipped to the rows that hold values.
    fn keep_hidden_rows(&mut self) {
        let max_row = self.max_row;
        let rows: Vec<u32> = self
            .hidden_spans
            .drain(..)
            .flat_map(|(first, n)| first..first.saturating_add(n).min(max_row + 1))
            .filter_map(|r| u32::try_from(r).ok())
            .collect();
        if !rows.is_empty() {
            self.hidden_rows.insert(self.table.clone(), rows);
        }
    }

    /// The area of the current table so far.
    fn table_cells(&self) -> u64 {
        (self.max_row.saturating_add(1)).saturating_mul(self.max_col.saturating_add(1))
    }

    /// The error for passing the cell limit in the current table.
    fn too_many_cells(&self) -> ReadError {
        ReadError::TooManyCells {
            file: self.file.to_owned(),
            sheet: self.table.clone(),
            limit: self.max_cells,
        }
    }
}

/// An attribute by local name, unescaped.
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn attr_u64(e: &BytesStart<'_>, local: &str) -> Option<u64> {
    attr(e, local)?.trim().parse().ok()
}
