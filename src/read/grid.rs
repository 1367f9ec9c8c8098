//! The one shape every reader produces: a [`Grid`] of sheets of typed cells.
//!
//! Spreadsheets, CSV and PDF tables all become a `Grid`, so templates and extraction never
//! know which format a schedule came in. Storage is sparse by row (only rows that hold a value
//! exist) and dense within a row (up to its last non-empty cell), so a sheet whose only cells
//! are `A1` and `XFD1048576` costs two short rows, not seventeen billion cells.
//!
//! Every cell can name its provenance as a [`CellRef`] (`Sheet1!C7`, or `page 2, C7` for a PDF),
//! which is what row issues quote to the operator.

use arcstr::ArcStr;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;
use std::fmt;

/// The format a grid was read from (detected from the content, not the extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
    Csv,
    Pdf,
}

impl SourceFormat {
    /// Lower-case name, as stored in `document_imports.format` and used in templates.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Xlsx => "xlsx",
            SourceFormat::Xlsm => "xlsm",
            SourceFormat::Xlsb => "xlsb",
            SourceFormat::Xls => "xls",
            SourceFormat::Ods => "ods",
            SourceFormat::Csv => "csv",
            SourceFormat::Pdf => "pdf",
        }
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One typed cell value.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Time(NaiveTime),
    DateTime(NaiveDateTime),
    Bool(bool),
    /// A spreadsheet error value such as `#REF!` or `#N/A`.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            // Stops at the first visible character (no trimming from both ends).
            Cell::Text(s) => s.chars().all(char::is_whitespace),
            _ => false,
        }
    }

    /// The text of a text cell (trimmed), `None` for every other kind.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s.trim()),
            _ => None,
        }
    }

    /// The kind of the cell as a word, for error messages (never the content: it may be
    /// personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            Cell::Empty => "empty",
            Cell::Text(_) => "text",
            Cell::Number(_) => "number",
            Cell::Date(_) => "date",
            Cell::Time(_) => "time",
            Cell::DateTime(_) => "date-time",
            Cell::Bool(_) => "true/false",
            Cell::Error(_) => "error",
        }
    }
}

impl fmt::Display for Cell {
    /// The value as a person would read it in the sheet (used for matching, never for logs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(s) => f.write_str(s),
            Cell::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    write!(f, "{}", *n as i64)
                } else {
                    write!(f, "{n}")
                }
            }
            Cell::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Cell::Time(t) => write!(f, "{}", t.format("%H:%M")),
            Cell::DateTime(dt) => write!(f, "{}", dt.format("%Y-%m-%d %H:%M")),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Error(e) => f.write_str(e),
        }
    }
}

/// Where a cell is: sheet, zero-based row and column, and for PDFs the page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CellRef {
    pub sheet: ArcStr,
    pub row: u32,
    pub col: u32,
    /// One-based page number for cells read from a PDF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl CellRef {
    /// Column letters for a zero-based column index: 0 → `A`, 27 → `AB`.
    pub fn column_letters(col: u32) -> String {
        letters(col, &mut [0; 8]).to_string()
    }

    /// `C7` without the sheet.
    pub fn a1(&self) -> String {
        A1(self).to_string()
    }
}

/// The letters of column `col` (zero-based), written at the end of `buf` (`u32::MAX` is
/// seven letters).
fn letters(col: u32, buf: &mut [u8; 8]) -> &str {
    // Widened: column `u32::MAX` is one past the last `u32`.
    let mut n = u64::from(col) + 1;
    let mut at = buf.len();
    while n > 0 {
        at -= 1;
        buf[at] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
}

/// A cell's `C7`, written without allocating (a preview writes one per shift).
struct A1<'a>(&'a CellRef);

impl fmt::Display for A1<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(letters(self.0.col, &mut [0; 8]))?;
        // Widened so the last `u32` row does not wrap to row 0.
        fmt::Display::fmt(&(u64::from(self.0.row) + 1), f)
    }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.page {
            Some(p) => write!(f, "page {p}, {}", A1(self)),
            None => {
                // Quote sheet names that a spreadsheet would quote.
                if self
                    .sheet
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    write!(f, "{}!{}", self.sheet, A1(self))
                } else {
                    write!(f, "'{}'!{}", self.sheet.replace('\'', "''"), A1(self))
                }
            }
        }
    }
}

/// Whether a sheet was visible in the workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Visible,
    Hidden,
    VeryHidden,
}

/// A rectangle of cells, zero-based and inclusive, e.g. a merged range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CellRange {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

/// One row that holds at least one value.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Row {
    /// Zero-based row index in the sheet.
    pub index: u32,
    /// Cells from column 0 up to the last non-empty one.
    pub cells: Vec<Cell>,
}

impl Row {
    /// A row with its trailing empty cells trimmed; `None` when nothing is left (an all-empty
    /// row is not a row of the grid).
    pub fn trimmed(index: u32, mut cells: Vec<Cell>) -> Option<Row> {
        while cells.last().is_some_and(|c| matches!(c, Cell::Empty)) {
            cells.pop();
        }
        (!cells.is_empty()).then_some(Row { index, cells })
    }
}

/// One sheet (a worksheet, a CSV file, or a table read from a PDF).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Sheet {
    pub name: ArcStr,
    pub visibility: Visibility,
    /// Rows that hold values, in increasing `index` order.
    rows: Vec<Row>,
    /// Zero-based indexes of rows the workbook marks hidden.
    pub hidden_rows: Vec<u32>,
    /// Merged ranges as the workbook declared them (values are already copied to every cell
    /// of the range by the reader).
    pub merged: Vec<CellRange>,
    /// For PDF tables: the one-based page of each row, parallel to `rows`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pages: Option<Vec<u32>>,
    /// Rows past the head a read was asked for were left in the file (see
    /// [`crate::read::ReadOptions::head_rows`]); [`crate::read::stream_rows`] reads them.
    #[serde(skip)]
    pub rows_beyond: bool,
}

static EMPTY: Cell = Cell::Empty;

impl Sheet {
    pub fn new(name: impl Into<ArcStr>) -> Self {
        Sheet {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Append a row. Rows must be pushed in increasing index order; trailing empty cells are
    /// trimmed and an all-empty row is not stored.
    pub fn push_row(&mut self, index: u32, cells: Vec<Cell>) {
        let Some(row) = Row::trimmed(index, cells) else {
            return;
        };
        debug_assert!(self.rows.last().is_none_or(|r| r.index < index));
        self.rows.push(row);
    }

    /// Append a row read from a PDF page.
    pub fn push_page_row(&mut self, index: u32, page: u32, cells: Vec<Cell>) {
        let before = self.rows.len();
        self.push_row(index, cells);
        if self.rows.len() > before {
            self.pages.get_or_insert_with(Vec::new).push(page);
        }
    }

    /// Set one cell, keeping rows sorted (slower than `push_row`; for merged-range fills and
    /// tests).
    pub fn set(&mut self, row: u32, col: u32, cell: Cell) {
        let pos = match self.rows.binary_search_by_key(&row, |r| r.index) {
            Ok(p) => p,
            Err(p) => {
                if matches!(cell, Cell::Empty) {
                    return;
                }
                self.rows.insert(
                    p,
                    Row {
                        index: row,
                        cells: Vec::new(),
                    },
                );
                if let Some(pages) = &mut self.pages {
                    let page = pages.get(p.saturating_sub(1)).copied().unwrap_or(1);
                    pages.insert(p, page);
                }
                p
            }
        };
        let cells = &mut self.rows[pos].cells;
        let col = col as usize;
        if cells.len() <= col {
            if matches!(cell, Cell::Empty) {
                return;
            }
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = cell;
    }

    /// The cell at a zero-based position (`Cell::Empty` when nothing is there).
    pub fn get(&self, row: u32, col: u32) -> &Cell {
        match self.rows.binary_search_by_key(&row, |r| r.index) {
            Ok(p) => self.rows[p].cells.get(col as usize).unwrap_or(&EMPTY),
            Err(_) => &EMPTY,
        }
    }

    /// The cells of one row (empty slice when the row holds nothing).
    pub fn row(&self, row: u32) -> &[Cell] {
        match self.rows.binary_search_by_key(&row, |r| r.index) {
            Ok(p) => &self.rows[p].cells,
            Err(_) => &[],
        }
    }

    /// Rows that hold values, in order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Number of stored (non-empty) rows.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Number of stored cells (the figure the reader's cell limit bounds).
    pub fn cell_count(&self) -> usize {
        self.rows.iter().map(|r| r.cells.len()).sum()
    }

    /// Widest row, in cells.
    pub fn width(&self) -> u32 {
        self.rows
            .iter()
            .map(|r| r.cells.len() as u32)
            .max()
            .unwrap_or(0)
    }

    /// Index one past the last stored row.
    pub fn height(&self) -> u32 {
        self.rows.last().map(|r| r.index + 1).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn is_row_hidden(&self, row: u32) -> bool {
        self.hidden_rows.binary_search(&row).is_ok()
    }

    /// The one-based PDF page of a row, if this sheet came from a PDF.
    pub fn page_of(&self, row: u32) -> Option<u32> {
        let pages = self.pages.as_ref()?;
        let p = match self.rows.binary_search_by_key(&row, |r| r.index) {
            Ok(p) => p,
            Err(p) => p.saturating_sub(1),
        };
        pages.get(p).copied()
    }

    /// The reference of a cell, for messages.
    pub fn cell_ref(&self, row: u32, col: u32) -> CellRef {
        CellRef {
            sheet: self.name.clone(),
            row,
            col,
            page: self.page_of(row),
        }
    }
}

/// A whole file read into typed cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    pub format: SourceFormat,
    pub sheets: Vec<Sheet>,
    /// Date system of the workbook (`true` for the 1904 system); already applied to dates.
    pub date_1904: bool,
}

impl Grid {
    pub fn new(format: SourceFormat) -> Self {
        Grid {
            format,
            sheets: Vec::new(),
            date_1904: false,
        }
    }

    /// Total stored cells across sheets.
    pub fn cell_count(&self) -> usize {
        self.sheets.iter().map(Sheet::cell_count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(CellRef::column_letters(0), "A");
        assert_eq!(CellRef::column_letters(25), "Z");
        assert_eq!(CellRef::column_letters(26), "AA");
        assert_eq!(CellRef::column_letters(16383), "XFD");
        assert_eq!(CellRef::column_letters(u32::MAX), "MWLQKWV");
        let last = CellRef {
            sheet: "S".into(),
            row: u32::MAX,
            col: 701,
            page: Some(3),
        };
        assert_eq!(last.to_string(), "page 3, ZZ4294967296");
        assert_eq!(last.a1(), "ZZ4294967296");
    }

    #[test]
    fn sparse_sheet_costs_only_its_rows() {
        let mut s = Sheet::new("Sheet1");
        s.push_row(0, vec![Cell::Text("a".into())]);
        s.push_row(1_048_575, vec![Cell::Empty, Cell::Number(1.0)]);
        assert_eq!(s.row_count(), 2);
        assert_eq!(s.get(1_048_575, 1), &Cell::Number(1.0));
        assert_eq!(s.get(5, 5), &Cell::Empty);
        assert_eq!(s.cell_ref(6, 2).to_string(), "Sheet1!C7");
    }

    #[test]
    fn set_inserts_in_order() {
        let mut s = Sheet::new("My Sheet");
        s.set(3, 1, Cell::Bool(true));
        s.set(1, 0, Cell::Number(2.0));
        assert_eq!(s.rows()[0].index, 1);
        assert_eq!(s.cell_ref(0, 0).to_string(), "'My Sheet'!A1");
    }
}
