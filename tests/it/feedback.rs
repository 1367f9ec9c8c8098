//! What a store manager gets back, checked by reading it: the error workbook written for a
//! spreadsheet and a CSV with typing slips is read back with calamine (the Problems sheet's
//! rows with their "did you mean", the copied sheet's values equal to the manager's own); the
//! receipt and report of a partial import; a replace that empties a day and drops an employee
//! is warned about, summarised in `replace_summary`, and held (nothing written) when asked.

use crate::support::TestDb;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use pharmacy_ingest::import::feedback::{ERRORS_TXT, ERRORS_XLSX, RESULT_TXT, sidecars};
use pharmacy_ingest::import::run::import_now;
use pharmacy_ingest::import::{
    ImportMode, ImportOutcome, ImportRequest, ImportSource, ImportStatus,
};
use pharmacy_ingest::pipeline::plan::PlanOptions;
use pharmacy_ingest::template::set::TemplateSet;
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/feedback")
        .join(name)
}

fn plan_options() -> PlanOptions {
    PlanOptions {
        templates: TemplateSet::embedded().unwrap(),
        today: chrono::NaiveDate::from_ymd_opt(2025, 11, 20),
        ..PlanOptions::default()
    }
}

fn request(name: &str, bytes: &[u8], hold: bool) -> ImportRequest {
    ImportRequest {
        file_name: name.into(),
        file_size: bytes.len() as i64,
        sha256: hex::encode(Sha256::digest(bytes)),
        source: ImportSource::Cli,
        mode: ImportMode::Replace,
        force: false,
        template: None,
        store_number: None,
        job_id: None,
        created_by: "test".into(),
        hold_risky_replace: hold,
        inbox_store: None,
    }
}

async fn import_fixture(
    db: &TestDb,
    dir: &str,
    name: &str,
    hold: bool,
) -> (ImportOutcome, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name);
    let bytes = std::fs::read(path).unwrap();
    let out = import_now(
        db.pool(),
        request(name, &bytes, hold),
        bytes.clone(),
        plan_options(),
    )
    .await
    .unwrap();
    (out, bytes)
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(|r| r.iter().map(text).collect()).collect()
}

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    wb.sheet_names().to_vec()
}

async fn demo(db: &TestDb) {
    let out = db.run_bin(&["demo-data"]);
    assert!(out.status.success(), "{}", out.stderr);
}

#[tokio::test]
async fn a_partial_spreadsheet_gets_a_receipt_a_report_and_a_workbook_that_reads_back() {
    let db = TestDb::new().await;
    demo(&db).await;
    let (out, bytes) = import_fixture(&db, "fixtures/feedback", "typos.xlsx", false).await;
    assert_eq!(out.status, ImportStatus::Partial);
    assert_eq!(out.rows_imported, 32);
    assert_eq!(out.rows_rejected, 3);
    let files = sidecars("typos.xlsx", &out, Some(&bytes), &Default::default());
    let get = |suffix: &str| {
        files
            .iter()
            .find(|s| s.suffix == suffix)
            .unwrap_or_else(|| panic!("no {suffix}"))
            .bytes
            .clone()
    };
    let receipt = String::from_utf8(get(RESULT_TXT)).unwrap();
    assert!(
        receipt.starts_with(
            "typos.xlsx: imported 32 shifts for store 1042, Mon 11/24/2025 to Sun 11/30/2025; \
             3 rows could not be read and were NOT imported."
        ),
        "{receipt}"
    );
    let report = String::from_utf8(get(ERRORS_TXT)).unwrap();
    assert!(report.contains("Problems to fix (3):"), "{report}");
    assert!(
        report.contains("did you mean 9:30? the letter O looks like a zero"),
        "{report}"
    );
    assert!(report.contains("did you mean 5:30pm?"), "{report}");

    let wb = get(ERRORS_XLSX);
    assert_eq!(sheet_names(&wb), ["Problems", "Week 48"]);
    let problems = sheet(&wb, "Problems");
    assert_eq!(
        problems[0],
        [
            "Sheet",
            "Cell",
            "Problem",
            "What to do",
            "Did you mean",
            "Kind"
        ]
    );
    let rejected = problems
        .iter()
        .filter(|r| r[2].starts_with("NOT imported: "))
        .count();
    assert_eq!(rejected, 3, "one row per rejected cell: {problems:?}");
    assert!(
        problems
            .iter()
            .skip(1)
            .all(|r| r[2].starts_with("NOT imported: ") || r[2].starts_with("Warning: ")),
        "{problems:?}"
    );
    let row_of = |cell: &str| problems.iter().find(|r| r[1] == cell).unwrap().clone();
    let o = row_of("E4");
    assert_eq!(o[0], "Week 48");
    assert!(o[2].starts_with("NOT imported: "), "{o:?}");
    assert_eq!(o[4], "9:30");
    assert_eq!(row_of("F11")[4], "5:30pm");
    assert_eq!(row_of("D19")[4], "", "no guess for `someday`");
    assert!(row_of("D19")[3].contains("date"));

    // The copy holds the manager's own values, cell for cell.
    let original = sheet(&bytes, "Week 48");
    let copy = sheet(&wb, "Week 48");
    assert_eq!(copy, original);
}

#[tokio::test]
async fn a_csv_gets_a_workbook_named_after_the_file() {
    let db = TestDb::new().await;
    demo(&db).await;
    let (out, bytes) = import_fixture(&db, "fixtures/feedback", "typos.csv", false).await;
    assert_eq!(out.status, ImportStatus::Partial);
    let files = sidecars("typos.csv", &out, Some(&bytes), &Default::default());
    let wb = &files
        .iter()
        .find(|s| s.suffix == ERRORS_XLSX)
        .unwrap()
        .bytes;
    assert_eq!(sheet_names(wb), ["Problems", "typos"]);
    let copy = sheet(wb, "typos");
    assert_eq!(copy[3][4], "9:3O");
    assert_eq!(copy.len(), 36);
    let problems = sheet(wb, "Problems");
    assert!(problems.iter().any(|r| r[1] == "E4" && r[4] == "9:30"));
}

#[tokio::test]
async fn a_replace_that_empties_a_day_and_drops_an_employee_warns_and_can_be_held() {
    let db = TestDb::new().await;
    demo(&db).await;
    let (first, _) = import_fixture(&db, "fixtures/worker", "week-1042.csv", true).await;
    assert_eq!(
        first.status,
        ImportStatus::Succeeded,
        "nothing replaced: nothing held"
    );
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM store_schedules")
        .fetch_one(db.pool())
        .await
        .unwrap();

    // Held: nothing written, the warnings and the summary recorded.
    let (held, _) = import_fixture(&db, "fixtures/feedback", "thu-wed-1042.csv", true).await;
    assert_eq!(held.status, ImportStatus::Held);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM store_schedules")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(after, before, "a held import writes no shift");
    let codes: Vec<&str> = held.issues.iter().map(|i| i.code).collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "replace_empties_day")
            .count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "replace_drops_employee")
            .count(),
        1
    );
    assert_eq!(held.replaced.emptied_days[0].date.to_string(), "2025-11-29");
    assert_eq!(held.replaced.dropped[0].name, "Tom Okafor");
    assert_eq!(held.replaced.shifts_removed(), 20, "Thu–Sun of 5 employees");
    let receipt = pharmacy_ingest::import::feedback::receipt("thu-wed-1042.csv", &held);
    assert!(
        receipt.contains("waits for an operator's approval"),
        "{receipt}"
    );
    assert!(
        receipt.contains(
            "Saturday 11/29/2025 at store 1042: nobody is scheduled any more (5 shifts replaced"
        ),
        "{receipt}"
    );
    assert!(
        receipt
            .contains("Tom Okafor at store 1042: had 4 shifts between 11/27/2025 and 11/30/2025"),
        "{receipt}"
    );
    let summary: serde_json::Value =
        sqlx::query_scalar("SELECT replace_summary FROM document_imports WHERE id = $1")
            .bind(held.import_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(summary["removed"].as_array().unwrap().len(), 4);
    assert!(
        !summary.to_string().contains("Okafor"),
        "names stay out of the summary"
    );
    let issue_text: Vec<String> = sqlx::query_scalar(
        "SELECT message FROM import_history WHERE import_id = $1 AND action = 'warning'",
    )
    .bind(held.import_id)
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert!(issue_text.iter().all(|m| !m.contains("Okafor")));

    // Approved: imported as a reprocess of the held import.
    let out = db.run_bin(&["imports", "approve", &held.import_id.to_string()]);
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("approved and imported as import"),
        "{}",
        out.stdout
    );
    let (status, by): (String, Option<String>) = sqlx::query_as(
        "SELECT n.status, h.approved_by FROM document_imports n
         JOIN document_imports h ON h.id = n.reprocess_of WHERE h.id = $1",
    )
    .bind(held.import_id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(status, "succeeded");
    assert!(by.unwrap().starts_with("cli:"));
    let again = db.run_bin(&["imports", "approve", &held.import_id.to_string()]);
    assert!(!again.status.success());
    assert!(
        again.stderr.contains("already approved"),
        "{}",
        again.stderr
    );

    // Without the hold the same replace goes through, with the warnings.
    let db2 = TestDb::new().await;
    demo(&db2).await;
    import_fixture(&db2, "fixtures/worker", "week-1042.csv", false).await;
    let (warned, _) = import_fixture(&db2, "fixtures/feedback", "thu-wed-1042.csv", false).await;
    assert_eq!(warned.status, ImportStatus::Succeeded);
    assert_eq!(warned.rows_replaced, 20);
    let replace_warnings: Vec<&str> = warned
        .issues
        .iter()
        .map(|i| i.code)
        .filter(|c| c.starts_with("replace_"))
        .collect();
    assert_eq!(
        replace_warnings,
        ["replace_empties_day", "replace_drops_employee"]
    );
}
