//! What a store manager gets back for one file, beside it in the folders: a short receipt for
//! every file (`NAME.result.txt`), the report of problems (`NAME.errors.txt`) for a file that
//! was refused, partly imported or held, and, for spreadsheet and CSV input with problems in
//! cells, the error workbook (`NAME.errors.xlsx`: their own sheets with the bad cells marked).
//!
//! Problems are the import's issues made ready for people: sorted by cell, with advice per
//! kind, a "did you mean" where a typo is likely ([`super::hints`]), and a store problem
//! pointed at the cell the store number came from (the title or the store column) rather
//! than the first shift of that store. The file is read again only for that (its grid), and
//! only when there are problems in cells.

use super::hints::{self, Hint};
use super::replace::count;
use super::report::{self, capitalise};
use super::{ImportOutcome, ImportStatus};
use crate::read::grid::{Cell, CellRef, Grid, SourceFormat};
use crate::read::{ReadOptions, read_bytes};
use crate::schedule::Severity;
use std::fmt::Write;

/// A file written beside the manager's file: its name is the file's name plus `suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sidecar {
    pub suffix: &'static str,
    pub bytes: Vec<u8>,
}

/// The receipt's suffix (`week48.xlsx.result.txt`).
pub const RESULT_TXT: &str = ".result.txt";
/// The problem report's suffix.
pub const ERRORS_TXT: &str = ".errors.txt";
/// The error workbook's suffix.
pub const ERRORS_XLSX: &str = ".errors.xlsx";
/// Every sidecar suffix, for moving a file together with its reports.
pub const SUFFIXES: [&str; 3] = [RESULT_TXT, ERRORS_TXT, ERRORS_XLSX];

/// One problem as a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub code: &'static str,
    pub cell: Option<CellRef>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub advice: &'static str,
    pub hint: Option<Hint>,
}

/// The import's issues as problems, sorted (whole-file first, then by sheet and cell). With
/// the file's grid, unreadable times get typo hints and store problems point at the cell
/// that names the store.
pub fn problems(outcome: &ImportOutcome, grid: Option<&Grid>) -> Vec<Problem> {
    let mut out: Vec<Problem> = outcome
        .issues
        .iter()
        .map(|i| {
            let mut cell = i.cell.clone();
            let mut hint = None;
            if let (Some(g), Some(c)) = (grid, &i.cell) {
                match i.code {
                    "unknown_store" | "wrong_store_inbox" => {
                        if let Some(n) = number_in(&i.message) {
                            cell = Some(store_cell(g, c, n).unwrap_or_else(|| c.clone()));
                        }
                    }
                    "unreadable_time" | "unreadable_shift" => {
                        hint = cell_text(g, c).and_then(|t| hints::for_time(&t));
                    }
                    _ => {}
                }
            }
            Problem {
                severity: i.severity,
                code: i.code,
                cell,
                message: i.message.to_string(),
                advice: advice(i.code),
                hint,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (std::cmp::Reverse(a.severity), &a.cell).cmp(&(std::cmp::Reverse(b.severity), &b.cell))
    });
    out
}

/// What to do about a problem of this kind.
pub fn advice(code: &str) -> &'static str {
    match code {
        "unreadable_time" | "unreadable_shift" => {
            "Type the shift as start-end, e.g. 9a-5:30p or 09:00-17:30 (OFF for a day off)."
        }
        "missing_time" => "Fill in the start and end time, or leave the whole row out.",
        "end_before_start" | "end_equals_start" => "Check the start and end times (AM/PM?).",
        "shift_too_long" => "Check AM/PM and the start and end times of this shift.",
        "missing_date" | "unreadable_date" => {
            "Type the date as in the other rows, e.g. 11/24/2025."
        }
        "date_far_from_week" => "Check the year and month of this date.",
        "missing_employee" => "Write the employee's name in this row.",
        "unknown_employee" => {
            "Check the spelling of the name, or ask your operator to add the employee."
        }
        "duplicate_shift" => "Remove one of the two identical shifts.",
        "overlapping_shift" => "Check both shifts of this employee on this day.",
        "unknown_store" | "missing_store" | "unreadable_store" => {
            "Check the store number here, or ask your operator to add the store."
        }
        "wrong_store_inbox" => "Drop the file into the inbox folder of its own store.",
        "replace_empties_day" | "replace_drops_employee" => {
            "Check that the file covers every day and everyone of the week."
        }
        "year_guessed" => "Add the year to the dates or a 'Week of' cell with the full date.",
        _ => "Correct this cell and drop the file again.",
    }
}

/// The first whole number in a message (the store number of a store problem).
fn number_in(message: &str) -> Option<i32> {
    message
        .split(|c: char| !c.is_ascii_digit())
        .find(|t| !t.is_empty())
        .and_then(|t| t.parse().ok())
}

/// A cell's text as the manager typed it.
fn cell_text(grid: &Grid, c: &CellRef) -> Option<String> {
    let sheet = grid.sheets.iter().find(|s| s.name == c.sheet)?;
    crate::extract::cells::text(sheet.get(c.row, c.col))
}

/// Whether a cell states store number `n` (a number cell, or `n` as a whole number in text).
fn names_store(cell: &Cell, n: i32) -> bool {
    match cell {
        Cell::Number(x) => *x == n as f64,
        Cell::Text(t) => t
            .split(|c: char| !c.is_ascii_digit())
            .any(|tok| tok.parse::<i32>().ok() == Some(n)),
        _ => false,
    }
}

/// Where store `n` of a shift at `at` came from: a cell of the shift's own row (a store
/// column), else the first cell above naming it (the title), else the sheet's first such cell.
fn store_cell(grid: &Grid, at: &CellRef, n: i32) -> Option<CellRef> {
    let sheet = grid.sheets.iter().find(|s| s.name == at.sheet)?;
    let in_row = sheet
        .row(at.row)
        .iter()
        .position(|c| names_store(c, n))
        .map(|col| sheet.cell_ref(at.row, col as u32));
    in_row.or_else(|| {
        sheet.rows().iter().find_map(|r| {
            r.cells
                .iter()
                .position(|c| names_store(c, n))
                .map(|col| sheet.cell_ref(r.index, col as u32))
        })
    })
}

/// The receipt: what happened to the file in a few lines.
pub fn receipt(file_name: &str, outcome: &ImportOutcome) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{file_name}: {}", headline(outcome));
    if outcome.rows_replaced > 0 {
        let _ = writeln!(
            out,
            "Replaced {} that earlier imports had stored for those stores and dates.",
            count(outcome.rows_replaced, "shift", "shifts")
        );
    }
    if outcome.rows_skipped > 0 {
        let _ = writeln!(
            out,
            "{} already stored {} not added again.",
            capitalise(&count(outcome.rows_skipped, "shift", "shifts")),
            if outcome.rows_skipped == 1 {
                "was"
            } else {
                "were"
            }
        );
    }
    replace_warnings(&mut out, outcome);
    match outcome.status {
        ImportStatus::Partial | ImportStatus::Failed | ImportStatus::Held => {
            let _ = writeln!(
                out,
                "Details: the {ERRORS_TXT} file beside this one{}.",
                if outcome.issues.iter().any(|i| i.cell.is_some()) {
                    format!(
                        " (and {ERRORS_XLSX} for spreadsheets: your sheet with the cells marked)"
                    )
                } else {
                    String::new()
                }
            );
        }
        _ => {}
    }
    let _ = writeln!(out, "Import id (for operators): {}", outcome.import_id);
    out
}

/// The first line of the receipt.
fn headline(o: &ImportOutcome) -> String {
    let stores = match o.store_numbers.as_slice() {
        [] => String::new(),
        [one] => format!(" for store {one}"),
        many => format!(
            " for stores {}",
            many.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dates = match (o.date_from, o.date_to) {
        (Some(a), Some(b)) if a == b => format!(", {}", a.format("%a %m/%d/%Y")),
        (Some(a), Some(b)) => format!(
            ", {} to {}",
            a.format("%a %m/%d/%Y"),
            b.format("%a %m/%d/%Y")
        ),
        _ => String::new(),
    };
    let shifts = count(o.rows_imported, "shift", "shifts");
    match o.status {
        ImportStatus::Succeeded => format!("imported {shifts}{stores}{dates}."),
        ImportStatus::Partial => format!(
            "imported {shifts}{stores}{dates}; {} could not be read and {} NOT imported.",
            count(o.rows_rejected, "row", "rows"),
            if o.rows_rejected == 1 { "was" } else { "were" }
        ),
        ImportStatus::Duplicate => match o.duplicate_of {
            Some((id, at)) => format!(
                "already imported on {} (import {id}); nothing changed.",
                at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M")
            ),
            None => "already imported before; nothing changed.".to_string(),
        },
        ImportStatus::Failed => format!(
            "NOT imported; nothing changed. {}",
            o.error.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_string(),
        ImportStatus::Held => format!(
            "NOT imported yet{stores}{dates}: replacing the stored shifts would leave a day with \
             nobody scheduled or drop an employee, so it waits for an operator's approval \
             (`pharmacy-ingest imports approve {}`). Nothing changed yet.",
            o.import_id
        ),
    }
}

/// Days left with nobody and employees dropped by a replace, names included (this file goes
/// only to the manager's own folder).
fn replace_warnings(out: &mut String, o: &ImportOutcome) {
    let r = &o.replaced;
    if !r.is_risky() {
        return;
    }
    let _ = writeln!(out, "Check these changes:");
    let mut lines: Vec<String> = r
        .emptied_days
        .iter()
        .map(|d| {
            format!(
                "{} at store {}: nobody is scheduled any more ({} replaced, none in this file).",
                d.date.format("%A %m/%d/%Y"),
                d.store_number,
                count(d.shifts, "shift", "shifts")
            )
        })
        .collect();
    lines.extend(r.dropped.iter().map(|e| {
        format!(
            "{} at store {}: had {} between {} and {}; this file has none for them.",
            e.name,
            e.store_number,
            count(e.shifts, "shift", "shifts"),
            e.first.format("%m/%d/%Y"),
            e.last.format("%m/%d/%Y")
        )
    }));
    for l in lines.iter().take(report::EXAMPLES) {
        let _ = writeln!(out, "  - {l}");
    }
    if lines.len() > report::EXAMPLES {
        let _ = writeln!(out, "  … and {} more.", lines.len() - report::EXAMPLES);
    }
}

/// Whether the error workbook can be made for this format (spreadsheets and CSV).
fn workbook_format(f: SourceFormat) -> bool {
    f != SourceFormat::Pdf
}

/// Everything to write beside the file: the receipt always; the report when the file was
/// refused, partly imported or held; the error workbook when problems point at cells of a
/// spreadsheet or CSV (`bytes` is the file, read again for its grid).
pub fn sidecars(
    file_name: &str,
    outcome: &ImportOutcome,
    bytes: Option<&[u8]>,
    read: &ReadOptions,
) -> Vec<Sidecar> {
    let mut out = vec![Sidecar {
        suffix: RESULT_TXT,
        bytes: receipt(file_name, outcome).into_bytes(),
    }];
    let wants_report = matches!(
        outcome.status,
        ImportStatus::Failed | ImportStatus::Partial | ImportStatus::Held
    );
    if !wants_report {
        return out;
    }
    let has_cells = outcome.issues.iter().any(|i| i.cell.is_some());
    let grid = bytes
        .filter(|_| has_cells)
        .and_then(|b| read_bytes(file_name, b, read).ok());
    let problems = problems(outcome, grid.as_ref());
    out.push(Sidecar {
        suffix: ERRORS_TXT,
        bytes: report::errors_txt(file_name, outcome, &problems).into_bytes(),
    });
    if let Some(g) = grid.as_ref().filter(|g| workbook_format(g.format)) {
        match super::workbook::errors_xlsx(g, &problems) {
            Ok(b) => out.push(Sidecar {
                suffix: ERRORS_XLSX,
                bytes: b,
            }),
            Err(e) => tracing::warn!(error = %e, "could not write the error workbook"),
        }
    }
    out
}

/// The receipt of a file refused before or outside its import (too large, incomplete, a job
/// that failed): short, pointing at the report that says why.
pub fn refused_receipt(file_name: &str) -> String {
    format!(
        "{file_name}: NOT imported; nothing changed. Why, and what to do: the {ERRORS_TXT} file \
         beside this one.\n"
    )
}

/// The line a later import adds to the receipt of a file it fixed.
pub fn fixed_note(fixed_by: uuid::Uuid, how: &str) -> String {
    format!(
        "FIXED on {}: {how} (import {fixed_by}). The report below is kept for the record; \
         nothing more to do for this file.\n\n",
        chrono::Local::now().format("%Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::Sheet;
    use crate::schedule::Issue;

    fn grid() -> Grid {
        let mut s = Sheet::new("Week");
        s.push_row(0, vec![Cell::Text("Store 9999 - Springfield".into())]);
        s.push_row(2, vec![Cell::Text("Name".into()), Cell::Text("Mon".into())]);
        s.push_row(
            3,
            vec![Cell::Text("A B".into()), Cell::Text("9:3O-5p".into())],
        );
        let mut g = Grid::new(SourceFormat::Xlsx);
        g.sheets.push(s);
        g
    }

    fn outcome(issues: Vec<Issue>) -> ImportOutcome {
        ImportOutcome {
            import_id: uuid::Uuid::nil(),
            status: ImportStatus::Failed,
            template: None,
            rows_imported: 0,
            rows_rejected: 55,
            rows_replaced: 0,
            warnings: 0,
            error: Some("store number 9999 is not in the stores table".into()),
            issues,
            store_numbers: vec![9999],
            date_from: None,
            date_to: None,
            rows_skipped: 0,
            duplicate_of: None,
            replaced: Default::default(),
        }
    }

    #[test]
    fn a_store_problem_points_at_the_title_and_a_slip_gets_a_hint() {
        let g = grid();
        let at = |row, col| Some(g.sheets[0].cell_ref(row, col));
        let o = outcome(vec![
            Issue::error(
                "unknown_store",
                at(3, 1),
                "store number 9999 is not a known store",
            ),
            Issue::error("unreadable_time", at(3, 1), "cannot read the shift"),
        ]);
        let p = problems(&o, Some(&g));
        assert_eq!(p.len(), 2);
        let store = p.iter().find(|p| p.code == "unknown_store").unwrap();
        assert_eq!(
            store.cell.as_ref().unwrap().a1(),
            "A1",
            "the title, not the shift cell"
        );
        let slip = p.iter().find(|p| p.code == "unreadable_time").unwrap();
        assert_eq!(slip.hint.as_ref().unwrap().text, "9:30-5p");
        assert!(slip.advice.contains("9a-5:30p"));
    }

    #[test]
    fn every_file_gets_a_receipt_and_only_problem_files_a_report() {
        let o = outcome(vec![]);
        let s = sidecars("w.csv", &o, None, &ReadOptions::default());
        let suffixes: Vec<&str> = s.iter().map(|s| s.suffix).collect();
        assert_eq!(suffixes, [RESULT_TXT, ERRORS_TXT]);
        let receipt = String::from_utf8(s[0].bytes.clone()).unwrap();
        assert!(
            receipt.starts_with(
                "w.csv: NOT imported; nothing changed. store number 9999 is not in the stores table"
            ),
            "{receipt}"
        );
        let mut ok = outcome(vec![]);
        ok.status = ImportStatus::Succeeded;
        ok.error = None;
        ok.rows_imported = 1;
        ok.rows_rejected = 0;
        let s = sidecars("w.csv", &ok, None, &ReadOptions::default());
        assert_eq!(s.len(), 1);
        assert!(
            String::from_utf8(s[0].bytes.clone())
                .unwrap()
                .starts_with("w.csv: imported 1 shift for store 9999.")
        );
    }
}
