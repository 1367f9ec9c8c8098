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
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

/// Check an xls workbook's declared and used extent against the cell limit; returns each
/// sheet's hidden rows (`ROW` records with `fDyZero`) by sheet name.
pub fn check_xls(
    file: &str,
    bytes: &[u8],
    limits: &ReadLimits,
) -> Result<HashMap<String, Vec<u32>>, ReadError> {
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

    let mut total: u64 = 0;
    let mut sheet_no = 0usize;
    let mut depth = 0usize;
    let mut area = SheetArea::default();
    let mut pos = 0usize;
    let mut biff8 = true;
    // Sheet names by the stream offset of their BOF (from BOUNDSHEET records).
    let mut names: HashMap<usize, String> = HashMap::new();
    let mut sheet_name: Option<String> = None;
    let mut hidden: HashMap<String, Vec<u32>> = HashMap::new();
    while pos + 4 <= stream.len() {
        let at = pos;
        let typ = u16::from_le_bytes([stream[pos], stream[pos + 1]]);
        let len = u16::from_le_bytes([stream[pos + 2], stream[pos + 3]]) as usize;
        let data = &stream[pos + 4..(pos + 4 + len).min(stream.len())];
        pos += 4 + len;
        match typ {
            // BOF: a new substream (the globals, a sheet, a chart inside a sheet).
            0x0809 | 0x0409 | 0x0209 | 0x0009 => {
                depth += 1;
                if depth == 1 {
                    area = SheetArea::default();
                    sheet_name = names.get(&at).cloned();
                    if data.len() >= 2 && sheet_no == 0 && names.is_empty() {
                        biff8 = u16::from_le_bytes([data[0], data[1]]) >= 0x0600;
                    }
                }
            }
            // BOUNDSHEET (in the globals): where each sheet starts, and its name.
            0x0085 if depth == 1 && data.len() >= 8 => {
                let offset = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
                if let Some(name) = boundsheet_name(&data[6..], biff8) {
                    names.insert(offset, name);
                }
            }
            // ROW: fDyZero (0x20 in grbit) marks a hidden row.
            0x0208 if depth == 1 && data.len() >= 14 => {
                let row = u16::from_le_bytes([data[0], data[1]]) as u32;
                let grbit = u16::from_le_bytes([data[12], data[13]]);
                if grbit & 0x0020 != 0
                    && let Some(name) = &sheet_name
                {
                    hidden.entry(name.clone()).or_default().push(row);
                }
            }
            // EOF
            0x000A => {
                if depth == 1 {
                    total = total.saturating_add(area.cells());
                    if total > limits.max_cells as u64 {
                        return Err(ReadError::TooManyCells {
                            file: file.to_owned(),
                            sheet: sheet_name
                                .clone()
                                .unwrap_or_else(|| format!("sheet {}", sheet_no + 1)),
                            limit: limits.max_cells,
                        });
                    }
                    sheet_no += 1;
                }
                depth = depth.saturating_sub(1);
            }
            _ if depth != 1 => {}
            // DIMENSIONS: calamine reserves this area up front.
            0x0200 => {
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
                    continue;
                };
                let declared = r1.saturating_sub(r0).saturating_mul(c1.saturating_sub(c0));
                area.declared = area.declared.max(declared);
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
    for rows in hidden.values_mut() {
        rows.sort_unstable();
        rows.dedup();
    }
    Ok(hidden)
}

/// A BOUNDSHEET name: BIFF8 `cch, flags, chars` (compressed Latin-1 or UTF-16LE), BIFF5
/// `cch, bytes` (read as Latin-1; the workbook code page is not applied).
fn boundsheet_name(d: &[u8], biff8: bool) -> Option<String> {
    let cch = *d.first()? as usize;
    if biff8 {
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
    let mut merges: HashMap<String, Vec<Dimensions>> = HashMap::new();
    let mut hidden_rows: HashMap<String, Vec<u32>> = HashMap::new();
    // Hidden row spans (first, count) of the current table, clipped when the table ends.
    let mut hidden_spans: Vec<(u64, u64)> = Vec::new();
    let mut total: u64 = 0;
    let mut table = String::new();
    let mut in_table = false;
    // Position and extent within the current table.
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    let (mut max_row, mut max_col) = (0u64, 0u64);
    let mut has_cells = false;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| damaged(format!("content.xml: {e}")))?;
        let (start, is_empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(e) => {
                match e.local_name().as_ref() {
                    "table-row" => row = row.saturating_add(row_repeat),
                    "table" if in_table => {
                        in_table = false;
                        if has_cells {
                            let rows: Vec<u32> = hidden_spans
                                .drain(..)
                                .flat_map(|(first, n)| {
                                    first..first.saturating_add(n).min(max_row + 1)
                                })
                                .filter_map(|r| u32::try_from(r).ok())
                                .collect();
                            if !rows.is_empty() {
                                hidden_rows.insert(table.clone(), rows);
                            }
                            total = total.saturating_add(
                                (max_row.saturating_add(1))
                                    .saturating_mul(max_col.saturating_add(1)),
                            );
                        }
                        if total > limits.max_cells as u64 {
                            return Err(ReadError::TooManyCells {
                                file: file.to_owned(),
                                sheet: table.clone(),
                                limit: limits.max_cells,
                            });
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(e) = start else { continue };
        match e.local_name().as_ref() {
            "table" => {
                in_table = true;
                table = attr(e, "name").unwrap_or_default();
                (row, col, max_row, max_col, has_cells) = (0, 0, 0, 0, false);
                hidden_spans.clear();
            }
            "table-row" => {
                row_repeat = attr_u64(e, "number-rows-repeated").unwrap_or(1).max(1);
                col = 0;
                if attr(e, "visibility").is_some_and(|v| v == "collapse" || v == "filter") {
                    hidden_spans.push((row, row_repeat));
                }
                if is_empty {
                    row = row.saturating_add(row_repeat);
                }
            }
            name @ ("table-cell" | "covered-table-cell") => {
                let repeat = attr_u64(e, "number-columns-repeated").unwrap_or(1).max(1);
                let valued = !is_empty || attr(e, "value-type").is_some();
                if valued && in_table {
                    has_cells = true;
                    max_row = max_row.max(row.saturating_add(row_repeat - 1));
                    max_col = max_col.max(col.saturating_add(repeat - 1));
                    // Checked as we go, so a single enormous repeat stops the scan at once.
                    let so_far = total.saturating_add(
                        (max_row.saturating_add(1)).saturating_mul(max_col.saturating_add(1)),
                    );
                    if so_far > limits.max_cells as u64 {
                        return Err(ReadError::TooManyCells {
                            file: file.to_owned(),
                            sheet: table.clone(),
                            limit: limits.max_cells,
                        });
                    }
                }
                if name == "table-cell" {
                    let cols = attr_u64(e, "number-columns-spanned").unwrap_or(1);
                    let rows = attr_u64(e, "number-rows-spanned").unwrap_or(1);
                    if (cols > 1 || rows > 1) && row <= u32::MAX as u64 && col <= u32::MAX as u64 {
                        let end_row = row.saturating_add(rows.max(1) - 1).min(u32::MAX as u64);
                        let end_col = col.saturating_add(cols.max(1) - 1).min(u32::MAX as u64);
                        merges
                            .entry(table.clone())
                            .or_default()
                            .push(Dimensions::new(
                                (row as u32, col as u32),
                                (end_row as u32, end_col as u32),
                            ));
                    }
                }
                col = col.saturating_add(repeat);
            }
            _ => {}
        }
    }
    Ok(OdsLayout {
        merges,
        hidden_rows,
    })
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
