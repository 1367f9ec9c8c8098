//! The error workbook (`NAME.errors.xlsx`) for spreadsheet and CSV input: a Problems sheet
//! (where, what is wrong, what to do, did you mean — each row linked to its cell) followed by
//! the manager's own sheets as read, with every cell that has a problem filled (red for
//! rejected, yellow for a warning) and a note saying what is wrong and what to do.
//!
//! Written with `rust_xlsxwriter` (a maintained, pure-Rust xlsx writer with cell notes,
//! formats and internal links; calamine only reads). Values are written as the reader typed
//! them (text, numbers, dates and times as Excel serials with a date/time format), so the copy
//! is the manager's data, not a picture of it; formulas arrive as their cached values. Bounded
//! for huge files: sheets of more than [`MAX_COPY_CELLS`] cells in all are not copied (the
//! Problems sheet still is written), at most [`MAX_NOTES`] notes, and a flood of one kind of
//! problem is one summary row with a few examples, as in the text report.

use super::feedback::Problem;
use super::report::{self, EXAMPLES, FLOOD_AT};
use crate::read::grid::{Cell, CellRef, Grid, Sheet};
use crate::schedule::Severity;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rust_xlsxwriter::{Color, Format, FormatPattern, Note, Url, Workbook, Worksheet, XlsxError};
use std::collections::{BTreeMap, HashMap};

/// The name of the problems sheet.
pub const PROBLEMS_SHEET: &str = "Problems";
/// Sheets are copied only when they hold at most this many cells in all.
pub const MAX_COPY_CELLS: usize = 1_000_000;
/// Cell notes written at most (each is a drawing object; Excel slows down with very many).
pub const MAX_NOTES: usize = 2_000;
/// The columns of the Problems sheet.
const HEADER: [&str; 6] = [
    "Sheet",
    "Cell",
    "Problem",
    "What to do",
    "Did you mean",
    "Kind",
];

/// Write the error workbook for `grid` and its problems.
pub fn errors_xlsx(grid: &Grid, problems: &[Problem]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let names = sheet_names(grid);
    let copy = grid.cell_count() <= MAX_COPY_CELLS;
    let labels: HashMap<&str, &str> = grid
        .sheets
        .iter()
        .zip(&names)
        .map(|(s, n)| (&*s.name, n.as_str()))
        .collect();
    problems_sheet(wb.add_worksheet(), problems, &labels, copy)?;
    if copy {
        let mut flagged: HashMap<(&str, u32, u32), &Problem> = HashMap::new();
        for p in problems {
            if let Some(c) = &p.cell {
                // The first (most severe, problems are sorted) problem of a cell marks it.
                flagged.entry((&*c.sheet, c.row, c.col)).or_insert(p);
            }
        }
        let mut notes = 0usize;
        for (sheet, name) in grid.sheets.iter().zip(&names) {
            let ws = wb.add_worksheet();
            ws.set_name(name)?;
            copy_sheet(ws, sheet, &flagged, &mut notes)?;
        }
    }
    wb.save_to_buffer()
}

/// Excel-safe, distinct sheet names for the grid's sheets (31 characters, no `[]:*?/\`,
/// never "Problems").
fn sheet_names(grid: &Grid) -> Vec<String> {
    let mut used: Vec<String> = vec![PROBLEMS_SHEET.to_lowercase()];
    grid.sheets
        .iter()
        .map(|s| {
            let clean: String = s
                .name
                .chars()
                .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
                .collect();
            let clean = clean.trim_matches('\'').trim();
            let base: String = if clean.is_empty() {
                "Sheet".into()
            } else {
                clean.chars().take(31).collect()
            };
            let mut name = base.clone();
            let mut n = 2;
            while used.contains(&name.to_lowercase()) {
                let tail = format!(" ({n})");
                name = base.chars().take(31 - tail.len()).collect::<String>() + &tail;
                n += 1;
            }
            used.push(name.to_lowercase());
            name
        })
        .collect()
}

/// The Problems sheet: one row per problem, floods summarised, each row linked to its cell.
fn problems_sheet(
    ws: &mut Worksheet,
    problems: &[Problem],
    names: &HashMap<&str, &str>,
    linked: bool,
) -> Result<(), XlsxError> {
    ws.set_name(PROBLEMS_SHEET)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (c, w) in [18.0, 10.0, 60.0, 45.0, 24.0, 20.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let mut per_code: BTreeMap<(Severity, &str), usize> = BTreeMap::new();
    for p in problems {
        *per_code.entry((p.severity, p.code)).or_default() += 1;
    }
    let mut shown: BTreeMap<(Severity, &str), usize> = BTreeMap::new();
    let mut row = 1u32;
    for p in problems {
        let n = per_code[&(p.severity, p.code)];
        let k = shown.entry((p.severity, p.code)).or_default();
        *k += 1;
        if n > FLOOD_AT {
            if *k == 1 {
                ws.write_string_with_format(row, 2, report::flood_headline(p, n), &wrap)?;
                ws.write_string(row, 5, p.code)?;
                row += 1;
            }
            if *k > EXAMPLES {
                continue;
            }
        }
        problem_row(ws, row, p, names, linked, &wrap)?;
        row += 1;
    }
    if problems.is_empty() {
        ws.write_string(1, 2, "No problems.")?;
    }
    Ok(())
}

/// One row of the Problems sheet.
fn problem_row(
    ws: &mut Worksheet,
    row: u32,
    p: &Problem,
    names: &HashMap<&str, &str>,
    linked: bool,
    wrap: &Format,
) -> Result<(), XlsxError> {
    match &p.cell {
        Some(c) => {
            let sheet = sheet_label(c, names);
            ws.write_string(row, 0, &sheet)?;
            let a1 = c.a1();
            if linked && c.page.is_none() {
                let target = format!("internal:'{}'!{a1}", sheet.replace('\'', "''"));
                ws.write_url(row, 1, Url::new(target).set_text(&a1))?;
            } else {
                ws.write_string(row, 1, &a1)?;
            }
        }
        None => {
            ws.write_string(row, 0, "whole file")?;
        }
    }
    let what = match p.severity {
        Severity::Error => format!("NOT imported: {}", p.message),
        Severity::Warning => format!("Warning: {}", p.message),
        Severity::Notice => format!("Note: {}", p.message),
    };
    ws.write_string_with_format(row, 2, &what, wrap)?;
    ws.write_string_with_format(row, 3, p.advice, wrap)?;
    if let Some(h) = &p.hint {
        ws.write_string(row, 4, &h.text)?;
    }
    ws.write_string(row, 5, p.code)?;
    Ok(())
}

/// The copied sheet's name for a problem's cell (grid sheet names map to written names).
fn sheet_label(c: &CellRef, names: &HashMap<&str, &str>) -> String {
    names
        .get(&*c.sheet)
        .map(|n| n.to_string())
        .unwrap_or_else(|| c.sheet.to_string())
}

/// Copy one sheet's cells, marking and annotating the flagged ones.
fn copy_sheet(
    ws: &mut Worksheet,
    sheet: &Sheet,
    flagged: &HashMap<(&str, u32, u32), &Problem>,
    notes: &mut usize,
) -> Result<(), XlsxError> {
    let red = fill(0xFFC7CE);
    let yellow = fill(0xFFEB9C);
    let blue = fill(0xDDEBF7);
    let date = Format::new().set_num_format("mm/dd/yyyy");
    let time = Format::new().set_num_format("hh:mm");
    let datetime = Format::new().set_num_format("mm/dd/yyyy hh:mm");
    let plain = Format::new();
    for r in sheet.rows() {
        for (col, cell) in r.cells.iter().enumerate() {
            let Ok(c16) = u16::try_from(col) else { break };
            if c16 > 16_383 {
                break;
            }
            let flag = flagged.get(&(&*sheet.name, r.index, col as u32));
            let mark = match flag.map(|p| p.severity) {
                Some(Severity::Error) => &red,
                Some(Severity::Warning) => &yellow,
                Some(Severity::Notice) => &blue,
                None => &plain,
            };
            // A marked date or time keeps its number format under the fill.
            let typed = |f: &Format, num: &str| match flag {
                Some(_) => mark.clone().set_num_format(num),
                None => f.clone(),
            };
            match cell {
                Cell::Empty if flag.is_some() => {
                    ws.write_blank(r.index, c16, mark)?;
                }
                Cell::Empty => {}
                Cell::Text(t) => {
                    ws.write_string_with_format(r.index, c16, t, mark)?;
                }
                Cell::Error(t) => {
                    ws.write_string_with_format(r.index, c16, t, mark)?;
                }
                Cell::Number(n) => {
                    ws.write_number_with_format(r.index, c16, *n, mark)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean_with_format(r.index, c16, *b, mark)?;
                }
                Cell::Date(d) => {
                    let f = typed(&date, "mm/dd/yyyy");
                    ws.write_number_with_format(r.index, c16, date_serial(*d), &f)?;
                }
                Cell::Time(t) => {
                    let f = typed(&time, "hh:mm");
                    ws.write_number_with_format(r.index, c16, time_serial(*t), &f)?;
                }
                Cell::DateTime(dt) => {
                    let f = typed(&datetime, "mm/dd/yyyy hh:mm");
                    ws.write_number_with_format(r.index, c16, datetime_serial(*dt), &f)?;
                }
            }
            if let Some(p) = flag
                && *notes < MAX_NOTES
            {
                ws.insert_note(r.index, c16, &note(p))?;
                *notes += 1;
            }
        }
    }
    // Flagged cells beyond a row's stored cells (an empty cell at the end of a row).
    for (&(s, row, col), p) in flagged {
        if s != &*sheet.name || (col as usize) < sheet.row(row).len() {
            continue;
        }
        let Ok(c16) = u16::try_from(col) else {
            continue;
        };
        let mark = if p.severity == Severity::Error {
            &red
        } else {
            &yellow
        };
        ws.write_blank(row, c16, mark)?;
        if *notes < MAX_NOTES {
            ws.insert_note(row, c16, &note(p))?;
            *notes += 1;
        }
    }
    Ok(())
}

fn fill(rgb: u32) -> Format {
    Format::new()
        .set_background_color(Color::RGB(rgb))
        .set_pattern(FormatPattern::Solid)
}

/// The note on a flagged cell: what is wrong, what to do, what was probably meant.
fn note(p: &Problem) -> Note {
    let mut text = format!(
        "{}: {}\n{}",
        if p.severity == Severity::Error {
            "NOT imported"
        } else {
            "Warning"
        },
        p.message,
        p.advice
    );
    if let Some(h) = &p.hint {
        text.push('\n');
        text.push_str(&h.sentence());
    }
    Note::new(text)
        .set_author("pharmacy-ingest")
        .set_width(320)
        .set_height(120)
}

/// Excel's serial day number (1900 date system).
fn date_serial(d: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (d - epoch).num_days() as f64
}

fn time_serial(t: NaiveTime) -> f64 {
    f64::from(t.num_seconds_from_midnight()) / 86_400.0
}

fn datetime_serial(dt: NaiveDateTime) -> f64 {
    date_serial(dt.date()) + time_serial(dt.time())
}
