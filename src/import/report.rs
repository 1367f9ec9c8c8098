//! The report a store manager reads beside a file in `failed/` or `needs-attention/`
//! (`NAME.errors.txt`): what happened to the file in plain words, then each problem with its
//! sheet and cell, what was expected and, where a typo is likely, what was probably meant.
//! Counts and grammar follow what is listed; a flood of one kind of problem (a multi-month
//! export dated far from its week) is one summary line with a few examples, not 40,000 lines.
//! No stack traces, no internal error chains; the import id is there for operators.

use super::feedback::Problem;
use super::replace::count;
use super::{ImportOutcome, ImportStatus};
use crate::read::grid::CellRef;
use crate::schedule::Severity;
use std::collections::BTreeMap;
use std::fmt::Write;

/// More problems of one kind than this are summarised with [`EXAMPLES`] examples.
pub const FLOOD_AT: usize = 50;
/// Examples listed under a summarised kind.
pub const EXAMPLES: usize = 10;

/// The text of `NAME.errors.txt` for one import of `file_name`, with its problems (see
/// [`super::feedback::problems`]).
pub fn errors_txt(file_name: &str, outcome: &ImportOutcome, problems: &[Problem]) -> String {
    let mut out = String::new();
    let csv = is_csv(file_name);
    let _ = writeln!(out, "Schedule file: {file_name}");
    let _ = writeln!(out, "Result: {}", result_line(outcome));
    if let Some(e) = &outcome.error {
        let _ = writeln!(out, "Reason: {e}");
    }
    if outcome.rows_replaced > 0 {
        let _ = writeln!(
            out,
            "{} already stored for the same stores and dates {} replaced.",
            capitalise(&count(outcome.rows_replaced, "shift", "shifts")),
            if outcome.rows_replaced == 1 {
                "was"
            } else {
                "were"
            }
        );
    }
    let errors: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    let warnings: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\nProblems to fix ({}):", thousands(errors.len()));
        list(&mut out, &errors, csv, outcome.import_id);
    }
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "\nWarnings ({}), worth a look:",
            thousands(warnings.len())
        );
        list(&mut out, &warnings, csv, outcome.import_id);
    }
    let _ = writeln!(out);
    if let Some(todo) = what_to_do(outcome, &errors) {
        let _ = writeln!(out, "What to do: {todo}");
    }
    let _ = writeln!(out, "Import id (for operators): {}", outcome.import_id);
    out
}

/// What happened, in one sentence with correct counts.
pub fn result_line(outcome: &ImportOutcome) -> String {
    let shifts = count(outcome.rows_imported, "shift", "shifts");
    match outcome.status {
        ImportStatus::Succeeded => format!("imported ({shifts} saved)."),
        ImportStatus::Partial => format!(
            "partly imported. {shifts} saved; {} could not be read and {} NOT imported.",
            count(outcome.rows_rejected, "row", "rows"),
            if outcome.rows_rejected == 1 {
                "was"
            } else {
                "were"
            }
        ),
        ImportStatus::Failed => "NOT imported. Nothing from this file was saved.".to_string(),
        ImportStatus::Duplicate => {
            "not imported again. This exact file was imported before; nothing changed.".to_string()
        }
        ImportStatus::Held => "NOT imported yet: waiting for an operator's approval. Nothing \
                               was changed in the schedule."
            .to_string(),
    }
}

/// The advice at the end, saying only what the report supports.
fn what_to_do(outcome: &ImportOutcome, errors: &[&Problem]) -> Option<String> {
    let cells = errors.iter().any(|p| p.cell.is_some());
    let again = "drop the corrected file into the inbox folder again";
    match outcome.status {
        ImportStatus::Failed | ImportStatus::Partial if cells => Some(format!(
            "correct the cells listed above in your schedule and {again}. If the file looks \
             right to you, send this report to your pharmacy-ingest operator."
        )),
        ImportStatus::Failed | ImportStatus::Partial => Some(format!(
            "the reason above is about the whole file: fix it and {again}, or send this report \
             to your pharmacy-ingest operator."
        )),
        ImportStatus::Duplicate => Some(
            "nothing, unless you meant to send a changed schedule; then save your changes and \
             drop the file again."
                .to_string(),
        ),
        ImportStatus::Held => Some(format!(
            "if the change is intended, ask your operator to approve it (`pharmacy-ingest \
             imports approve {}`); otherwise {again}.",
            outcome.import_id
        )),
        ImportStatus::Succeeded => None,
    }
}

/// The problems of one severity: kinds with few problems one line each, a flood of one kind as
/// a summary line and a few examples.
fn list(out: &mut String, problems: &[&Problem], csv: bool, import_id: uuid::Uuid) {
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for p in problems {
        *by_code.entry(p.code).or_default() += 1;
    }
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    for p in problems {
        let n = by_code[p.code];
        if n <= FLOOD_AT {
            line(out, p, csv, "  - ");
            continue;
        }
        let k = shown.entry(p.code).or_default();
        if *k == 0 {
            let _ = writeln!(out, "  - {} Examples:", flood_headline(p, n));
        }
        if *k < EXAMPLES {
            line(out, p, csv, "      - ");
        } else if *k == EXAMPLES {
            let _ = writeln!(
                out,
                "      … and {} more like these (an operator can list them all with \
                 `pharmacy-ingest imports show {}`)",
                thousands(n - EXAMPLES),
                import_id
            );
        }
        *k += 1;
    }
}

fn line(out: &mut String, p: &Problem, csv: bool, bullet: &str) {
    let _ = write!(
        out,
        "{bullet}{}: {}",
        place(p.cell.as_ref(), csv),
        p.message
    );
    if let Some(h) = &p.hint {
        let _ = write!(out, " ({})", h.sentence());
    }
    let _ = writeln!(out);
}

/// One line for many problems of one kind.
pub fn flood_headline(first: &Problem, n: usize) -> String {
    let n = thousands(n);
    match first.code {
        "date_far_from_week" => {
            let week = first
                .message
                .find("week of ")
                .map(|i| first.message[i + 8..].split(':').next().unwrap_or(""))
                .unwrap_or("");
            format!(
                "{n} rows are dated far from the file's week of {week}: is this a multi-month \
                 export? A schedule file is expected to cover about one week; split it by week, \
                 or ask your operator about importing a longer period."
            )
        }
        "unknown_employee" => format!("{n} employees are not in contacts."),
        code => format!(
            "{n} cells have the same kind of problem ({}).",
            code.replace('_', " ")
        ),
    }
}

/// Whether a file name is a CSV (one unnamed sheet: row and column instead of a sheet name).
pub fn is_csv(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower.ends_with(".csv") || lower.ends_with(".txt")
}

/// Where a problem is, in words a spreadsheet user follows.
pub fn place(cell: Option<&CellRef>, csv: bool) -> String {
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

/// `43679` → `43,679`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::feedback::problems;
    use crate::schedule::Issue;
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
            store_numbers: vec![1042],
            date_from: None,
            date_to: None,
            rows_skipped: 0,
            duplicate_of: None,
            replaced: Default::default(),
        }
    }

    fn txt(name: &str, o: &ImportOutcome) -> String {
        errors_txt(name, o, &problems(o, None))
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
        let txt = txt("week48.xlsx", &o);
        assert!(txt.starts_with("Schedule file: week48.xlsx\n"));
        assert!(txt.contains("40 shifts saved; 2 rows could not be read and were NOT imported"));
        let c7 = txt
            .find("sheet \"Week 48\", cell C7: expected a date")
            .unwrap();
        let d10 = txt
            .find("sheet \"Week 48\", cell D10: expected a time range such as 9a-5:30p")
            .unwrap();
        assert!(c7 < d10, "problems are listed in sheet order:\n{txt}");
        assert!(txt.contains("Problems to fix (2):"));
        assert!(txt.contains("Warnings (1)"));
        assert!(txt.contains("What to do: correct the cells"));
    }

    #[test]
    fn one_rejected_row_is_singular() {
        let mut o = outcome(
            ImportStatus::Partial,
            vec![Issue::error(
                "missing_date",
                cell("S", 6, 2),
                "expected a date",
            )],
        );
        o.rows_rejected = 1;
        o.rows_imported = 1;
        let t = txt("w.xlsx", &o);
        assert!(
            t.contains("1 shift saved; 1 row could not be read and was NOT imported."),
            "{t}"
        );
    }

    #[test]
    fn refused_file_states_the_reason_and_does_not_point_at_cells_it_does_not_list() {
        let mut o = outcome(ImportStatus::Failed, vec![]);
        o.rows_imported = 0;
        o.error = Some("store number 999 is not in the stores table".into());
        let txt = txt("x.csv", &o);
        assert!(txt.contains("Result: NOT imported. Nothing from this file was saved."));
        assert!(txt.contains("Reason: store number 999 is not in the stores table"));
        assert!(!txt.contains("Problems to fix"));
        assert!(!txt.contains("cells listed above"), "{txt}");
        assert!(txt.contains("about the whole file"));
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
    fn a_flood_of_one_kind_is_one_line_with_examples() {
        let issues: Vec<Issue> = (0..43_679u32)
            .map(|r| {
                Issue::warning(
                    "date_far_from_week",
                    cell("S", r + 1, 2),
                    "the date 2024-01-01 is 700 days from the file's week of 2025-11-24: check it",
                )
            })
            .chain([Issue::error(
                "missing_date",
                cell("S", 3, 2),
                "expected a date",
            )])
            .collect();
        let t = txt("big.csv", &outcome(ImportStatus::Partial, issues));
        assert!(
            t.contains("43,679 rows are dated far from the file's week of 2025-11-24: is this a multi-month export?"),
            "{t}"
        );
        assert!(t.contains("… and 43,669 more like these"));
        assert!(
            t.lines().count() < 40,
            "bounded: {} lines",
            t.lines().count()
        );
        assert!(t.contains("row 4, column C (cell C4): expected a date"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(43679), "43,679");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
