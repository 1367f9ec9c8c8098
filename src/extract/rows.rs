//! The rows layout: one shift per row under a header row found anywhere in the first rows.
//!
//! Columns are matched by the template's aliases. Times come from start and end columns
//! (typed times, `9:00 AM`, `0930`), a combined shift column (`9a-5p`, `8-12, 1-5`: one row,
//! two shifts), or start/end date-time columns (`10/06/2025 22:00`). A row holding only a store
//! title (`Store 1042`) sets the store for the rows below it when the template reads titles.

use super::cells;
use super::store;
use super::{Context, Extracted, Extraction, Texts, quote};
use crate::read::grid::{Cell, CellRef, Row, Sheet};
use crate::schedule::{Issue, Shift};
use crate::template::model::{Field, StoreSource};
use crate::template::set::CompiledTemplate;
use crate::values::dates::{self, DateOrder};
use crate::values::names;
use crate::values::timespec::{self, TimeError};
use arcstr::ArcStr;
use chrono::{NaiveDate, NaiveTime};

/// Where a rows layout was found on one sheet.
#[derive(Debug, Clone)]
pub struct RowsLayout {
    pub sheet: usize,
    pub header_row: u32,
    /// `(field, column)` for every mapped column (first column wins per field).
    pub columns: Vec<(Field, u32)>,
    pub score: i64,
    /// A column of weekday names beside the date column (`Day`: `Thursday`): a date the
    /// weekday contradicts is an error, so the date order the weekdays agree with wins.
    pub weekday_col: Option<u32>,
}

impl RowsLayout {
    fn col(&self, f: Field) -> Option<u32> {
        self.columns.iter().find(|(x, _)| *x == f).map(|(_, c)| *c)
    }

    /// The column a shift's start time is read from (a too-long shift points there).
    fn time_col(&self) -> Option<u32> {
        [Field::Start, Field::Shift, Field::StartDatetime]
            .into_iter()
            .find_map(|f| self.col(f))
    }

    /// The column a shift's date is read from (a far-off date points there).
    fn date_col(&self) -> Option<u32> {
        self.col(Field::Date).or(self.col(Field::StartDatetime))
    }
}

/// The fields a header row maps, by column.
fn header_fields(cells: &[Cell], t: &CompiledTemplate) -> Vec<(Field, u32)> {
    let mut best: Vec<(Field, usize, u32)> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let Some((f, rank)) = c.as_text().and_then(|s| t.field_rank_of(s)) else {
            continue;
        };
        match best.iter_mut().find(|(x, _, _)| *x == f) {
            Some(b) if rank < b.1 => *b = (f, rank, i as u32),
            Some(_) => {}
            None => best.push((f, rank, i as u32)),
        }
    }
    best.into_iter().map(|(f, _, c)| (f, c)).collect()
}

/// Why a mapped header cannot produce shifts, if it cannot.
fn missing(fields: &[(Field, u32)]) -> Option<&'static str> {
    let has = |f| fields.iter().any(|(x, _)| *x == f);
    if !(has(Field::EmployeeName) || has(Field::FirstName) || has(Field::LastName)) {
        return Some("no employee column");
    }
    let datetimes = has(Field::StartDatetime) && has(Field::EndDatetime);
    let pair = has(Field::Start) && has(Field::End);
    if !(datetimes || pair || has(Field::Shift)) {
        return Some("no start/end or shift columns");
    }
    if !datetimes && !has(Field::Date) && !pair {
        return Some("no date column");
    }
    None
}

/// Header words of a column that holds the weekday name of the row's date.
const WEEKDAY_HEADERS: [&str; 7] = [
    "day",
    "weekday",
    "dayofweek",
    "dow",
    "wochentag",
    "tag",
    "jour",
];

/// The weekday column of a header row: a weekday header that is not mapped to a field.
fn weekday_column(cells: &[Cell], fields: &[(Field, u32)]) -> Option<u32> {
    cells.iter().enumerate().find_map(|(i, c)| {
        let k = crate::template::set::norm_key(c.as_text()?);
        let mapped = fields.iter().any(|(_, col)| *col as usize == i);
        (!mapped && WEEKDAY_HEADERS.contains(&k.as_str())).then_some(i as u32)
    })
}

/// The header of a time-off, availability or absence sheet (Teams' `Time Off` sheet beside
/// its shifts): such rows are no shifts even though they have a member and times.
fn not_a_shift_list<'a>(cells: &'a [Cell], t: &CompiledTemplate) -> Option<&'a str> {
    cells.iter().filter_map(Cell::as_text).find(|s| {
        let k = crate::template::set::norm_key(s);
        !k.is_empty() && t.not_shift_headers.contains(&k)
    })
}

/// Find the header row on a sheet: the first of the top rows that maps the most fields and can
/// produce shifts.
pub fn locate(sheet: &Sheet, index: usize, t: &CompiledTemplate) -> Result<RowsLayout, String> {
    let mut best: Option<RowsLayout> = None;
    let mut best_reason = "no header row".to_string();
    for row in sheet
        .rows()
        .iter()
        .take(t.def.values.header_search_rows as usize)
    {
        let fields = header_fields(&row.cells, t);
        if fields.len() < 2 {
            continue;
        }
        if let Some(h) = not_a_shift_list(&row.cells, t) {
            best_reason = format!(
                "header row {} is a {h} list, not shifts (values.not_shift_headers)",
                row.index + 1
            );
            continue;
        }
        if let Some(why) = missing(&fields) {
            if best.is_none() {
                best_reason = format!("header row {} has {}", row.index + 1, why);
            }
            continue;
        }
        // A header signature that holds makes the template more specific than a generic one.
        let score = fields.len() as i64 * 10 + t.signature.len() as i64 * 20;
        if best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(RowsLayout {
                sheet: index,
                header_row: row.index,
                weekday_col: weekday_column(&row.cells, &fields),
                columns: fields,
                score,
            });
        }
    }
    let layout = best.ok_or(best_reason)?;
    for sig in &t.signature {
        let found = sheet.row(layout.header_row).iter().any(|c| {
            c.as_text()
                .is_some_and(|s| crate::template::set::norm_key(s) == *sig)
        });
        if !found {
            return Err(format!("header signature {sig:?} not in the header row"));
        }
    }
    Ok(layout)
}

/// Extract shifts from the rows below the header.
pub fn extract(
    sheet: &Sheet,
    l: &RowsLayout,
    ctx: &Context<'_>,
    limit: Option<usize>,
    out: &mut Extraction,
) {
    let mut walk = Walk::new(sheet, l, ctx, limit);
    let mut seen = 0usize;
    for row in sheet.rows().iter().filter(|r| r.index > l.header_row) {
        if limit.is_some_and(|n| seen >= n) {
            break;
        }
        seen += usize::from(walk.step(row, out));
    }
}

/// [`extract`] for a sheet read only in part: the rows of `head` (the sheet as far as it was
/// read, where the layout was found), then the rows `rest` hands over one at a time, none of
/// them held. What the walk learns from the rows above the header (title store, section
/// date) and whether names carry down come from the head.
pub fn extract_streamed<E>(
    head: &Sheet,
    l: &RowsLayout,
    ctx: &Context<'_>,
    out: &mut Extraction,
    rest: impl FnOnce(&mut dyn FnMut(&Row)) -> Result<(), E>,
) -> Result<(), E> {
    let mut walk = Walk::new(head, l, ctx, None);
    for row in head.rows().iter().filter(|r| r.index > l.header_row) {
        walk.step(row, out);
    }
    rest(&mut |row: &Row| {
        if row.index > l.header_row {
            walk.step(row, out);
        }
    })
}

/// What a row below the header is.
enum RowKind {
    /// Nothing filled in.
    Blank,
    /// Only a date, in a roster without a date column: it dates the rows below it.
    SectionDate(NaiveDate),
    /// Only a store title: the store of the rows below it.
    SectionStore(i32),
    /// A note line, a skipped label, a repeated header or a row with no mapped value.
    Ignored,
    /// A row to read a shift from.
    Shift,
}

/// The state of one walk down a rows layout: what the rows above say about the rows below.
struct Walk<'a> {
    sheet: &'a Sheet,
    l: &'a RowsLayout,
    ctx: &'a Context<'a>,
    t: &'a CompiledTemplate,
    order: DateOrder,
    /// The caller's store, else the one the sheet names (title, sheet name, file name), else
    /// the inbox folder's.
    sheet_store: Option<i32>,
    reads_titles: bool,
    /// A daily roster without a date column: a row holding only a date (`Monday, November 24,
    /// 2025`) dates the rows below it; the nearest one above the header dates the first rows.
    dated_by_sections: bool,
    /// A report grouped by employee writes the name on a group's first row only. When rows
    /// without a name are that common (at least as many as named ones), the name carries down
    /// to the next blank row or name; a lone missing name in a flat list stays an error.
    carry_names: bool,
    header_texts: Vec<(u32, String)>,
    first_col: u32,
    section_store: Option<i32>,
    section_date: Option<NaiveDate>,
    carried_name: Option<ArcStr>,
    no_store_reported: bool,
    /// One copy of each name, phone, position and note the walk reads.
    texts: Texts,
}

impl<'a> Walk<'a> {
    /// Start a walk below the header: the sheet's store, the first section date, the header.
    fn new(
        sheet: &'a Sheet,
        l: &'a RowsLayout,
        ctx: &'a Context<'a>,
        limit: Option<usize>,
    ) -> Self {
        let t = ctx.template;
        let order = t.def.values.date_order;
        let dated_by_sections = l.col(Field::Date).is_none();
        let section_date = if dated_by_sections {
            sheet
                .rows()
                .iter()
                .take_while(|r| r.index < l.header_row)
                .filter_map(|r| lone_date(r, order))
                .last()
        } else {
            None
        };
        Walk {
            sheet,
            l,
            ctx,
            t,
            order,
            sheet_store: ctx
                .store_override
                .or_else(|| store::sheet_store(sheet, l.header_row, ctx.file_name, t))
                .or(ctx.store_fallback),
            reads_titles: t.def.store.from.contains(&StoreSource::Title),
            dated_by_sections,
            carry_names: carries_names(sheet, l, limit),
            header_texts: header_texts(sheet, l.header_row),
            first_col: l.columns.iter().map(|(_, c)| *c).min().unwrap_or(0),
            section_store: None,
            section_date,
            carried_name: None,
            no_store_reported: false,
            texts: Texts::default(),
        }
    }

    /// Take one row below the header; whether it was a shift row.
    fn step(&mut self, row: &Row, out: &mut Extraction) -> bool {
        match self.classify(row) {
            // A blank row ends an employee's group.
            RowKind::Blank => self.carried_name = None,
            RowKind::SectionDate(d) => self.section_date = Some(d),
            RowKind::SectionStore(n) => self.section_store = Some(n),
            RowKind::Ignored => {}
            RowKind::Shift => {
                out.rows_read += 1;
                self.read_row(row, out);
                return true;
            }
        }
        false
    }

    /// What a row is: blank, a section line, a line to ignore, or a shift row.
    fn classify(&self, row: &Row) -> RowKind {
        let (l, t) = (self.l, self.t);
        let fields = self.fields(row);
        let mapped_values = l
            .columns
            .iter()
            .filter(|(f, _)| !fields.get(*f).is_empty())
            .count();
        let mut non_empty = row.cells.iter().enumerate().filter(|(_, c)| !c.is_empty());
        let Some((first_col_used, first_value)) = non_empty.next() else {
            return RowKind::Blank;
        };
        let lone = non_empty.next().is_none();
        if lone
            && self.dated_by_sections
            && let Some(d) = dates::cell_date(first_value, self.order)
        {
            return RowKind::SectionDate(d);
        }
        // A row holding only a store title starts that store's rows.
        if lone
            && let Some(s) = first_value.as_text()
            && self.reads_titles
            && let Some(n) = t
                .store_re
                .captures(s)
                .and_then(|c| c.get(1)?.as_str().parse().ok())
        {
            return RowKind::SectionStore(n);
        }
        // A lone text outside the name columns is a note line (`Printed 11/22/2025 3:15 PM`,
        // `Approved by`), not a shift: a shift needs at least a name and a time.
        if lone
            && first_value.as_text().is_some()
            && !l
                .columns
                .iter()
                .any(|(f, c)| f.is_name() && *c as usize == first_col_used)
        {
            return RowKind::Ignored;
        }
        let label = label_of(row, l);
        if label.as_deref().is_some_and(|s| t.is_skip_row(s)) {
            return RowKind::Ignored;
        }
        if mapped_values == 0 || (label.is_some() && is_repeated_header(row, &self.header_texts)) {
            return RowKind::Ignored;
        }
        RowKind::Shift
    }

    /// The mapped cells of one row.
    fn fields<'r>(&self, row: &'r Row) -> RowCells<'r>
    where
        'a: 'r,
    {
        RowCells {
            sheet: self.sheet,
            row,
            l: self.l,
            first_col: self.first_col,
        }
    }

    /// Read a shift row: its shifts, or the issue that rejects it (or notes an open shift).
    fn read_row(&mut self, row: &Row, out: &mut Extraction) {
        let fields = self.fields(row);
        let name = self.row_name(&fields);

        // Times (and the date when they carry one).
        let get = |f: Field| fields.get(f);
        let cref = |f: Field| fields.cref(f);
        let times = read_times(row, self.l, self.order, &get, &cref, self.t);
        let (date_from_times, ranges) = match times {
            Ok(Some(x)) => x,
            Ok(None) => return, // a no-shift word in the shift column
            Err(issue) => {
                out.issues.push(*issue);
                out.rows_rejected += 1;
                return;
            }
        };

        // A shift with times and nobody assigned is an open shift (When I Work, Deputy, Teams
        // export them): not a mistake, and nothing to store.
        let Some(name) = name else {
            out.issues
                .push(open_shift(self.sheet, row.index, self.l, self.first_col));
            return;
        };
        let date = match self.row_date(&fields, date_from_times) {
            Ok(d) => d,
            Err(issue) => {
                out.issues.push(*issue);
                out.rows_rejected += 1;
                return;
            }
        };
        let Some(store_number) = self.row_store(&fields) else {
            self.no_store(&fields, out);
            return;
        };
        RowShift::read(&fields, &mut self.texts, name, store_number, date).push(ranges, out);
    }

    /// The row's employee: its name cells, else the name carried down from the group's first
    /// row; none for an open shift.
    fn row_name(&mut self, fields: &RowCells<'_>) -> Option<ArcStr> {
        let name: Option<ArcStr> = match self.l.col(Field::EmployeeName) {
            Some(_) => {
                cells::text(fields.get(Field::EmployeeName)).and_then(|s| names::display_name(&s))
            }
            None => names::join_name(
                cells::text(fields.get(Field::FirstName)).as_deref(),
                cells::text(fields.get(Field::LastName)).as_deref(),
            ),
        }
        .map(|n| self.texts.get(&n));
        // `Open Shift` in the name column: nobody is assigned (never carried down).
        let open_marked = name.as_deref().is_some_and(|n| self.t.is_open_shift(n));
        match name {
            _ if open_marked => None,
            Some(n) => {
                self.carried_name = Some(n.clone());
                Some(n)
            }
            None if self.carry_names => self.carried_name.clone(),
            None => None,
        }
    }

    /// The row's date: the date column, else the times' date or the section's; an error when
    /// it does not read, the weekday column disagrees, or there is none.
    fn row_date(
        &self,
        fields: &RowCells<'_>,
        date_from_times: Option<NaiveDate>,
    ) -> Result<NaiveDate, Box<Issue>> {
        let (l, order) = (self.l, self.order);
        let date = match l.col(Field::Date) {
            Some(_) => {
                let c = fields.get(Field::Date);
                match dates::cell_date(c, order) {
                    Some(d) => Some(d),
                    None if c.is_empty() => date_from_times,
                    None => {
                        return Err(Box::new(Issue::error(
                            "unreadable_date",
                            Some(fields.cref(Field::Date)),
                            format!(
                                "cannot read the date {} (expected e.g. {})",
                                cells::text(c).map(|s| quote(&s)).unwrap_or_default(),
                                example_date(order)
                            ),
                        )));
                    }
                }
            }
            None => date_from_times.or(self.section_date),
        };
        if let Some(issue) = weekday_disagrees(fields.row, l, date, self.sheet, order) {
            return Err(Box::new(issue));
        }
        date.ok_or_else(|| {
            Box::new(Issue::error(
                "missing_date",
                Some(if l.col(Field::Date).is_some() {
                    fields.cref(Field::Date)
                } else {
                    fields.first_ref()
                }),
                "no date for this shift: fill in the date",
            ))
        })
    }

    /// The row's store: the caller's, the store column, the section's title, or the sheet's.
    fn row_store(&self, fields: &RowCells<'_>) -> Option<i32> {
        match self.ctx.store_override {
            Some(s) => Some(s),
            None => match self.l.col(Field::StoreNumber) {
                Some(_) => store::from_cell(fields.get(Field::StoreNumber), &self.t.store_re)
                    .or(self.section_store)
                    .or(self.sheet_store),
                None => self.section_store.or(self.sheet_store),
            },
        }
    }

    /// Reject a row without a store: its store cell does not read, or (said once) nothing
    /// names the store.
    fn no_store(&mut self, fields: &RowCells<'_>, out: &mut Extraction) {
        if !fields.get(Field::StoreNumber).is_empty() {
            out.issues.push(Issue::error(
                "unreadable_store",
                Some(fields.cref(Field::StoreNumber)),
                "cannot read the store number (expected e.g. 1042 or Store 1042)",
            ));
        } else if !self.no_store_reported {
            self.no_store_reported = true;
            out.issues.push(Issue::error(
                "missing_store",
                Some(fields.first_ref()),
                "no store number: add a store column, a title such as \"Store 1042\", or give the store when importing",
            ));
        }
        out.rows_rejected += 1;
    }
}

/// One row's cells by field, and their references.
struct RowCells<'r> {
    sheet: &'r Sheet,
    row: &'r Row,
    l: &'r RowsLayout,
    first_col: u32,
}

impl<'r> RowCells<'r> {
    /// The cell of a field, empty when the field is not mapped or the row is short.
    fn get(&self, f: Field) -> &'r Cell {
        self.l
            .col(f)
            .and_then(|c| self.row.cells.get(c as usize))
            .unwrap_or(&Cell::Empty)
    }

    /// The reference of a field's cell (the first mapped column when the field is not mapped).
    fn cref(&self, f: Field) -> CellRef {
        self.sheet
            .cell_ref(self.row.index, self.l.col(f).unwrap_or(self.first_col))
    }

    /// The reference of the row's first mapped cell: where its shifts come from.
    fn first_ref(&self) -> CellRef {
        self.sheet.cell_ref(self.row.index, self.first_col)
    }
}

/// What the shifts of one row share: who works them, at which store, on which day, and the
/// cells they were read from. It knows no layout, so a grid extractor can push through it too.
#[derive(Debug, Clone)]
pub(super) struct RowShift {
    pub(super) store_number: i32,
    pub(super) name: ArcStr,
    pub(super) phone: Option<ArcStr>,
    pub(super) position: Option<ArcStr>,
    pub(super) notes: Option<ArcStr>,
    pub(super) date: NaiveDate,
    /// The cell every shift of the row points at.
    pub(super) source: CellRef,
    /// See [`Extracted::time_col`].
    pub(super) time_col: Option<u32>,
    /// See [`Extracted::date_col`].
    pub(super) date_col: Option<u32>,
}

impl RowShift {
    /// The shifts of a rows-layout row: its position, notes and phone columns beside the
    /// name, store and date already read.
    fn read(
        fields: &RowCells<'_>,
        texts: &mut Texts,
        name: ArcStr,
        store_number: i32,
        date: NaiveDate,
    ) -> Self {
        let mut text = |f: Field, tidy: fn(&str) -> Option<String>| {
            cells::text(fields.get(f))
                .and_then(|s| tidy(&s))
                .map(|s| texts.get(&s))
        };
        RowShift {
            store_number,
            name,
            phone: text(Field::EmployeePhone, names::phone_text),
            position: text(Field::Position, |s| Some(names::collapse(s))),
            notes: text(Field::Notes, |s| Some(names::collapse(s))),
            date,
            source: fields.first_ref(),
            time_col: fields.l.time_col(),
            date_col: fields.l.date_col(),
        }
    }

    /// Push one shift per time range (start, end, true length in minutes).
    pub(super) fn push(&self, ranges: Ranges, out: &mut Extraction) {
        for (start, end, minutes) in ranges {
            out.shifts.push(Extracted::new(
                Shift {
                    store_number: self.store_number,
                    employee_name: self.name.clone(),
                    employee_phone: self.phone.clone(),
                    date: self.date,
                    start,
                    end,
                    position: self.position.clone(),
                    notes: self.notes.clone(),
                    source: self.source.clone(),
                },
                minutes,
                self.time_col,
                self.date_col,
            ));
        }
    }
}

/// The date a row holding only a date gives (`Monday, November 24, 2025`).
fn lone_date(row: &Row, order: DateOrder) -> Option<NaiveDate> {
    let mut filled = row.cells.iter().filter(|c| !c.is_empty());
    let only = filled.next()?;
    if filled.next().is_some() {
        return None;
    }
    dates::cell_date(only, order)
}

/// The header row's texts by column, normalised (to spot the header repeated below).
fn header_texts(sheet: &Sheet, header_row: u32) -> Vec<(u32, String)> {
    sheet
        .row(header_row)
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i as u32, crate::template::set::norm_key(c.as_text()?))))
        .collect()
}

type Ranges = Vec<(NaiveTime, NaiveTime, i64)>;

/// The notice for a shift nobody is assigned to, on the row's name cell.
fn open_shift(sheet: &Sheet, row: u32, l: &RowsLayout, first_col: u32) -> Issue {
    let col = l
        .col(Field::EmployeeName)
        .or(l.col(Field::LastName))
        .or(l.col(Field::FirstName))
        .unwrap_or(first_col);
    Issue::notice(
        "open_shift",
        Some(sheet.cell_ref(row, col)),
        "an open shift (nobody assigned): not imported; it is imported once someone is assigned",
    )
}

/// An error when the row's weekday column names another weekday than its date (`Thursday`
/// beside `06/03/2025` read month-first): the date order is wrong for this file, so the
/// template with the other order reads it instead.
fn weekday_disagrees(
    row: &Row,
    l: &RowsLayout,
    date: Option<NaiveDate>,
    sheet: &Sheet,
    order: DateOrder,
) -> Option<Issue> {
    use chrono::Datelike;
    let (col, date) = (l.weekday_col?, date?);
    let said = row.cells.get(col as usize)?.as_text()?;
    let wd = dates::weekday_word(said)?;
    if date.weekday() == wd {
        return None;
    }
    Some(Issue::error(
        "unreadable_date",
        Some(sheet.cell_ref(row.index, l.col(Field::Date).unwrap_or(col))),
        format!(
            "the date reads as {} ({}) in {} order, but the row says {wd}: check the date order",
            date.format("%Y-%m-%d"),
            date.weekday(),
            order.describe()
        ),
    ))
}

/// Read the row's times: `Ok(None)` when the shift column says no shift.
fn read_times<'c>(
    row: &'c Row,
    l: &RowsLayout,
    order: DateOrder,
    get: &dyn Fn(Field) -> &'c Cell,
    cref: &dyn Fn(Field) -> crate::read::grid::CellRef,
    t: &CompiledTemplate,
) -> Result<Option<(Option<NaiveDate>, Ranges)>, Box<Issue>> {
    let _ = row;
    let unreadable = |f: Field, what: &str, c: &Cell, e: TimeError| {
        let shown = cells::text(c).map(|s| quote(&s)).unwrap_or_default();
        Box::new(match e {
            TimeError::Empty => Issue::error(
                "missing_time",
                Some(cref(f)),
                format!("no {what} time: fill it in"),
            ),
            _ => Issue::error(
                "unreadable_time",
                Some(cref(f)),
                format!("cannot read the {what} time {shown}: {e}"),
            ),
        })
    };
    if l.col(Field::StartDatetime).is_some() && l.col(Field::EndDatetime).is_some() {
        let (sc, ec) = (get(Field::StartDatetime), get(Field::EndDatetime));
        let Some(s) = cells::datetime(sc, order) else {
            return Err(unreadable(
                Field::StartDatetime,
                "start",
                sc,
                if sc.is_empty() {
                    TimeError::Empty
                } else {
                    TimeError::Unreadable
                },
            ));
        };
        let (end, minutes) = match cells::datetime(ec, order) {
            Some(e) => (e.time(), (e - s).num_minutes()),
            None => {
                // An end written as a bare time belongs to the start's day or the next.
                let c = cells::clock(ec, order)
                    .map_err(|e| unreadable(Field::EndDatetime, "end", ec, e))?;
                let r = timespec::resolve(timespec::Clock::exact(s.time()), c, None);
                (r.end, r.minutes() as i64)
            }
        };
        if minutes < 0 {
            return Err(Box::new(Issue::error(
                "end_before_start",
                Some(cref(Field::EndDatetime)),
                "the shift ends before it starts: check the end date and time",
            )));
        }
        return Ok(Some((Some(s.date()), vec![(s.time(), end, minutes)])));
    }
    if l.col(Field::Start).is_some() && l.col(Field::End).is_some() {
        let (sc, ec) = (get(Field::Start), get(Field::End));
        if sc.is_empty()
            && ec.is_empty()
            && let Some(f) = l.col(Field::Shift).map(|_| Field::Shift)
        {
            return shift_column(get(f), f, order, cref, t);
        }
        if sc.as_text().is_some_and(|s| t.is_no_shift(s)) {
            return Ok(None);
        }
        let s = cells::clock(sc, order).map_err(|e| unreadable(Field::Start, "start", sc, e))?;
        let e = cells::clock(ec, order).map_err(|e| unreadable(Field::End, "end", ec, e))?;
        let r = timespec::resolve(s, e, None);
        let date = cells::datetime(sc, order).map(|d| d.date());
        return Ok(Some((date, vec![(r.start, r.end, r.minutes() as i64)])));
    }
    shift_column(get(Field::Shift), Field::Shift, order, cref, t)
}

fn shift_column(
    c: &Cell,
    f: Field,
    _order: DateOrder,
    cref: &dyn Fn(Field) -> crate::read::grid::CellRef,
    t: &CompiledTemplate,
) -> Result<Option<(Option<NaiveDate>, Ranges)>, Box<Issue>> {
    let Some(text) = cells::text(c) else {
        return Err(Box::new(Issue::error(
            "missing_time",
            Some(cref(f)),
            "no shift time: fill it in (e.g. 9a-5:30p)",
        )));
    };
    if t.is_no_shift(&text) {
        return Ok(None);
    }
    match timespec::parse_ranges(&text) {
        Ok(rs) => Ok(Some((
            None,
            rs.into_iter()
                .map(|r| (r.start, r.end, r.minutes() as i64))
                .collect(),
        ))),
        Err(e) => Err(Box::new(Issue::error(
            "unreadable_time",
            Some(cref(f)),
            format!("cannot read the shift {}: {e}", quote(&text)),
        ))),
    }
}

/// The row's label for skip rules: the employee cell, else the first text cell.
fn label_of(row: &Row, l: &RowsLayout) -> Option<String> {
    let name_col = l
        .col(Field::EmployeeName)
        .or(l.col(Field::LastName))
        .or(l.col(Field::FirstName));
    name_col
        .and_then(|c| row.cells.get(c as usize))
        .and_then(cells::text)
        .or_else(|| section_label(row))
}

/// Whether the rows below the header are grouped by employee: among rows with a time, those
/// without a name are at least as many as those with one (and two or more have one). A trial
/// (`limit`) looks at as many rows as it reads.
fn carries_names(sheet: &Sheet, l: &RowsLayout, limit: Option<usize>) -> bool {
    let cols = |keep: fn(Field) -> bool| -> Vec<usize> {
        l.columns
            .iter()
            .filter(|(f, _)| keep(*f))
            .map(|(_, c)| *c as usize)
            .collect()
    };
    let name_cols = cols(Field::is_name);
    let time_cols = cols(|f| matches!(f, Field::Start | Field::Shift | Field::StartDatetime));
    let filled = |row: &Row, cs: &[usize]| {
        cs.iter()
            .any(|c| row.cells.get(*c).is_some_and(|x| !x.is_empty()))
    };
    let (mut named, mut unnamed) = (0usize, 0usize);
    let below = sheet.rows().iter().filter(|r| r.index > l.header_row);
    for row in below.take(limit.unwrap_or(usize::MAX)) {
        if filled(row, &time_cols) {
            if filled(row, &name_cols) {
                named += 1;
            } else {
                unnamed += 1;
            }
        }
    }
    named >= 2 && unnamed >= named
}

/// The label of a row with an empty name cell: its first text, when the row is short enough
/// to be a section or totals line (a shift row without a name must not be skipped silently).
pub fn section_label(row: &Row) -> Option<String> {
    let filled = row.cells.iter().filter(|c| !c.is_empty()).count();
    if filled > 2 {
        return None;
    }
    row.cells
        .iter()
        .find_map(|c| c.as_text().filter(|s| !s.is_empty()).map(str::to_string))
}

/// A header row repeated below (page breaks in exports).
fn is_repeated_header(row: &Row, header: &[(u32, String)]) -> bool {
    // Cheap test first: a repeated header has the first header cell's word in its place.
    let Some((c0, h0)) = header.first() else {
        return false;
    };
    let first_matches = row
        .cells
        .get(*c0 as usize)
        .and_then(|x| x.as_text())
        .is_some_and(|s| s.len() <= 40 && crate::template::set::norm_key(s) == *h0);
    if !first_matches {
        return false;
    }
    let same = header
        .iter()
        .filter(|(c, h)| {
            !h.is_empty()
                && row
                    .cells
                    .get(*c as usize)
                    .and_then(|x| x.as_text())
                    .is_some_and(|s| crate::template::set::norm_key(s) == *h)
        })
        .count();
    same >= 2
}

fn example_date(order: DateOrder) -> &'static str {
    match order {
        DateOrder::Mdy => "11/24/2025",
        DateOrder::Dmy => "24.11.2025",
        DateOrder::Ymd => "2025-11-24",
    }
}
