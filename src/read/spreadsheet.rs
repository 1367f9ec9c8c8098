//! Workbooks through calamine (xlsx, xlsm, xlsb, xls, ods) into the sparse [`Grid`].
//!
//! Memory is bounded by [`ReadLimits::max_cells`], counted as the grid would store cells
//! (rows are dense up to their last value), before each allocation:
//!
//! - xlsx/xlsm/xlsb are streamed cell by cell (xlsx/xlsm worksheets by [`xlsx_cells`]'s scan
//!   where it is sure of them, else and for xlsb by calamine's cell readers); cells go straight
//!   into the sparse grid and the read stops as soon as the count passes the limit. calamine's
//!   `worksheet_range` is never used for them: it allocates a dense range from the declared
//!   dimensions, which a 2 KB file can set to 17 billion cells.
//! - xls and ods are parsed whole by calamine when the workbook is opened, into dense ranges
//!   spanning each sheet's used area. [`extent`] measures that area from the raw records
//!   first (BIFF cell records; ODS rows and repeats) and refuses the file when it is too large.
//! - zip packages pass [`package::check`] first: the unpacked size is bounded, no XML text
//!   run or tag is longer than [`ReadLimits::max_cell_bytes`], and no header claims more
//!   shared strings than its part can hold.
//!
//! Cell values: formulas give their cached values (calamine's default); date/time cells become
//! [`Cell::Date`], [`Cell::Time`] or [`Cell::DateTime`] in either date system; merged ranges
//! copy their top-left value to every cell of the range; hidden sheets are kept and marked.
//! Hidden rows and merged ranges calamine does not expose are read by our own scans: xlsx/xlsm
//! in [`sheet_xml`], xls (`ROW` records) and ods (row visibility, spans) in [`extent`]. xlsb
//! reports neither (calamine has no merge API for it and we do not parse its records).
//! A panic inside a parser is caught and reported as a damaged file.

use super::content::{Content, ContentReader};
use super::extent;
use super::grid::{Cell, CellRange, Grid, Row, Sheet, SourceFormat, Visibility};
use super::package;
use super::sheet_xml;
use super::xlsx_cells;
use super::xml_scan::Unsure;
use super::{ReadError, ReadLimits};
use calamine::{Data, DataRef, Dimensions, ExcelDateTime, Reader, SheetType, SheetVisible};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use std::io::Cursor;

/// Read a workbook whose format was sniffed from its content.
///
/// `head`: for xlsx and xlsm, keep only rows `0..head` of each sheet and mark a sheet with
/// more [`Sheet::rows_beyond`] ([`stream_xlsx_rows`] reads the rest); the other formats are
/// read whole.
pub fn read_workbook(
    file: &str,
    format: SourceFormat,
    content: Content<'_>,
    limits: &ReadLimits,
    head: Option<u32>,
) -> Result<Grid, ReadError> {
    let ctx = Ctx {
        file,
        format,
        limits,
        head,
    };
    match super::guard::quietly(|| read_inner(&ctx, content)) {
        Ok(result) => result,
        Err(_) => Err(ctx.damaged("the reader stopped on malformed data")),
    }
}

/// What every step needs to name its errors.
struct Ctx<'a> {
    file: &'a str,
    format: SourceFormat,
    limits: &'a ReadLimits,
    /// Rows kept per sheet (xlsx, xlsm); `None`: all.
    head: Option<u32>,
}

impl Ctx<'_> {
    fn damaged(&self, detail: impl std::fmt::Display) -> ReadError {
        let mut detail = detail.to_string();
        if detail.len() > 200 {
            let mut cut = 200;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
            detail.push('…');
        }
        ReadError::Damaged {
            file: self.file.to_owned(),
            format: self.format.as_str().to_owned(),
            detail,
        }
    }

    fn too_many(&self, sheet: &str) -> ReadError {
        ReadError::TooManyCells {
            file: self.file.to_owned(),
            sheet: sheet.to_owned(),
            limit: self.limits.max_cells,
        }
    }

    fn encrypted(&self) -> ReadError {
        ReadError::Encrypted {
            file: self.file.to_owned(),
        }
    }
}

fn read_inner(ctx: &Ctx<'_>, content: Content<'_>) -> Result<Grid, ReadError> {
    if let SourceFormat::Xlsx | SourceFormat::Xlsm = ctx.format {
        let extras = check_zip_parts(ctx, content)?;
        return read_xlsx(ctx, content, extras);
    }
    // The other formats are parsed whole: their bytes are in memory.
    let bytes = content.bytes().map_err(|error| ReadError::Io {
        file: ctx.file.to_owned(),
        error,
    })?;
    let bytes = &*bytes;
    match ctx.format {
        SourceFormat::Xlsb => {
            check_zip_parts(ctx, Content::Bytes(bytes))?;
            read_xlsb(ctx, bytes)
        }
        SourceFormat::Xls => {
            let hidden = extent::check_xls(ctx.file, bytes, ctx.limits)?;
            let wb = calamine::Xls::new(Cursor::new(bytes)).map_err(|e| match e {
                calamine::XlsError::Password => ctx.encrypted(),
                e => ctx.damaged(e),
            })?;
            let date_1904 = wb.has_1904_epoch();
            read_dense(ctx, wb, date_1904, |wb, name| {
                let merged = wb.merge_cells_by_sheet_name(name).unwrap_or_default();
                (merged, hidden.get(name).cloned().unwrap_or_default())
            })
        }
        SourceFormat::Ods => {
            check_zip_parts(ctx, Content::Bytes(bytes))?;
            let layout = extent::check_ods(ctx.file, bytes, ctx.limits)?;
            let wb = calamine::Ods::new(Cursor::new(bytes)).map_err(|e| match e {
                calamine::OdsError::Password => ctx.encrypted(),
                e => ctx.damaged(e),
            })?;
            read_dense(ctx, wb, false, |_, name| {
                (
                    layout.merges.get(name).cloned().unwrap_or_default(),
                    layout.hidden_rows.get(name).cloned().unwrap_or_default(),
                )
            })
        }
        SourceFormat::Xlsx | SourceFormat::Xlsm | SourceFormat::Csv | SourceFormat::Pdf => {
            Err(ctx.damaged("not a workbook"))
        }
    }
}

/// The package budgets ([`package::check`]) for xlsx, xlsm, xlsb and ods, with what the pass
/// found of the worksheets' hidden rows and merged ranges.
fn check_zip_parts(
    ctx: &Ctx<'_>,
    content: Content<'_>,
) -> Result<sheet_xml::WorksheetExtras, ReadError> {
    package::check(ctx.file, ctx.format.as_str(), content, ctx.limits)
}

/// The worksheets to read, with their visibility (chart, dialog and macro sheets hold no
/// schedule cells and are skipped).
fn worksheets(meta: &[calamine::Sheet]) -> Vec<(String, Visibility)> {
    meta.iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| {
            let vis = match s.visible {
                SheetVisible::Visible => Visibility::Visible,
                SheetVisible::Hidden => Visibility::Hidden,
                SheetVisible::VeryHidden => Visibility::VeryHidden,
            };
            (s.name.clone(), vis)
        })
        .collect()
}

fn read_xlsx(
    ctx: &Ctx<'_>,
    content: Content<'_>,
    scanned: sheet_xml::WorksheetExtras,
) -> Result<Grid, ReadError> {
    let sheets = sheet_xml::sheets_of(content).unwrap_or_default();
    if let Some(part) = sheet_xml::shared_sheet_part(&sheets) {
        return Err(ctx.damaged(format_args!("two sheets share the part '{part}'")));
    }
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(content.reader()).map_err(|e| match e {
        calamine::XlsxError::Password => ctx.encrypted(),
        e => ctx.damaged(e),
    })?;
    let mut grid = Grid::new(ctx.format);
    grid.date_1904 = wb.has_1904_epoch();
    let mut sheets_read = stream_xlsx_cells(ctx, &mut wb, content, &sheets)?;
    // Hidden rows and merges were found as the package check inflated each sheet; a failure
    // there only loses the extras.
    let extras = super::guard::quietly(|| sheet_xml::extras_by_sheet(content, &sheets, scanned))
        .unwrap_or_default();
    let mut budget = Budget::new(ctx);
    budget.used = sheets_read.iter().map(Sheet::cell_count).sum();
    for sheet in &mut sheets_read {
        if let Some(x) = extras.get(&*sheet.name) {
            sheet.hidden_rows = x.hidden_rows.clone();
            // A cut sheet is filled within its head only.
            let merged: Vec<Dimensions> = match ctx.head {
                Some(h) if sheet.rows_beyond => {
                    x.merged.iter().filter(|d| d.end.0 < h).cloned().collect()
                }
                _ => x.merged.clone(),
            };
            fill_merges(sheet, &merged, &mut budget)?;
        }
    }
    grid.sheets = sheets_read;
    Ok(grid)
}

/// Stream every worksheet's cells into sparse sheets (with their visibility): with the fast
/// scan of [`xlsx_cells`] where it is sure of the sheet, else with calamine's cell reader.
/// `parts` are the sheets' parts ([`sheet_xml::sheets_of`]).
fn stream_xlsx_cells(
    ctx: &Ctx<'_>,
    wb: &mut calamine::Xlsx<ContentReader<'_>>,
    content: Content<'_>,
    parts: &[(String, String)],
) -> Result<Vec<Sheet>, ReadError> {
    let mut out = Vec::new();
    let mut budget = Budget::new(ctx);
    let mut fast = xlsx_cells::Package::open(content)
        .and_then(|mut package| Ok((xlsx_cells::Workbook::load(&mut package)?, package)))
        .ok();
    for (name, visibility) in worksheets(wb.sheets_metadata()) {
        let part = parts.iter().find(|(n, _)| *n == name).map(|(_, p)| p);
        let used = budget.used;
        let scanned = match (&mut fast, part) {
            (Some((workbook, package)), Some(part)) => {
                scan_sheet(ctx, package, workbook, part, &name, &mut budget)
            }
            _ => Err(Scan::Unsure),
        };
        let mut sheet = match scanned {
            Ok(sheet) => sheet,
            Err(Scan::Failed(e)) => return Err(e),
            Err(Scan::Unsure) => {
                budget.used = used;
                read_sheet_cells(ctx, wb, &name, &mut budget)?
            }
        };
        sheet.visibility = visibility;
        out.push(sheet);
    }
    Ok(out)
}

/// One worksheet's cells (its head, when the read has one) by the fast scan.
fn scan_sheet(
    ctx: &Ctx<'_>,
    package: &mut xlsx_cells::Package<'_>,
    workbook: &xlsx_cells::Workbook,
    part: &str,
    name: &str,
    budget: &mut Budget<'_>,
) -> Result<Sheet, Scan> {
    let mut builder = SheetBuilder::new(name);
    package
        .read(part, |xml| {
            let mut cells = xlsx_cells::SheetCells::new(xml, workbook);
            while let Some((row, col, value)) = cells.next_cell()? {
                if ctx.head.is_some_and(|h| row >= h) {
                    builder.sheet.rows_beyond = true;
                    break;
                }
                builder.put(row, col, from_owned(value), budget)?;
            }
            Ok::<(), Scan>(())
        })?
        .ok_or(Scan::Unsure)?;
    Ok(builder.finish())
}

/// One worksheet's cells (its head, when the read has one) by calamine's cell reader.
fn read_sheet_cells(
    ctx: &Ctx<'_>,
    wb: &mut calamine::Xlsx<ContentReader<'_>>,
    name: &str,
    budget: &mut Budget<'_>,
) -> Result<Sheet, ReadError> {
    let mut builder = SheetBuilder::new(name);
    let mut cells = wb
        .worksheet_cells_reader(name)
        .map_err(|e| ctx.damaged(e))?;
    while let Some(cell) = cells.next_cell().map_err(|e| ctx.damaged(e))? {
        let (row, col) = cell.get_position();
        if ctx.head.is_some_and(|h| row >= h) {
            builder.sheet.rows_beyond = true;
            break;
        }
        builder.put(row, col, from_ref(cell.get_value()), budget)?;
    }
    Ok(builder.finish())
}

/// Read the rows of one xlsx/xlsm sheet from row index `from` on into `each`, one at a time,
/// holding none: the rest of a sheet [`read_workbook`] read the head of. Cells are not
/// counted against `max_cells` (nothing is kept); a row is bounded by the sheet's columns.
/// Merged ranges are not filled past the head (row exports have none).
pub fn stream_xlsx_rows(
    file: &str,
    format: SourceFormat,
    content: Content<'_>,
    limits: &ReadLimits,
    sheet: &str,
    from: u32,
    each: &mut dyn FnMut(Row),
) -> Result<(), ReadError> {
    let ctx = Ctx {
        file,
        format,
        limits,
        head: None,
    };
    // A panic of `each` is ours, not the file's: kept aside and resumed outside the guard.
    let mut crashed = None;
    let mut hand_on = |row: Row| match super::guard::loudly(|| each(row)) {
        Ok(()) => true,
        Err(panic) => {
            crashed = Some(panic);
            false
        }
    };
    let streamed = super::guard::quietly(|| {
        let mut rows = RowGatherer::new(&ctx, sheet, from);
        match scan_xlsx_rows(content, sheet, &mut rows, &mut hand_on) {
            Ok(()) => return Ok(()),
            Err(Scan::Failed(e)) => return Err(e),
            // Read on with calamine from the row the scan was in.
            Err(Scan::Unsure) => {}
        }
        let mut rows = RowGatherer::new(&ctx, sheet, rows.resume_at());
        let mut wb: calamine::Xlsx<_> =
            calamine::Xlsx::new(content.reader()).map_err(|e| ctx.damaged(e))?;
        let mut cells = wb
            .worksheet_cells_reader(sheet)
            .map_err(|e| ctx.damaged(e))?;
        while let Some(cell) = cells.next_cell().map_err(|e| ctx.damaged(e))? {
            let (r, c) = cell.get_position();
            if !rows.put(r, c, from_ref(cell.get_value()), &mut hand_on)? {
                return Ok(());
            }
        }
        rows.finish(&mut hand_on);
        Ok(())
    });
    if let Some(panic) = crashed {
        std::panic::resume_unwind(panic);
    }
    match streamed {
        Ok(result) => result,
        Err(_) => Err(ctx.damaged("the reader stopped on malformed data")),
    }
}

/// Why the fast scan of a sheet's rows stopped short.
enum Scan {
    /// It could not be sure of the bytes: calamine reads on ([`xlsx_cells`]).
    Unsure,
    Failed(ReadError),
}

impl From<Unsure> for Scan {
    fn from(_: Unsure) -> Self {
        Scan::Unsure
    }
}

impl From<ReadError> for Scan {
    fn from(e: ReadError) -> Self {
        Scan::Failed(e)
    }
}

/// [`stream_xlsx_rows`] with the fast scan of [`xlsx_cells`].
fn scan_xlsx_rows(
    content: Content<'_>,
    sheet: &str,
    rows: &mut RowGatherer<'_>,
    hand_on: &mut dyn FnMut(Row) -> bool,
) -> Result<(), Scan> {
    let mut package = xlsx_cells::Package::open(content)?;
    let sheets = package.sheets().ok_or(Unsure)?;
    let (_, part) = sheets
        .iter()
        .find(|(name, _)| name == sheet)
        .ok_or(Unsure)?;
    let workbook = xlsx_cells::Workbook::load(&mut package)?;
    package
        .read(part, |xml| {
            let mut cells = xlsx_cells::SheetCells::new(xml, &workbook);
            while let Some((r, c, value)) = cells.next_cell()? {
                if !rows.put(r, c, from_owned(value), hand_on)? {
                    return Ok(());
                }
            }
            rows.finish(hand_on);
            Ok::<(), Scan>(())
        })?
        .ok_or(Scan::Unsure)
}

/// Cells in sheet order gathered into rows from row `from` on, each row handed on when the
/// next begins.
struct RowGatherer<'a> {
    ctx: &'a Ctx<'a>,
    sheet: &'a str,
    from: u32,
    row: Option<(u32, Vec<Cell>)>,
    /// The cells of the last row, for the next one's allocation.
    width: usize,
}

impl<'a> RowGatherer<'a> {
    fn new(ctx: &'a Ctx<'a>, sheet: &'a str, from: u32) -> Self {
        RowGatherer {
            ctx,
            sheet,
            from,
            row: None,
            width: 0,
        }
    }

    /// The first row not handed on: where another reader takes over.
    fn resume_at(&self) -> u32 {
        self.row.as_ref().map_or(self.from, |(i, _)| *i)
    }

    /// Take a cell; `false` once `hand_on` asked to stop.
    fn put(
        &mut self,
        r: u32,
        c: u32,
        value: Cell,
        hand_on: &mut dyn FnMut(Row) -> bool,
    ) -> Result<bool, ReadError> {
        if r < self.from {
            return Ok(true);
        }
        if r >= MAX_ROWS || c >= MAX_COLS {
            return Err(self.ctx.damaged(format_args!(
                "sheet '{}' has a cell at row {}, column {}, beyond a sheet's \
                 {MAX_ROWS} rows and {MAX_COLS} columns",
                self.sheet,
                u64::from(r) + 1,
                u64::from(c) + 1
            )));
        }
        if matches!(value, Cell::Empty) {
            return Ok(true);
        }
        // Cells of a row arrive together, rows in order; a cell of a row already handed on
        // (legal XML, never written by spreadsheet programs) is dropped.
        if self.row.as_ref().is_some_and(|(i, _)| r < *i) {
            return Ok(true);
        }
        if self.row.as_ref().is_none_or(|(i, _)| *i != r) {
            if let Some((index, cells)) = self.row.take() {
                self.width = cells.len();
                if let Some(done) = Row::trimmed(index, cells)
                    && !hand_on(done)
                {
                    return Ok(false);
                }
            }
            self.row = Some((r, Vec::with_capacity(self.width)));
        }
        if let Some((_, cells)) = &mut self.row {
            let c = c as usize;
            if c >= cells.len() {
                cells.resize(c + 1, Cell::Empty);
            }
            cells[c] = value;
        }
        Ok(true)
    }

    /// Hand on the last row.
    fn finish(&mut self, hand_on: &mut dyn FnMut(Row) -> bool) {
        if let Some((index, cells)) = self.row.take()
            && let Some(done) = Row::trimmed(index, cells)
        {
            hand_on(done);
        }
    }
}

fn read_xlsb(ctx: &Ctx<'_>, bytes: &[u8]) -> Result<Grid, ReadError> {
    let mut wb: calamine::Xlsb<_> =
        calamine::Xlsb::new(Cursor::new(bytes)).map_err(|e| ctx.damaged(e))?;
    let mut grid = Grid::new(ctx.format);
    grid.date_1904 = wb.has_1904_epoch();
    let mut budget = Budget::new(ctx);
    for (name, visibility) in worksheets(wb.sheets_metadata()) {
        let mut builder = SheetBuilder::new(&name);
        {
            let mut cells = wb
                .worksheet_cells_reader(&name)
                .map_err(|e| ctx.damaged(e))?;
            while let Some(cell) = cells.next_cell().map_err(|e| ctx.damaged(e))? {
                let (row, col) = cell.get_position();
                let value = from_ref(cell.get_value());
                builder.put(row, col, value, &mut budget)?;
            }
        }
        let mut sheet = builder.finish();
        sheet.visibility = visibility;
        grid.sheets.push(sheet);
    }
    Ok(grid)
}

/// xls and ods: calamine already holds each sheet as a dense range (its extent was checked
/// before opening); copy the non-empty part of each row into the sparse grid, then apply the
/// merged ranges and hidden rows `extras` gives for a sheet name.
fn read_dense<'b, R, F>(
    ctx: &Ctx<'_>,
    mut wb: R,
    date_1904: bool,
    extras: F,
) -> Result<Grid, ReadError>
where
    R: Reader<Cursor<&'b [u8]>>,
    R::Error: std::fmt::Display,
    F: Fn(&R, &str) -> (Vec<Dimensions>, Vec<u32>),
{
    let mut grid = Grid::new(ctx.format);
    grid.date_1904 = date_1904;
    let mut budget = Budget::new(ctx);
    for (name, visibility) in worksheets(wb.sheets_metadata()) {
        let range = wb.worksheet_range(&name).map_err(|e| ctx.damaged(e))?;
        let mut sheet = Sheet::new(name.clone());
        sheet.visibility = visibility;
        if let Some((row0, col0)) = range.start() {
            let col0 = col0 as usize;
            for (i, row) in range.rows().enumerate() {
                let Some(last) = row.iter().rposition(|d| !matches!(d, Data::Empty)) else {
                    continue;
                };
                let width = col0 + last + 1;
                budget.charge(width, &name)?;
                let mut cells = Vec::with_capacity(width);
                cells.resize(col0, Cell::Empty);
                cells.extend(row[..=last].iter().map(from_data));
                sheet.push_row(row0 + i as u32, cells);
            }
        }
        let (merged, hidden_rows) = extras(&wb, &name);
        sheet.hidden_rows = hidden_rows;
        fill_merges(&mut sheet, &merged, &mut budget)?;
        grid.sheets.push(sheet);
    }
    Ok(grid)
}

/// Counts cells against [`ReadLimits::max_cells`] for the whole file.
struct Budget<'a> {
    ctx: &'a Ctx<'a>,
    used: usize,
}

impl<'a> Budget<'a> {
    fn new(ctx: &'a Ctx<'a>) -> Self {
        Budget { ctx, used: 0 }
    }

    /// Account for `n` more stored cells, failing before they are allocated.
    fn charge(&mut self, n: usize, sheet: &str) -> Result<(), ReadError> {
        self.used = self.used.saturating_add(n);
        if self.used > self.ctx.limits.max_cells {
            Err(self.ctx.too_many(sheet))
        } else {
            Ok(())
        }
    }
}

/// Rows in an Excel sheet (xlsx, xlsb); a cell past them is damage, not data, and would make
/// row arithmetic downstream wrap.
const MAX_ROWS: u32 = 1 << 20;
/// Columns in an Excel sheet (`XFD`).
const MAX_COLS: u32 = 1 << 14;

/// Builds a sparse sheet from cells arriving in (mostly) row order.
struct SheetBuilder {
    sheet: Sheet,
    row: Option<u32>,
    cells: Vec<Cell>,
}

impl SheetBuilder {
    fn new(name: &str) -> Self {
        SheetBuilder {
            sheet: Sheet::new(name),
            row: None,
            cells: Vec::new(),
        }
    }

    fn put(
        &mut self,
        row: u32,
        col: u32,
        value: Cell,
        budget: &mut Budget<'_>,
    ) -> Result<(), ReadError> {
        if matches!(value, Cell::Empty) {
            return Ok(());
        }
        if row >= MAX_ROWS || col >= MAX_COLS {
            return Err(budget.ctx.damaged(format_args!(
                "sheet '{}' has a cell at row {}, column {}, beyond a sheet's {MAX_ROWS} rows \
                 and {MAX_COLS} columns",
                self.sheet.name,
                u64::from(row) + 1,
                u64::from(col) + 1
            )));
        }
        let col = col as usize;
        match self.row {
            Some(r) if r == row => {}
            Some(r) if row < r => {
                // Out of order (rare, but legal XML): place it directly.
                let have = self.sheet.row(row).len();
                budget.charge((col + 1).saturating_sub(have), &self.sheet.name)?;
                self.sheet.set(row, col as u32, value);
                return Ok(());
            }
            _ => {
                self.flush();
                self.row = Some(row);
            }
        }
        if col >= self.cells.len() {
            budget.charge(col + 1 - self.cells.len(), &self.sheet.name)?;
            if col > self.cells.len() {
                self.cells.resize(col, Cell::Empty);
            }
            self.cells.push(value);
        } else {
            self.cells[col] = value;
        }
        Ok(())
    }

    fn flush(&mut self) {
        if let Some(r) = self.row.take() {
            let width = self.cells.len();
            let cells = std::mem::replace(&mut self.cells, Vec::with_capacity(width));
            self.sheet.push_row(r, cells);
        }
    }

    fn finish(mut self) -> Sheet {
        self.flush();
        self.sheet
    }
}

/// Copy each merged range's top-left value to every empty cell of the range.
fn fill_merges(
    sheet: &mut Sheet,
    merged: &[Dimensions],
    budget: &mut Budget<'_>,
) -> Result<(), ReadError> {
    for d in merged {
        // Inverted ranges and ranges past the sheet's grid are damage: ignored.
        if d.end.0 < d.start.0 || d.end.1 < d.start.1 || d.end.0 >= MAX_ROWS || d.end.1 >= MAX_COLS
        {
            continue;
        }
        sheet.merged.push(CellRange {
            first_row: d.start.0,
            first_col: d.start.1,
            last_row: d.end.0,
            last_col: d.end.1,
        });
        let value = sheet.get(d.start.0, d.start.1).clone();
        if value.is_empty() {
            continue;
        }
        let area = usize::try_from(d.len()).unwrap_or(usize::MAX);
        let name = sheet.name.clone();
        budget.charge(area.saturating_sub(1), &name)?;
        for r in d.start.0..=d.end.0 {
            for c in d.start.1..=d.end.1 {
                if sheet.get(r, c).is_empty() && (r, c) != d.start {
                    sheet.set(r, c, value.clone());
                }
            }
        }
    }
    Ok(())
}

/// A streamed cell value as a grid cell.
fn from_ref(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => excel_datetime(dt),
        DataRef::DateTimeIso(s) => iso_datetime(s),
        DataRef::DurationIso(s) => iso_duration(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

/// A scanned cell value as a grid cell (its text moved, not copied).
fn from_owned(d: DataRef<'_>) -> Cell {
    match d {
        DataRef::String(s) if !s.is_empty() => Cell::Text(s),
        d => from_ref(&d),
    }
}

/// A dense-range value as a grid cell.
fn from_data(d: &Data) -> Cell {
    match d {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => text(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => excel_datetime(dt),
        Data::DateTimeIso(s) => iso_datetime(s),
        Data::DurationIso(s) => iso_duration(s),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_owned())
    }
}

const MS_PER_DAY: f64 = 86_400_000.0;

/// An Excel serial date/time (either date system; calamine carries the flag) as a cell.
///
/// calamine only says "date-like format" or "duration format", so the value decides: below one
/// day is a time of day (that is how Excel stores a time-only cell), a whole number is a date,
/// anything else is a date and time. A duration (`[h]:mm`) under a day is a time; longer
/// durations stay numbers (days), which no schedule layout reads as a clock time.
pub(crate) fn excel_datetime(dt: &ExcelDateTime) -> Cell {
    let v = dt.as_f64();
    if !v.is_finite() || v < 0.0 {
        return Cell::Number(v);
    }
    if v < 1.0 {
        return time_of_day(v).map_or(Cell::Number(v), Cell::Time);
    }
    if dt.is_duration() {
        return Cell::Number(v);
    }
    // calamine applies the workbook's date system (and Excel's 1900 leap-year quirk).
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let date = NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d));
    let time =
        NaiveTime::from_hms_milli_opt(u32::from(h), u32::from(mi), u32::from(s), u32::from(ms));
    match (date, time) {
        (Some(date), Some(NaiveTime::MIN)) => Cell::Date(date),
        (Some(date), Some(time)) => Cell::DateTime(round_to_second(date.and_time(time))),
        _ => Cell::Number(v),
    }
}

/// The time of day of a fraction of a day, to the millisecond (Excel's precision) and then to
/// the second when within a millisecond of one (floating-point noise such as 09:29:59.999).
fn time_of_day(fraction: f64) -> Option<NaiveTime> {
    let ms = (fraction * MS_PER_DAY).round() as i64;
    let ms = if ms % 1000 >= 999 || ms % 1000 <= 1 {
        ((ms + 500) / 1000) * 1000
    } else {
        ms
    };
    let ms = ms.min(86_399_999);
    let secs = u32::try_from(ms / 1000).ok()?;
    let nanos = u32::try_from((ms % 1000) * 1_000_000).ok()?;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
}

fn round_to_second(ndt: NaiveDateTime) -> NaiveDateTime {
    let nanos = ndt.nanosecond();
    if nanos == 0 {
        return ndt;
    }
    let base = ndt.with_nanosecond(0).unwrap_or(ndt);
    if nanos >= 500_000_000 {
        base + chrono::Duration::seconds(1)
    } else {
        base
    }
}

/// An ISO 8601 date, time or date-time (ODS `office:date-value`, xlsx `t="d"`).
fn iso_datetime(s: &str) -> Cell {
    let s = s.trim();
    let s = s.strip_suffix('Z').unwrap_or(s);
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Cell::Date(d);
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return if dt.time() == NaiveTime::MIN {
            Cell::Date(dt.date())
        } else {
            Cell::DateTime(round_to_second(dt))
        };
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        return Cell::DateTime(dt);
    }
    if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M:%S%.f") {
        return Cell::Time(t);
    }
    if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M") {
        return Cell::Time(t);
    }
    text(s)
}

/// An ISO 8601 duration (`PT09H30M00S`, ODS `office:time-value`): under a day it is a time of
/// day; otherwise it stays as written.
fn iso_duration(s: &str) -> Cell {
    match parse_iso_duration(s.trim()) {
        Some(secs) if (0.0..86_400.0).contains(&secs) => {
            time_of_day(secs / 86_400.0).map_or_else(|| text(s), Cell::Time)
        }
        Some(secs) => Cell::Number(secs / 86_400.0),
        None => text(s),
    }
}

/// Seconds in `[-]P[nD]T[nH][nM][n[.f]S]`.
fn parse_iso_duration(s: &str) -> Option<f64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let s = s.strip_prefix('P')?;
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, t),
        None => (s, ""),
    };
    let mut total = 0.0;
    let mut parse = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() || ch == '.' || ch == ',' {
                num.push(if ch == ',' { '.' } else { ch });
            } else {
                let (_, mult) = units.iter().find(|(u, _)| *u == ch)?;
                total += num.parse::<f64>().ok()? * mult;
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    parse(date, &[('D', 86_400.0), ('W', 604_800.0)])?;
    parse(time, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])?;
    Some(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    /// The rows of a sheet whose row 6 the scan is not sure of (an `_xHHHH_` escape):
    /// streamed, calamine reads on from that row and every row is handed on once, in order;
    /// read whole, calamine reads the sheet again and its cells are counted once.
    #[test]
    fn a_scan_left_to_calamine_midway_hands_on_every_row_once() {
        let rows: String = (1..=10)
            .map(|r| {
                let text = if r == 6 { "a_x000D_b" } else { "ab" };
                format!(
                    "<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c>\
                     <c r=\"B{r}\" t=\"str\"><v>{text}</v></c></row>"
                )
            })
            .collect();
        let sheet = format!("<sheetData>{rows}</sheetData>");
        let bytes = xlsx_cells::tests::package(&sheet, None, None, false);
        let mut got = Vec::new();
        let limits = ReadLimits::default();
        let content = Content::Bytes(&bytes);
        stream_xlsx_rows(
            "f.xlsx",
            SourceFormat::Xlsx,
            content,
            &limits,
            "Sheet1",
            2,
            &mut |r| got.push(r),
        )
        .unwrap();
        let indexes: Vec<u32> = got.iter().map(|r| r.index).collect();
        assert_eq!(indexes, (2..10).collect::<Vec<u32>>());
        assert_eq!(got[3].cells, [Cell::Number(6.0), Cell::Text("a\rb".into())]);
        assert_eq!(got[7].cells, [Cell::Number(10.0), Cell::Text("ab".into())]);
        // The whole read: that sheet is read again by calamine, its cells counted once.
        let opts = super::super::ReadOptions::default();
        let grid = super::super::read_bytes("f.xlsx", &bytes, &opts).unwrap();
        let sheet = &grid.sheets[0];
        assert_eq!(sheet.rows()[2..], got[..]);
        assert_eq!(sheet.cell_count(), 20);
    }

    #[test]
    fn a_panic_of_the_row_callback_is_ours_not_a_damaged_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/schedules/grid_weekly.xlsx"
        );
        let bytes = std::fs::read(path).unwrap();
        let limits = ReadLimits::default();
        let f = SourceFormat::Xlsx;
        let grid = read_workbook("w.xlsx", f, Content::Bytes(&bytes), &limits, None).unwrap();
        let sheet = grid.sheets[0].name.clone();
        let mut rows = 0;
        stream_xlsx_rows(
            "w.xlsx",
            f,
            Content::Bytes(&bytes),
            &limits,
            &sheet,
            0,
            &mut |_| rows += 1,
        )
        .unwrap();
        assert_eq!(rows, grid.sheets[0].rows().len());
        let caught = std::panic::catch_unwind(|| {
            let mut each = |_: Row| panic!("a defect of ours");
            stream_xlsx_rows(
                "w.xlsx",
                f,
                Content::Bytes(&bytes),
                &limits,
                &sheet,
                0,
                &mut each,
            )
        });
        let payload = caught.expect_err("the callback's panic goes on, not a read error");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"a defect of ours"));
    }

    fn dt(v: f64, is_1904: bool) -> Cell {
        excel_datetime(&ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904))
    }

    #[test]
    fn excel_serials_in_both_systems() {
        let d = NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
        assert_eq!(dt(45985.0, false), Cell::Date(d));
        assert_eq!(dt(45985.0 - 1462.0, true), Cell::Date(d));
        assert_eq!(
            dt(45985.375, false),
            Cell::DateTime(d.and_hms_opt(9, 0, 0).unwrap())
        );
        assert_eq!(
            dt(0.3958333333, false),
            Cell::Time(NaiveTime::from_hms_opt(9, 30, 0).unwrap())
        );
        assert_eq!(
            dt(0.75, true),
            Cell::Time(NaiveTime::from_hms_opt(18, 0, 0).unwrap())
        );
    }

    #[test]
    fn iso_values() {
        assert_eq!(
            iso_datetime("2025-11-24"),
            Cell::Date(NaiveDate::from_ymd_opt(2025, 11, 24).unwrap())
        );
        assert_eq!(
            iso_datetime("2025-11-24T22:00:00"),
            Cell::DateTime(
                NaiveDate::from_ymd_opt(2025, 11, 24)
                    .unwrap()
                    .and_hms_opt(22, 0, 0)
                    .unwrap()
            )
        );
        assert_eq!(
            iso_duration("PT09H30M00S"),
            Cell::Time(NaiveTime::from_hms_opt(9, 30, 0).unwrap())
        );
        assert_eq!(iso_duration("PT36H"), Cell::Number(1.5));
        assert_eq!(iso_duration("nonsense"), Cell::Text("nonsense".into()));
    }

    #[test]
    fn builder_is_sparse_and_counts_cells() {
        let ctx = Ctx {
            file: "f.xlsx",
            format: SourceFormat::Xlsx,
            limits: &ReadLimits {
                max_cells: 20_000,
                ..ReadLimits::default()
            },
            head: None,
        };
        let mut budget = Budget::new(&ctx);
        let mut b = SheetBuilder::new("S");
        b.put(0, 0, Cell::Number(1.0), &mut budget).unwrap();
        b.put(1_048_575, 16_383, Cell::Number(2.0), &mut budget)
            .unwrap();
        // Out of order: lands between the two rows.
        b.put(5, 1, Cell::Bool(true), &mut budget).unwrap();
        let s = b.finish();
        assert_eq!(s.row_count(), 3);
        assert_eq!(s.get(5, 1), &Cell::Bool(true));
        assert_eq!(budget.used, 1 + 16_384 + 2);
        let mut b = SheetBuilder::new("S");
        b.put(0, 0, Cell::Number(1.0), &mut budget).unwrap();
        let err = b
            .put(1, 16_383, Cell::Number(1.0), &mut budget)
            .unwrap_err();
        assert!(matches!(err, ReadError::TooManyCells { .. }));
    }
}
