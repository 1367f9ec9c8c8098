//! Grid + template → shifts: the rows and grid layouts and the one shift-time grammar.
//!
//! Each layout has two steps: `locate` finds the header row and the columns on one sheet (or
//! says why it cannot: that reason is what "no template fits" lists), and `extract` walks the
//! rows below it. Every cell that cannot be read becomes an [`Issue`] with its [`CellRef`];
//! nothing here logs or quotes personal data.

pub mod cells;
pub mod grid;
pub mod rows;
pub mod store;

use crate::read::grid::{CellRef, Sheet};
use crate::schedule::{Issue, Shift};
use crate::template::set::CompiledTemplate;
use arcstr::ArcStr;
use chrono::NaiveDate;

/// One extracted shift with what validation needs beyond [`Shift`], in eight bytes (a
/// million-row file holds a million of these until validation).
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub shift: Shift,
    /// True length in minutes (a date-time pair can span more than a day; clamped to
    /// `i32::MAX`, far past any limit).
    minutes: i32,
    /// The column of the shift's row its start time was read from, when that is not the
    /// column of `shift.source` (rows layouts): a too-long shift is pointed at it.
    time_col: Col,
    /// The column of the shift's row its date was read from (rows layouts): a date far from
    /// the file's week is pointed at it.
    date_col: Col,
}

/// A column index of a sheet (16,384 columns at most), or none.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Col(u16);

impl Col {
    const NONE: Col = Col(u16::MAX);

    /// A column past `u16` (no sheet has one) is no column: the issue points at the shift's
    /// own cell instead.
    fn of(col: Option<u32>) -> Col {
        col.and_then(|c| u16::try_from(c).ok())
            .filter(|c| *c != u16::MAX)
            .map_or(Col::NONE, Col)
    }

    fn get(self) -> Option<u32> {
        (self != Col::NONE).then_some(u32::from(self.0))
    }
}

impl Extracted {
    pub fn new(shift: Shift, minutes: i64, time_col: Option<u32>, date_col: Option<u32>) -> Self {
        Extracted {
            shift,
            minutes: i32::try_from(minutes).unwrap_or(i32::MAX),
            time_col: Col::of(time_col),
            date_col: Col::of(date_col),
        }
    }

    /// True length in minutes.
    pub fn minutes(&self) -> i64 {
        i64::from(self.minutes)
    }

    /// See the field: the start time's column in a rows layout.
    pub fn time_col(&self) -> Option<u32> {
        self.time_col.get()
    }

    /// See the field: the date's column in a rows layout.
    pub fn date_col(&self) -> Option<u32> {
        self.date_col.get()
    }
}

/// Everything extraction found in a file.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub shifts: Vec<Extracted>,
    pub issues: Vec<Issue>,
    /// The first day of the file's week when the layout states it (grid header or
    /// `Week of` cell).
    pub week: Option<NaiveDate>,
    /// The last day the layout's headers cover when that is more than the week (several
    /// weeks, a month): validation does not call those dates far from the file's week.
    pub last_day: Option<NaiveDate>,
    /// Data rows looked at (rows skipped as sections, totals or blanks are not counted).
    pub rows_read: usize,
    /// Rows that produced an error instead of shifts.
    pub rows_rejected: usize,
}

/// One shared copy of each distinct text an extraction reads: names, phones, positions and
/// notes repeat row after row (a store's few dozen employees over a year of shifts), and each
/// shift holds an `ArcStr` (a shared, one-word pointer) to its text, not a copy.
#[derive(Debug, Default)]
pub struct Texts(std::collections::HashSet<ArcStr>);

impl Texts {
    /// The shared copy of `s`.
    pub fn get(&mut self, s: &str) -> ArcStr {
        if let Some(t) = self.0.get(s) {
            return t.clone();
        }
        let t: ArcStr = ArcStr::from(s);
        self.0.insert(t.clone());
        t
    }
}

/// What every layout needs to know besides the sheet.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub file_name: &'a str,
    pub template: &'a CompiledTemplate,
    /// A store number given by the caller; overrides the file's.
    pub store_override: Option<i32>,
    /// A store number used only when the file names none (the inbox folder's store).
    pub store_fallback: Option<i32>,
    /// Today's date, used only to place a header date that has neither year nor a week cell.
    pub today: NaiveDate,
}

/// Where the layout of one sheet was found.
#[derive(Debug, Clone)]
pub enum SheetLayout {
    Rows(rows::RowsLayout),
    Grid(grid::GridLayout),
}

impl SheetLayout {
    /// Index of the sheet in the grid.
    pub fn sheet(&self) -> usize {
        match self {
            SheetLayout::Rows(l) => l.sheet,
            SheetLayout::Grid(l) => l.sheet,
        }
    }

    /// How well the header fits the template (higher is better).
    pub fn score(&self) -> i64 {
        match self {
            SheetLayout::Rows(l) => l.score,
            SheetLayout::Grid(l) => l.score,
        }
    }

    /// Extract shifts from the sheet, reading at most `limit` data rows.
    pub fn extract(
        &self,
        sheet: &Sheet,
        ctx: &Context<'_>,
        limit: Option<usize>,
        out: &mut Extraction,
    ) {
        match self {
            SheetLayout::Rows(l) => rows::extract(sheet, l, ctx, limit, out),
            SheetLayout::Grid(l) => grid::extract(sheet, l, ctx, limit, out),
        }
    }
}

pub use crate::values::lowercase_in;

/// A short non-personal value quoted in a message (a time or date as written), or the cell's
/// kind when it is long.
pub fn quote(text: &str) -> String {
    let t = text.trim();
    let n = t.chars().count();
    if n <= 24 {
        format!("{t:?}")
    } else {
        format!("(a text of {n} characters)")
    }
}

/// A reference for a message about a whole row (its first cell).
pub fn row_ref(sheet: &Sheet, row: u32, col: u32) -> CellRef {
    sheet.cell_ref(row, col)
}
