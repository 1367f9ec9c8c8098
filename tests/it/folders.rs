//! Folders that tell the truth, with the real worker: a partial import lands in
//! `needs-attention/` with its receipt, report and error workbook, and a corrected re-drop of
//! the same name moves them to `processed/…/fixed/` ("FIXED"); a refused file leaves `failed/`
//! once an operator fixes the cause and reprocesses it, or retries its job; a risky replace is held in
//! `needs-attention/` until approved; a per-store inbox refuses another store's file.

use crate::feedback::fixture;
use crate::support::TestDb;
use crate::worker::{Worker, config, files_under, wait_until};
use std::path::{Path, PathBuf};
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(30);

fn setup(db: &TestDb, extra: &str) -> (PathBuf, PathBuf) {
    let out = db.run_bin(&["demo-data"]);
    assert!(out.status.success(), "{}", out.stderr);
    let root = db.work_dir().join("share");
    let inbox = root.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let cfg = config(db, &inbox);
    if !extra.is_empty() {
        let text = std::fs::read_to_string(&cfg).unwrap();
        std::fs::write(
            &cfg,
            text.replace("[worker]\n", &format!("[worker]\n{extra}\n")),
        )
        .unwrap();
    }
    (root, cfg)
}

/// Copy `src` into `dir` as `as_name` the way a manager's copy lands (temp name, rename).
fn drop_into(dir: &Path, src: &Path, as_name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let tmp = dir.join(format!("{as_name}.part"));
    std::fs::copy(src, &tmp).unwrap();
    std::fs::rename(&tmp, dir.join(as_name)).unwrap();
}

fn worker_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/worker")
        .join(name)
}

fn day() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[tokio::test]
async fn a_partial_file_needs_attention_until_a_corrected_copy_of_the_same_name_fixes_it() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db, "");
    let _w = Worker::start(&db, &cfg, "w1");
    let attention = root.join("needs-attention");
    drop_into(&root.join("inbox"), &fixture("typos.xlsx"), "week48.xlsx");
    wait_until("the partial file in needs-attention/", WITHIN, || {
        files_under(&attention).len() == 4
    })
    .await;
    assert_eq!(
        files_under(&attention),
        [
            "week48.xlsx",
            "week48.xlsx.errors.txt",
            "week48.xlsx.errors.xlsx",
            "week48.xlsx.result.txt"
        ]
    );
    let receipt = read(attention.join("week48.xlsx.result.txt"));
    assert!(
        receipt.contains("3 rows could not be read and were NOT imported"),
        "{receipt}"
    );
    assert!(files_under(&root.join("processed")).is_empty());

    drop_into(
        &root.join("inbox"),
        &fixture("typos-fixed.xlsx"),
        "week48.xlsx",
    );
    wait_until("the old copy moved out of needs-attention/", WITHIN, || {
        files_under(&attention).is_empty()
    })
    .await;
    let processed = root.join("processed").join(day());
    assert_eq!(
        files_under(&processed),
        [
            "week48.xlsx",
            "week48.xlsx",
            "week48.xlsx.errors.txt",
            "week48.xlsx.errors.xlsx",
            "week48.xlsx.result.txt",
            "week48.xlsx.result.txt"
        ],
        "the new file and the old one (in fixed/), no `(1)` copies"
    );
    assert!(read(processed.join("week48.xlsx.result.txt")).contains("imported 35 shifts"));
    let old = read(processed.join("fixed/week48.xlsx.result.txt"));
    assert!(
        old.starts_with("FIXED on ")
            && old.contains("a corrected file with the same name was imported"),
        "{old}"
    );
    assert!(
        old.contains("3 rows could not be read"),
        "the old receipt is kept below: {old}"
    );
    let fixed_by: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM document_imports WHERE fixed_by IS NOT NULL AND status = 'partial'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(fixed_by, 1);
}

#[tokio::test]
async fn a_refused_file_leaves_failed_when_a_reprocess_imports_it() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db, "");
    sqlx::query("DELETE FROM stores WHERE store_number = 1042")
        .execute(db.pool())
        .await
        .unwrap();
    let _w = Worker::start(&db, &cfg, "w1");
    drop_into(
        &root.join("inbox"),
        &worker_fixture("week-1042.csv"),
        "week.csv",
    );
    let failed = root.join("failed");
    wait_until("the file in failed/", WITHIN, || {
        files_under(&failed).len() == 4
    })
    .await;
    let report = read(failed.join("week.csv.errors.txt"));
    assert!(
        report.contains("store number 1042 is not in the stores table"),
        "{report}"
    );
    assert!(
        report.contains("Problems to fix (1):"),
        "one store problem, once: {report}"
    );
    assert!(
        report.contains("row 2, column A (cell A2): store number 1042 is not a known store"),
        "points at the store cell: {report}"
    );

    let out = db.run_bin(&[
        "stores",
        "add",
        "1042",
        "--address",
        "1 Elm St",
        "--city",
        "Peoria",
        "--state",
        "IL",
        "--zip",
        "61602",
    ]);
    assert!(out.status.success(), "{}", out.stderr);
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM document_imports WHERE status = 'failed'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let out = db.run_bin(&["imports", "reprocess", &id.to_string()]);
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    wait_until("the failed file moved on", WITHIN, || {
        files_under(&failed).is_empty()
    })
    .await;
    let fixed = root.join("processed").join(day()).join("fixed");
    assert_eq!(
        files_under(&fixed),
        [
            "week.csv",
            "week.csv.errors.txt",
            "week.csv.errors.xlsx",
            "week.csv.result.txt"
        ]
    );
    let receipt = read(fixed.join("week.csv.result.txt"));
    assert!(
        receipt.contains("the file was processed again and imported"),
        "{receipt}"
    );
}

#[tokio::test]
async fn a_refused_file_leaves_failed_when_its_job_is_retried() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db, "");
    sqlx::query("DELETE FROM stores WHERE store_number = 1042")
        .execute(db.pool())
        .await
        .unwrap();
    let _w = Worker::start(&db, &cfg, "w1");
    drop_into(
        &root.join("inbox"),
        &worker_fixture("week-1042.csv"),
        "week.csv",
    );
    let failed = root.join("failed");
    wait_until("the file in failed/", WITHIN, || {
        files_under(&failed).len() == 4
    })
    .await;
    let out = db.run_bin(&["stores", "add", "1042"]);
    assert!(out.status.success(), "{}", out.stderr);
    let job: uuid::Uuid =
        sqlx::query_scalar("SELECT job_id FROM document_imports WHERE status = 'failed'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let out = db.run_bin(&["jobs", "retry", &job.to_string()[..8]]);
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    wait_until("the failed file moved on", WITHIN, || {
        files_under(&failed).is_empty()
    })
    .await;
    let receipt = read(
        root.join("processed")
            .join(day())
            .join("fixed/week.csv.result.txt"),
    );
    assert!(
        receipt.starts_with("FIXED on ") && receipt.contains("the job was retried"),
        "{receipt}"
    );
    assert!(
        receipt.contains("NOT imported"),
        "the old receipt below: {receipt}"
    );
    let open = db.run_bin(&["imports", "list", "--unresolved", "--format", "json"]);
    assert!(open.status.success(), "{}", open.stderr);
    assert_eq!(open.stdout.trim(), "[]", "the retry resolved it");
}

#[tokio::test]
async fn a_risky_replace_is_held_until_approved_and_a_store_inbox_refuses_other_stores() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db, "hold_risky_replaces = true");
    let _w = Worker::start(&db, &cfg, "w1");
    let inbox = root.join("inbox");
    drop_into(
        &inbox.join("2207"),
        &worker_fixture("week-1042.csv"),
        "wrong.csv",
    );
    let failed = root.join("failed/2207");
    wait_until("the file in failed/2207/", WITHIN, || {
        files_under(&failed).len() == 4
    })
    .await;
    drop_into(
        &inbox.join("1042"),
        &worker_fixture("week-1042.csv"),
        "week.csv",
    );
    wait_until("the file in processed/…/1042/", WITHIN, || {
        files_under(&root.join("processed").join(day()).join("1042")).len() == 2
    })
    .await;
    let refused = read(failed.join("wrong.csv.result.txt"));
    assert!(
        refused.contains("the file is for store 1042 but was dropped into the inbox of store 2207"),
        "{refused}"
    );

    drop_into(
        &inbox.join("1042"),
        &fixture("thu-wed-1042.csv"),
        "thu-wed.csv",
    );
    let attention = root.join("needs-attention/1042");
    wait_until("the held file in needs-attention/", WITHIN, || {
        files_under(&attention).len() == 4
    })
    .await;
    let receipt = read(attention.join("thu-wed.csv.result.txt"));
    assert!(
        receipt.contains("waits for an operator's approval"),
        "{receipt}"
    );
    assert!(
        receipt.contains("Saturday 11/29/2025 at store 1042: nobody is scheduled"),
        "{receipt}"
    );
    assert!(receipt.contains("Tom Okafor at store 1042"), "{receipt}");
    let report = read(attention.join("thu-wed.csv.errors.txt"));
    assert!(report.contains("imports approve"), "{report}");
    let held: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM document_imports WHERE status = 'held'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let out = db.run_bin(&["imports", "approve", &held.to_string()]);
    assert!(out.status.success(), "{}\n{}", out.stdout, out.stderr);
    wait_until("the held file moved on", WITHIN, || {
        files_under(&attention).is_empty()
    })
    .await;
    let fixed = read(
        root.join("processed")
            .join(day())
            .join("fixed/1042/thu-wed.csv.result.txt"),
    );
    assert!(
        fixed.contains("an operator approved the held import"),
        "{fixed}"
    );
}
