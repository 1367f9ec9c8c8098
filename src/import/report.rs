//! The report a store manager reads beside a file in `failed/` (`NAME.errors.txt`): what
//! happened to the file in plain words, then each problem with its sheet and cell and what was
//! expected. No stack traces, no internal error chains; the import id is there for operators.

use super::{ImportOutcome, ImportStatus};
use crate::read::grid::CellRef;
use crate::schedule::{Issue, Severity};
use std::fmt::Write;

/// Problems listed per kind before the report says "and N more".
const MAX_LISTED: usize = 2_000;

/// The text of `NAME.errors.txt` for one import of `file_name`.
pub fn errors_txt(file_name: &str, outcome: &ImportOutcome) -> String {
    let mut out = String::new();
    let lower = file_name.to_ascii_lowercase();
    // A CSV file has one unnamed sheet: say row and column instead of a sheet name.
    let csv = lower.ends_with(".csv") || lower.ends_with(".txt");
    let _ = writeln!(out, "Schedule file: {file_name}");
    let shifts = plural(outcome.rows_imported, "shift", "shifts");
    let rejected = plural(outcome.rows_rejected, "row", "rows");
    match outcome.status {
        ImportStatus::Succeeded => {
            let _ = writeln!(out, "Result: imported ({shifts} saved).");
        }
        ImportStatus::Partial => {
            let _ = writeln!(
                out,
                "Result: partly imported. {shifts} saved; {rejected} could not be read and \
                 were NOT imported."
            );
        }
        ImportStatus::Failed => {
            let _ = writeln!(
                out,
                "Result: NOT imported. Nothing from this file was saved."
            );
        }
        ImportStatus::Duplicate => {
            let _ = writeln!(
                out,
                "Result: not imported again. This exact file was imported before."
            );
        }
    }
    if let Some(e) = &outcome.error {
        let _ = writeln!(out, "Reason: {e}");
    }
    if outcome.rows_replaced > 0 {
        let _ = writeln!(
            out,
            "{} already stored for the same stores and dates were replaced.",
            capitalise(&plural(outcome.rows_replaced, "shift", "shifts"))
        );
    }

    let mut errors: Vec<&Issue> = outcome
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    let mut warnings: Vec<&Issue> = outcome
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .collect();
    errors.sort_by(|a, b| a.cell.cmp(&b.cell));
    warnings.sort_by(|a, b| a.cell.cmp(&b.cell));

    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "\nProblems to fix ({}), each row listed here was not imported:",
            errors.len()
        );
        list(&mut out, &errors, csv);
    }
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "\nWarnings ({}), imported but worth a look:",
            warnings.len()
        );
        list(&mut out, &warnings, csv);
    }

    let _ = writeln!(out);
    match outcome.status {
        ImportStatus::Failed | ImportStatus::Partial => {
            let _ = writeln!(
                out,
                "What to do: correct the cells listed above in your schedule and drop the \
                 corrected file into the inbox folder again. If the file looks right to you, \
                 send this report to your pharmacy-ingest operator."
            );
        }
        ImportStatus::Duplicate => {
            let _ = writeln!(
                out,
                "What to do: nothing, unless you meant to send a changed schedule; then save \
                 your changes and drop the file again."
            );
        }
        ImportStatus::Succeeded => {}
    }
    let _ = writeln!(out, "Import id (for operators): {}", outcome.import_id);
    out
}

/// One line per issue, listing at most [`MAX_LISTED`].
fn list(out: &mut String, issues: &[&Issue], csv: bool) {
    for i in issues.iter().take(MAX_LISTED) {
        let _ = writeln!(out, "  - {}: {}", place(i.cell.as_ref(), csv), i.message);
    }
    if issues.len() > MAX_LISTED {
        let _ = writeln!(
            out,
            "  … and {} more (an operator can list them all with `pharmacy-ingest imports show`)",
            issues.len() - MAX_LISTED
        );
    }
}

/// Where a problem is, in words a spreadsheet user follows.
fn place(cell: Option<&CellRef>, csv: bool) -> String {
    match cell {
        None => "whole file".to_string(),
        Some(c) => match c.page {
            Some(p) => format!(
                "page {p}, row {}, column {}",
                c.row + 1,
                CellRef::column_letters(c.col)
            ),
            None if csv => format!(
                "row {}, column {} (cell {})",
                c.row + 1,
                CellRef::column_letters(c.col),
                c.a1()
            ),
            None => format!("sheet \"{}\", cell {}", c.sheet, c.a1()),
        },
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn cell(sheet: &str, row: u32, col: u32) -> Option<CellRef> {
        Some(CellRef {
            sheet: sheet.into(),
            row,
            col,
            page: None,
        })
    }

    fn outcome(status: ImportStatus, issues: Vec<Issue>) -> ImportOutcome {
        ImportOutcome {
            import_id: Uuid::nil(),
            status,
            template: Some("rows-basic".into()),
            rows_imported: 40,
            rows_rejected: 2,
            rows_replaced: 0,
            warnings: 1,
            error: None,
            issues,
        }
    }

    #[test]
    fn partial_import_lists_rejected_cells_in_sheet_order() {
        let o = outcome(
            ImportStatus::Partial,
            vec![
                Issue::error(
                    "unreadable_time",
                    cell("Week 48", 9, 3),
                    "expected a time range such as 9a-5:30p",
                ),
                Issue::warning("unknown_employee", cell("Week 48", 4, 0), "not in contacts"),
                Issue::error("missing_date", cell("Week 48", 6, 2), "expected a date"),
            ],
        );
        let txt = errors_txt("week48.xlsx", &o);
        assert!(txt.starts_with("Schedule file: week48.xlsx\n"));
        assert!(txt.contains("40 shifts saved; 2 rows could not be read and were NOT imported"));
        let c7 = txt
            .find("sheet \"Week 48\", cell C7: expected a date")
            .unwrap();
        let d10 = txt
            .find("sheet \"Week 48\", cell D10: expected a time range such as 9a-5:30p")
            .unwrap();
        assert!(c7 < d10, "problems are listed in sheet order:\n{txt}");
        assert!(txt.contains("Warnings (1)"));
        assert!(txt.contains("What to do: correct the cells"));
    }

    #[test]
    fn refused_file_states_the_reason() {
        let mut o = outcome(ImportStatus::Failed, vec![]);
        o.rows_imported = 0;
        o.error = Some("store number 999 is not in the stores table".into());
        let txt = errors_txt("x.csv", &o);
        assert!(txt.contains("Result: NOT imported. Nothing from this file was saved."));
        assert!(txt.contains("Reason: store number 999 is not in the stores table"));
        assert!(!txt.contains("Problems to fix"));
    }

    #[test]
    fn pdf_cells_name_page_row_and_column() {
        let c = CellRef {
            sheet: "table".into(),
            row: 2,
            col: 1,
            page: Some(3),
        };
        assert_eq!(place(Some(&c), false), "page 3, row 3, column B");
        assert_eq!(place(None, false), "whole file");
        let csv = CellRef { page: None, ..c };
        assert_eq!(place(Some(&csv), true), "row 3, column B (cell B3)");
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let issues = (0..MAX_LISTED as u32 + 5)
            .map(|r| Issue::error("bad", cell("S", r, 0), "expected a date"))
            .collect();
        let txt = errors_txt("big.csv", &outcome(ImportStatus::Partial, issues));
        assert!(txt.contains("… and 5 more"));
    }
}
