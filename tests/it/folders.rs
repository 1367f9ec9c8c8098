//! Folders that tell the truth, with the real worker: a partial import lands in
//! `needs-attention/` with its receipt, report and error workbook, and a corrected re-drop of
//! the same name moves them to `processed/…/fixed/` ("FIXED"); a refused file leaves `failed/`
//! once an operator fixes the cause and reprocesses it, or retries its job; a risky replace is held in
//! `needs-attention/` until approved; a per-store inbox refuses another store's file.

use crate::feedback::fixture;
use crate::support::TestDb;
use crate::support::folders::{
    WITHIN, beside, day, drop_and_wait, drop_into, files_under, read, wait_until,
};
use crate::worker::{Worker, config};
use std::path::{Path, PathBuf};

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

fn worker_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/worker")
        .join(name)
}

#[tokio::test]
async fn a_partial_file_needs_attention_until_a_corrected_copy_of_the_same_name_fixes_it() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db, "");
    let _w = Worker::start(&db, &cfg, "w1");
    let attention = root.join("needs-attention");
    let partial = drop_and_wait(
        &root.join("inbox"),
        &fixture("typos.xlsx"),
        "week48.xlsx",
        &attention,
        4,
    )
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
    let receipt = beside(&partial, ".result.txt");
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
    assert!(read(&processed.join("week48.xlsx.result.txt")).contains("imported 35 shifts"));
    let old = read(&processed.join("fixed/week48.xlsx.result.txt"));
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
    let failed = root.join("failed");
    let refused = drop_and_wait(
        &root.join("inbox"),
        &worker_fixture("week-1042.csv"),
        "week.csv",
        &failed,
        4,
    )
    .await;
    let report = beside(&refused, ".errors.txt");
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
    let receipt = read(&fixed.join("week.csv.result.txt"));
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
    let failed = root.join("failed");
    drop_and_wait(
        &root.join("inbox"),
        &worker_fixture("week-1042.csv"),
        "week.csv",
        &failed,
        4,
    )
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
        &root
            .join("processed")
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
    let wrong = drop_and_wait(
        &inbox.join("2207"),
        &worker_fixture("week-1042.csv"),
        "wrong.csv",
        &root.join("failed/2207"),
        4,
    )
    .await;
    drop_and_wait(
        &inbox.join("1042"),
        &worker_fixture("week-1042.csv"),
        "week.csv",
        &root.join("processed").join(day()).join("1042"),
        2,
    )
    .await;
    let refused = beside(&wrong, ".result.txt");
    assert!(
        refused.contains("the file is for store 1042 but was dropped into the inbox of store 2207"),
        "{refused}"
    );

    let attention = root.join("needs-attention/1042");
    let held_file = drop_and_wait(
        &inbox.join("1042"),
        &fixture("thu-wed-1042.csv"),
        "thu-wed.csv",
        &attention,
        4,
    )
    .await;
    let receipt = beside(&held_file, ".result.txt");
    assert!(
        receipt.contains("waits for an operator's approval"),
        "{receipt}"
    );
    assert!(
        receipt.contains("Saturday 11/29/2025 at store 1042: nobody is scheduled"),
        "{receipt}"
    );
    assert!(receipt.contains("Tom Okafor at store 1042"), "{receipt}");
    let report = beside(&held_file, ".errors.txt");
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
        &root
            .join("processed")
            .join(day())
            .join("fixed/1042/thu-wed.csv.result.txt"),
    );
    assert!(
        fixed.contains("an operator approved the held import"),
        "{fixed}"
    );
}

