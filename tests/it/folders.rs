//! Folders that tell the truth, with the real worker: a partial import lands in
//! `needs-attention/` with its receipt, report and error workbook, and a corrected re-drop of
//! the same name moves them to `processed/…/fixed/` ("FIXED"); a refused file leaves `failed/`
//! once an operator fixes the cause and reprocesses it, or retries its job; a risky replace is held in
//! `needs-attention/` until approved; a per-store inbox refuses another store's file; hidden
//! temporaries a killed worker left beside the inbox are swept at start, nothing else is.

use crate::feedback::fixture;
use crate::support::TestDb;
use crate::support::folders::{
    WITHIN, beside, day, drop_and_wait, drop_into, files_under, read, wait_until,
};
use crate::worker::{Worker, config};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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

/// Write `rel` under `root` with a modification time `age` ago.
fn leave(root: &Path, rel: &str, age: Duration) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, b"half a report").unwrap();
    let f = std::fs::File::options().write(true).open(&p).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
    p
}

#[tokio::test]
async fn hidden_temporaries_a_killed_worker_left_are_swept_at_start_and_nothing_else() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db, "");
    let today = day();
    let two_hours = Duration::from_secs(7200);
    // What a SIGKILLed worker can leave, an hour and more ago: sidecars staged under their
    // bare suffix, and cross-device copies, in every folder a worker writes into.
    let stale: Vec<PathBuf> = [
        format!("processed/{today}/..result.txt.8531-17.report"),
        format!("processed/{today}/1042/..errors.txt.8531-18.report"),
        "processed/2026-11-30/fixed/1042/.week.csv.8531-2.moving".into(),
        "failed/..errors.xlsx.8531-19.report".into(),
        "failed/2207/..result.txt.8531-20.report".into(),
        "needs-attention/..errors.txt.8531-22.report".into(),
        "needs-attention/1042/..result.txt.8531-21.report".into(),
        "processing/.week.csv.8531-3.moving".into(),
        "processing/1042/.week.csv.8531-4.moving".into(),
    ]
    .iter()
    .map(|rel| leave(&root, rel, two_hours))
    .collect();
    // Kept: a fresh temporary (a worker may be writing it now), old files not shaped like a
    // temporary, and anything in the inbox, where people drop files.
    let mut kept = vec![leave(
        &root,
        &format!("processed/{today}/..result.txt.8532-1.report"),
        Duration::ZERO,
    )];
    for rel in [
        "failed/.notes.report",
        "failed/week.csv.8531-5.report",
        "processed/2026-11-30/.week.csv.report",
        "needs-attention/.week.csv.8531-6.moving.txt",
        "inbox/.week.csv.8531-7.moving",
        "inbox/1042/..result.txt.8531-8.report",
    ] {
        kept.push(leave(&root, rel, two_hours));
    }

    let _w = Worker::start(&db, &cfg, "w1");
    wait_until("the stale temporaries removed", WITHIN, || {
        stale.iter().all(|p| !p.exists())
    })
    .await;
    // A rescan later, nothing else went.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for p in &kept {
        assert!(p.exists(), "{} was removed", p.display());
    }
}
