//! The watched folders with real folders and a real database: files present at start-up and
//! dropped later become jobs, a file still being written waits, temporary/lock/hidden files and
//! symlinks are left alone, two watchers on one folder queue each file once, and `processing/`
//! leftovers are recovered.

use crate::support::TestDb;
use pharmacy_ingest::intake::{IntakeSettings, Layout};
use pharmacy_ingest::queue::{Job, admin};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn settings(settle_ms: u64) -> IntakeSettings {
    IntakeSettings {
        settle_ms,
        text_settle_ms: settle_ms,
        rescan_secs: 1,
        recover_grace_secs: 0,
        ..IntakeSettings::default()
    }
}

async fn start(db: &TestDb, inbox: &Path, s: IntakeSettings) -> (Layout, CancellationToken) {
    let (intake, layout) = crate::support::folders::intake(db, inbox, s).await;
    let stop = CancellationToken::new();
    tokio::spawn(intake.run(stop.clone()));
    (layout, stop)
}

async fn jobs(db: &TestDb) -> Vec<Job> {
    admin::list(db.pool(), &[], 1000).await.unwrap()
}

async fn wait_for_jobs(db: &TestDb, n: usize, within: Duration) -> Vec<Job> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let j = jobs(db).await;
        if j.len() >= n || tokio::time::Instant::now() > deadline {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn files_at_startup_and_dropped_later_are_queued_and_temp_files_left_alone() {
    let db = TestDb::new().await;
    let inbox = db.work_dir().join("var/inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("early.csv"), b"early").unwrap();
    for ignored in [
        "~$week.xlsx",
        ".~lock.week.ods#",
        "week.xlsx.tmp",
        "week.csv.part",
        ".hidden.csv",
    ] {
        std::fs::write(inbox.join(ignored), b"x").unwrap();
    }
    let outside = db.work_dir().join("outside.csv");
    std::fs::write(&outside, b"secret").unwrap();
    std::os::unix::fs::symlink(&outside, inbox.join("link.csv")).unwrap();

    let (layout, stop) = start(&db, &inbox, settings(200)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(inbox.join("late.csv"), b"late!").unwrap();

    let found = wait_for_jobs(&db, 2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.cancel();
    let found_after = jobs(&db).await;
    assert_eq!(found.len(), 2);
    assert_eq!(found_after.len(), 2, "nothing else was queued");
    let mut by_name: Vec<(String, Option<i64>, String)> = found_after
        .iter()
        .map(|j| {
            (
                j.file_name.clone(),
                j.file_size,
                j.source.as_str().to_string(),
            )
        })
        .collect();
    by_name.sort();
    assert_eq!(
        by_name,
        [
            ("early.csv".to_string(), Some(5), "inbox".to_string()),
            ("late.csv".to_string(), Some(5), "inbox".to_string())
        ]
    );
    assert_eq!(names_in(&layout.processing), ["early.csv", "late.csv"]);
    for j in &found_after {
        let p = j.file_path.as_deref().unwrap();
        assert!(Path::new(p).starts_with(&layout.processing), "{p}");
    }
    assert_eq!(
        names_in(&layout.inbox),
        [
            ".hidden.csv",
            ".~lock.week.ods#",
            "link.csv",
            "week.csv.part",
            "week.xlsx.tmp",
            "~$week.xlsx"
        ]
    );
    assert_eq!(std::fs::read(&outside).unwrap(), b"secret");
}

#[tokio::test]
async fn a_file_still_being_written_is_not_taken_early() {
    let db = TestDb::new().await;
    let inbox = db.work_dir().join("var/inbox");
    let (_layout, stop) = start(&db, &inbox, settings(700)).await;

    let path = inbox.join("slow-copy.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    let mut written = 0;
    // A slow copy: a chunk every 250 ms for 3 s, well past the settle time in total.
    for _ in 0..12 {
        f.write_all(b"1042,Employee,2025-11-24,09:00,17:00\n")
            .unwrap();
        f.flush().unwrap();
        written += 37;
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(jobs(&db).await.is_empty(), "taken while still growing");
        assert!(path.exists());
    }
    drop(f);
    let found = wait_for_jobs(&db, 1, Duration::from_secs(5)).await;
    stop.cancel();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].file_size,
        Some(written),
        "the whole file was queued"
    );
}

#[tokio::test]
async fn two_watchers_on_one_folder_queue_each_file_once() {
    let db = TestDb::new().await;
    let inbox = db.work_dir().join("shared/inbox");
    let (layout, stop_a) = start(&db, &inbox, settings(150)).await;
    let (_, stop_b) = start(&db, &inbox, settings(150)).await;
    for i in 0..12 {
        std::fs::write(inbox.join(format!("store-{i}.csv")), format!("file {i}")).unwrap();
    }
    let found = wait_for_jobs(&db, 12, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop_a.cancel();
    stop_b.cancel();
    let all = jobs(&db).await;
    assert_eq!(found.len(), 12);
    assert_eq!(all.len(), 12, "no file queued twice");
    let mut names: Vec<_> = all.iter().map(|j| j.file_name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 12);
    assert_eq!(
        names_in(&layout.processing).len(),
        12,
        "one copy of each file"
    );
    assert!(names_in(&layout.inbox).is_empty());
}

#[tokio::test]
async fn leftovers_in_processing_are_recovered_at_startup() {
    let db = TestDb::new().await;
    let inbox = db.work_dir().join("var/inbox");
    let (intake, layout) = crate::support::folders::intake(&db, &inbox, settings(100)).await;

    // Moved but never queued (a crash between the move and the enqueue).
    std::fs::write(layout.processing.join("orphan.csv"), b"orphan").unwrap();
    // Imported, but the worker died before moving the file on.
    let done = layout.processing.join("done.csv");
    std::fs::write(&done, b"done").unwrap();
    // Refused, same crash.
    let bad = layout.processing.join("bad.csv");
    std::fs::write(&bad, b"bad").unwrap();
    for (path, state, err) in [
        (&done, "succeeded", None),
        (&bad, "failed", Some("no template fits this file")),
    ] {
        sqlx::query(
            "INSERT INTO import_jobs (state, file_name, file_path, source, finished_at, last_error)
             VALUES ($1, $2, $3, 'inbox', now() - interval '1 minute', $4)",
        )
        .bind(state)
        .bind(path.file_name().unwrap().to_str().unwrap())
        .bind(path.to_str().unwrap())
        .bind(err)
        .execute(db.pool())
        .await
        .unwrap();
    }

    let sweep = intake.sweep_processing().await.unwrap();
    assert_eq!((sweep.queued, sweep.finished), (1, 2));
    assert_eq!(names_in(&layout.processing), ["orphan.csv"]);
    let day = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        names_in(&layout.processed.join(day)),
        ["done.csv", "done.csv.result.txt"]
    );
    assert_eq!(
        names_in(&layout.failed),
        ["bad.csv", "bad.csv.errors.txt", "bad.csv.result.txt"]
    );
    let report = std::fs::read_to_string(layout.failed.join("bad.csv.errors.txt")).unwrap();
    assert!(report.contains("no template fits this file"), "{report}");

    let queued: Vec<Job> = admin::list(
        db.pool(),
        &[pharmacy_ingest::queue::JobState::Available],
        10,
    )
    .await
    .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].file_name, "orphan.csv");
    assert_eq!(queued[0].file_size, Some(6));

    // A second sweep changes nothing: the orphan now has an unfinished job.
    let again = intake.sweep_processing().await.unwrap();
    assert_eq!((again.queued, again.finished), (0, 0));
}
