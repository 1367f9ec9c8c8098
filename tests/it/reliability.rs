//! Regression tests for the intake/queue findings of issue 9, each named after its finding:
//! partial files (2), over-limit files at the queue's door (3), an oversized inbox file and a
//! sweep that goes on past one bad file (4), FIFOs under a path root (5), concurrent template
//! syncs (7), a full disk while writing reports (9), concurrent `migrate` runs (11).
//! The cross-filesystem move (8) is tested beside `intake::folders`. The long runs (crash,
//! contention) are `scripts/chaos`.

use crate::support::folders::intake;
use crate::support::{self, TestDb};
use pharmacy_ingest::import::ImportSource;
use pharmacy_ingest::intake::IntakeSettings;
use pharmacy_ingest::pipeline::plan::PlanOptions;
use pharmacy_ingest::queue::enqueue::{JobFile, NewJob, enqueue};
use pharmacy_ingest::queue::runner::Runner;
use pharmacy_ingest::queue::{Job, JobState, QueueError, WorkerSettings, admin, roots};
use pharmacy_ingest::read::ReadOptions;
use pharmacy_ingest::template::TemplateSet;
use pharmacy_ingest::worker::ImportWork;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn settings() -> IntakeSettings {
    IntakeSettings {
        settle_ms: 100,
        text_settle_ms: 300,
        incomplete_fail_secs: 1,
        rescan_secs: 1,
        recover_grace_secs: 0,
        ..IntakeSettings::default()
    }
}

fn runner(db: &TestDb, read_roots: Vec<PathBuf>, max_file_bytes: u64) -> Arc<Runner<ImportWork>> {
    let mut read = ReadOptions::default();
    read.limits.max_file_bytes = max_file_bytes;
    let plan = PlanOptions {
        template: None,
        templates: TemplateSet::embedded().unwrap(),
        read,
        store: None,
        fallback_store: None,
        today: None,
    };
    let settings = WorkerSettings {
        job_timeout_secs: 20,
        ..WorkerSettings::default()
    };
    let work = ImportWork {
        read_roots,
        ..ImportWork::new(db.pool().clone(), settings, "reliability-test", plan)
    };
    Arc::new(work.into_runner())
}

async fn jobs(db: &TestDb) -> Vec<Job> {
    admin::list(db.pool(), &[], 1000).await.unwrap()
}

async fn count(db: &TestDb, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn finding2_a_truncated_xlsx_waits_and_then_fails_as_incomplete_never_imported() {
    let db = TestDb::new().await;
    let (intake, layout) = intake(&db, &db.work_dir().join("share/inbox"), settings()).await;
    let whole = std::fs::read(fixture("schedules/grid_weekly.xlsx")).unwrap();
    let cut = layout.inbox.join("week48.xlsx");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();

    let stop = tokio_util::sync::CancellationToken::new();
    // Quiet long enough for the settle time, not for giving up: it waits.
    let t = intake
        .take_after(&cut, Duration::from_millis(200), &stop)
        .await
        .unwrap();
    assert!(
        matches!(t, pharmacy_ingest::intake::watch::Taken::Wait(_)),
        "{t:?}"
    );
    assert!(cut.exists() && jobs(&db).await.is_empty());

    // Quiet past incomplete_fail_secs: refused to failed/ with a report, still no job.
    let t = intake
        .take_after(&cut, Duration::from_secs(2), &stop)
        .await
        .unwrap();
    assert_eq!(t, pharmacy_ingest::intake::watch::Taken::Refused);
    assert!(
        jobs(&db).await.is_empty(),
        "an incomplete file is never queued"
    );
    assert_eq!(
        names_in(&layout.failed),
        [
            "week48.xlsx",
            "week48.xlsx.errors.txt",
            "week48.xlsx.result.txt"
        ]
    );
    let report = std::fs::read_to_string(layout.failed.join("week48.xlsx.errors.txt")).unwrap();
    assert!(report.contains("looks incomplete"), "{report}");
    assert!(report.contains("end-of-central-directory"), "{report}");

    // The whole file is taken at once.
    let ok = layout.inbox.join("week48-whole.xlsx");
    std::fs::write(&ok, &whole).unwrap();
    let t = intake
        .take_after(&ok, Duration::from_millis(200), &stop)
        .await
        .unwrap();
    assert!(
        matches!(t, pharmacy_ingest::intake::watch::Taken::Queued(_)),
        "{t:?}"
    );
}

#[tokio::test]
async fn finding2_csv_waits_the_longer_text_settle_time() {
    let db = TestDb::new().await;
    let (intake, layout) = intake(&db, &db.work_dir().join("share/inbox"), settings()).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let csv = layout.inbox.join("rows.csv");
    std::fs::write(&csv, b"Store,Employee\n1042,x\n").unwrap();
    let wait = intake
        .take_after(&csv, Duration::from_millis(150), &stop)
        .await
        .unwrap();
    assert!(matches!(
        wait,
        pharmacy_ingest::intake::watch::Taken::Wait(_)
    ));
    let took = intake
        .take_after(&csv, Duration::from_millis(350), &stop)
        .await
        .unwrap();
    assert!(matches!(
        took,
        pharmacy_ingest::intake::watch::Taken::Queued(_)
    ));

    // Without a final line break, three times as long.
    let open = layout.inbox.join("open.csv");
    std::fs::write(&open, b"Store,Employee\n1042,x").unwrap();
    let wait = intake
        .take_after(&open, Duration::from_millis(350), &stop)
        .await
        .unwrap();
    assert!(matches!(
        wait,
        pharmacy_ingest::intake::watch::Taken::Wait(_)
    ));
    let took = intake
        .take_after(&open, Duration::from_millis(950), &stop)
        .await
        .unwrap();
    assert!(matches!(
        took,
        pharmacy_ingest::intake::watch::Taken::Queued(_)
    ));
}

#[tokio::test]
async fn finding2_a_writer_that_resumes_after_the_file_was_taken_gets_no_partial_import() {
    let db = TestDb::new().await;
    assert!(db.run_bin(&["demo-data"]).status.success());
    let (intake, layout) = intake(&db, &db.work_dir().join("share/inbox"), settings()).await;
    let full = std::fs::read(fixture("worker/week-1042.csv")).unwrap();
    let half = full
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .nth(15)
        .unwrap();
    let path = layout.inbox.join("week-1042.csv");
    std::fs::write(&path, &full[..half]).unwrap();
    // The writer keeps the file open across its pause.
    let mut writer = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let job_id = intake.take(&path).await.unwrap().expect("queued");
    // The pause ends: the rest goes into the same file, now in processing/.
    std::io::Write::write_all(&mut writer, &full[half..]).unwrap();
    drop(writer);

    let r = runner(&db, vec![layout.processing.clone()], 1 << 20);
    assert_eq!(r.drain().await.unwrap(), 1);
    let job = admin::show(db.pool(), job_id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("changed after it was taken"),
        "{:?}",
        job.last_error
    );
    assert_eq!(count(&db, "SELECT count(*) FROM store_schedules").await, 0);
    assert_eq!(
        count(&db, "SELECT count(*) FROM document_imports").await,
        0,
        "no partial import recorded"
    );
    // The whole file is back in the inbox, to be taken again.
    assert_eq!(std::fs::read(&path).unwrap(), full);
    assert!(names_in(&layout.processing).is_empty());
    let again = intake.take(&path).await.unwrap().expect("queued again");
    assert_eq!(r.drain().await.unwrap(), 1);
    let job = admin::show(db.pool(), again).await.unwrap();
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(count(&db, "SELECT count(*) FROM store_schedules").await, 35);
}

#[tokio::test]
async fn finding3_over_limit_files_never_reach_import_jobs_or_import_files() {
    let db = TestDb::new().await;
    roots::publish_file_limit(db.pool(), "small-host", 1000)
        .await
        .unwrap();
    let big = NewJob::new(
        "big.csv",
        JobFile::Bytes(vec![b'x'; 1001]),
        ImportSource::Sql,
    );
    let err = enqueue(db.pool(), &big).await.unwrap_err();
    assert!(
        matches!(&err, QueueError::Refused(m) if m.contains("too large") && m.contains("1001 bytes")),
        "{err}"
    );
    // The same refusal through plain SQL, as upstream services call it (base64 too).
    let sql = sqlx::query("SELECT enqueue_import(file_name => 'b.csv', file_base64 => $1)")
        .bind(std::iter::repeat_n("eHh4", 400).collect::<String>())
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(sql.to_string().contains("too large"), "{sql}");
    let ok = NewJob::new(
        "ok.csv",
        JobFile::Bytes(vec![b'x'; 1000]),
        ImportSource::Sql,
    );
    enqueue(db.pool(), &ok).await.unwrap();

    // The CLI checks the size before reading or connecting: nothing stored.
    let file = db.work_dir().join("big.csv");
    std::fs::File::create(&file).unwrap().set_len(5000).unwrap();
    for cmd in ["enqueue", "import"] {
        let out = db
            .command()
            .env("PHARMACY_INGEST_READ_MAX_FILE_BYTES", "4096")
            .args([cmd, file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.contains("big.csv: the file is too large (5000 bytes; the limit is 4096"),
            "{cmd}: {stderr}"
        );
    }
    assert_eq!(count(&db, "SELECT count(*) FROM import_jobs").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM import_files").await, 0);
}

#[tokio::test]
async fn finding4_an_oversized_inbox_file_goes_to_failed_and_the_sweep_goes_on() {
    let db = TestDb::new().await;
    let (intake, layout) = intake(&db, &db.work_dir().join("share/inbox"), settings()).await;
    let intake = intake.with_max_file_bytes(10 * 1024 * 1024);
    // 1.1 GB, sparse: reading it whole would take 1.1 GB of memory.
    let huge = layout.inbox.join("huge.csv");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1_100_000_000)
        .unwrap();
    assert_eq!(intake.take(&huge).await.unwrap(), None);
    assert_eq!(
        names_in(&layout.failed),
        ["huge.csv", "huge.csv.errors.txt", "huge.csv.result.txt"]
    );
    let report = std::fs::read_to_string(layout.failed.join("huge.csv.errors.txt")).unwrap();
    assert!(
        report.contains("too large (1100000000 bytes; the limit is 10485760 bytes)"),
        "{report}"
    );

    // processing/: an oversized orphan, a file the queue refuses, and a normal orphan.
    std::fs::File::create(layout.processing.join("a-huge.csv"))
        .unwrap()
        .set_len(1_100_000_000)
        .unwrap();
    roots::publish_file_limit(db.pool(), "tiny", 64)
        .await
        .unwrap();
    std::fs::write(layout.processing.join("b-refused.csv"), vec![b'x'; 100]).unwrap();
    std::fs::write(layout.processing.join("c-orphan.csv"), b"Store\n1042\n").unwrap();
    let sweep = intake.sweep_processing().await.unwrap();
    assert_eq!((sweep.queued, sweep.finished, sweep.errors), (1, 2, 0));
    assert_eq!(names_in(&layout.processing), ["c-orphan.csv"]);
    let failed = names_in(&layout.failed);
    for f in [
        "a-huge.csv",
        "a-huge.csv.errors.txt",
        "b-refused.csv",
        "b-refused.csv.errors.txt",
    ] {
        assert!(failed.iter().any(|n| n == f), "{f} not in {failed:?}");
    }
    let queued = jobs(&db).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].file_name, "c-orphan.csv");
}

#[tokio::test]
async fn finding5_a_fifo_under_a_path_root_fails_at_once_instead_of_hanging_the_slot() {
    let db = TestDb::new().await;
    let root = db.work_dir().join("drop");
    std::fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    roots::publish(db.pool(), "fifo-host", std::slice::from_ref(&root))
        .await
        .unwrap();
    let fifo = root.join("week48.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let job = NewJob::new(
        "week48.csv",
        JobFile::Path(fifo.to_string_lossy().into_owned()),
        ImportSource::Sql,
    );
    let id = enqueue(db.pool(), &job).await.unwrap();
    let r = runner(&db, vec![root.clone()], 1 << 20);
    let ran = tokio::time::timeout(Duration::from_secs(10), r.drain())
        .await
        .expect("the job must not hang on the FIFO");
    assert_eq!(ran.unwrap(), 1);
    let job = admin::show(db.pool(), id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    let err = job.last_error.unwrap();
    assert!(err.contains("named pipe (FIFO)"), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[tokio::test]
async fn finding7_three_workers_syncing_templates_on_a_fresh_database_all_succeed() {
    let db = TestDb::new().await;
    let set = TemplateSet::embedded().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let pool = db.pool().clone();
        let set = set.clone();
        tasks.push(tokio::spawn(async move {
            pharmacy_ingest::template::sync::sync_file_templates(&pool, &set).await
        }));
    }
    let mut inserted = 0;
    for t in tasks {
        let report = t.await.unwrap().expect("no duplicate-key error");
        inserted += report.inserted.len();
    }
    assert_eq!(inserted, set.len(), "each template inserted exactly once");
    assert_eq!(
        count(&db, "SELECT count(*) FROM processing_templates").await,
        set.len() as i64
    );
}

#[tokio::test]
async fn issue8_template_sync_keys_on_the_definition_and_keeps_operator_aliases() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let base = r#"
name = "sync-probe"
layout = "rows"
description = "probe"

[columns]
store_number = ["Store"]
employee_name = ["Employee"]
date = ["Date"]
start = ["Start"]
end = ["End"]
"#;
    let set = |text: &str| {
        let t = pharmacy_ingest::template::set::CompiledTemplate::from_toml(
            "sync-probe.toml",
            text,
            "test".into(),
        )
        .expect("template compiles");
        TemplateSet::new(vec![t]).unwrap()
    };
    let sync = pharmacy_ingest::template::sync::sync_file_templates;
    assert_eq!(sync(pool, &set(base)).await.unwrap().inserted.len(), 1);
    // Same definition, different text (a comment, other spacing): unchanged.
    let same = format!("# a comment\n{}", base.replace(" = ", "="));
    assert_eq!(sync(pool, &set(&same)).await.unwrap().unchanged.len(), 1);
    // An operator adds an alias.
    sqlx::query(
        "UPDATE data_mappings SET aliases = aliases || '{Team Member}'::text[] \
         WHERE target_field = 'employee_name' AND template_id = \
           (SELECT id FROM processing_templates WHERE name = 'sync-probe')",
    )
    .execute(pool)
    .await
    .unwrap();
    // The file changes (a new alias, one removed): the operator's alias stays.
    let changed = base
        .replace(
            r#"employee_name = ["Employee"]"#,
            r#"employee_name = ["Employee", "Staff"]"#,
        )
        .replace(r#"date = ["Date"]"#, r#"date = ["Day"]"#);
    assert_eq!(sync(pool, &set(&changed)).await.unwrap().updated.len(), 1);
    let rows: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT target_field, aliases FROM data_mappings m JOIN processing_templates t \
         ON t.id = m.template_id WHERE t.name = 'sync-probe' ORDER BY target_field",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let get = |f: &str| rows.iter().find(|(n, _)| n == f).unwrap().1.clone();
    assert_eq!(get("employee_name"), ["Employee", "Staff", "Team Member"]);
    assert_eq!(get("date"), ["Day"]);
}

#[tokio::test]
async fn finding9_a_full_disk_leaves_no_empty_report_and_the_sweep_writes_it_later() {
    let db = TestDb::new().await;
    let mount = db.work_dir().join("small-disk");
    std::fs::create_dir_all(&mount).unwrap();
    let Some(_guard) = TmpfsMount::new(&mount, "256k") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let (intake, layout) = intake(&db, &mount.join("inbox"), settings()).await;
    let bad = layout.processing.join("bad.csv");
    std::fs::write(&bad, b"Store\n").unwrap();
    sqlx::query(
        "INSERT INTO import_jobs (state, file_name, file_path, source, finished_at, last_error)
         VALUES ('failed', 'bad.csv', $1, 'inbox', now() - interval '1 minute', 'no template fits')",
    )
    .bind(bad.to_str().unwrap())
    .execute(db.pool())
    .await
    .unwrap();
    // Fill the disk.
    let filler = mount.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    while std::io::Write::write_all(&mut f, &[0u8; 4096]).is_ok() {}
    while std::io::Write::write_all(&mut f, &[0u8]).is_ok() {}
    drop(f);

    let sweep = intake.sweep_processing().await.unwrap();
    assert_eq!((sweep.finished, sweep.errors), (0, 1));
    assert_eq!(names_in(&layout.processing), ["bad.csv"], "kept for later");
    assert!(
        names_in(&layout.failed).is_empty(),
        "no empty report, no temporary left"
    );

    std::fs::remove_file(&filler).unwrap();
    let sweep = intake.sweep_processing().await.unwrap();
    assert_eq!((sweep.finished, sweep.errors), (1, 0));
    assert_eq!(
        names_in(&layout.failed),
        ["bad.csv", "bad.csv.errors.txt", "bad.csv.result.txt"]
    );
    let report = std::fs::read_to_string(layout.failed.join("bad.csv.errors.txt")).unwrap();
    assert!(report.contains("no template fits"), "{report}");
}

/// A tmpfs mounted for one test (root only); unmounted on drop.
struct TmpfsMount(PathBuf);

impl TmpfsMount {
    fn new(at: &Path, size: &str) -> Option<TmpfsMount> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| TmpfsMount(at.to_path_buf()))
    }
}

impl Drop for TmpfsMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .args(["-l"])
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn finding11_concurrent_migrate_runs_each_report_only_what_they_applied() {
    let db = TestDb::empty().await;
    // The first migration of the test process may alter cluster-wide roles: the harness's
    // lock keeps that one alone; these three then race on the same fresh database (three
    // connections, interleaved on this task).
    let one = async || {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db.url())
            .await
            .unwrap();
        support::migrate_up(&mut conn).await
    };
    let (a, b, c) = tokio::join!(one(), one(), one());
    let mut all: Vec<i64> = Vec::new();
    let mut non_empty = 0;
    for applied in [a, b, c] {
        non_empty += usize::from(!applied.is_empty());
        all.extend(applied);
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total, "no migration reported twice");
    assert_eq!(
        non_empty, 1,
        "one run applied everything, the others nothing"
    );
    assert_eq!(
        all.last().copied(),
        Some(pharmacy_ingest::db::migrations::latest_known())
    );
}

/// The pool skips sqlx's ping for a connection just given back, so a connection that sat idle
/// must still be pinged: one the server dropped while it was idle is replaced, not handed out.
#[tokio::test]
async fn a_connection_dropped_while_idle_in_the_pool_is_replaced_before_use() {
    use pharmacy_ingest::db::{DbSettings, PING_AFTER_IDLE, pool_options};
    let db = TestDb::new().await;
    let settings = DbSettings {
        max_connections: 1,
        ..DbSettings::default()
    };
    let pool = pool_options(&settings)
        .connect(db.url())
        .await
        .expect("pool");
    let first: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(ended, "the pooled backend was ended");
    tokio::time::sleep(PING_AFTER_IDLE + Duration::from_millis(200)).await;
    let second: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .expect("the dead connection was found by the ping and replaced");
    assert_ne!(second, first, "a new connection answered");
    pool.close().await;
}
