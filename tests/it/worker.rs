//! The real binary as a worker: `pharmacy-ingest run` against a test database and real
//! folders. A dropped schedule is imported and moved to `processed/`; the same file again is a
//! duplicate; a bad file ends in `failed/` with its report while the worker goes on; a kill -9
//! in the middle of an import leaves no partial shifts and the restarted worker imports the file;
//! two workers on one database and one inbox import each file exactly once; SIGTERM stops it.

use crate::support::TestDb;
use crate::support::folders::{drop_into, files_under, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/worker")
        .join(name)
}

fn manifest(name: &str) -> i64 {
    let text = std::fs::read_to_string(fixture("MANIFEST.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m[name].as_i64().unwrap()
}

/// A worker process and its folders.
pub(crate) struct Worker {
    child: Child,
}

impl Worker {
    pub(crate) fn start(db: &TestDb, config: &Path, name: &str) -> Worker {
        let log = std::fs::File::create(db.work_dir().join(format!("{name}.log"))).unwrap();
        let child = db
            .command()
            .args(["--config", config.to_str().unwrap(), "run"])
            .env("RUST_LOG", "info")
            .env("PHARMACY_INGEST_WORKER_ID", name)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the worker");
        Worker { child }
    }

    fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        for _ in 0..300 {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the worker did not stop within 15 s of SIGTERM");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A configuration with short leases and settle time, one shared inbox, no HTTP server.
pub(crate) fn config(db: &TestDb, inbox: &Path) -> PathBuf {
    let path = db.work_dir().join("pharmacy-ingest.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[worker]
concurrency = 2
lease_secs = 3
heartbeat_ms = 500
rescue_interval_ms = 500
poll_interval_ms = 250
backoff_base_secs = 0.2

[intake]
inboxes = ["{}"]
settle_ms = 300
text_settle_ms = 300
rescan_secs = 1
recover_grace_secs = 1

[http]
listen = ""
"#,
            inbox.display()
        ),
    )
    .unwrap();
    path
}

fn setup(db: &TestDb) -> (PathBuf, PathBuf) {
    let out = db.run_bin(&["demo-data"]);
    assert!(out.status.success(), "{}", out.stderr);
    let root = db.work_dir().join("share");
    let inbox = root.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let cfg = config(db, &inbox);
    (root, cfg)
}

/// Copy a fixture into the inbox the way a store manager's copy lands: written under a temp
/// name, then renamed.
fn drop_file(inbox: &Path, fixture_name: &str, as_name: &str) {
    drop_into(inbox, &fixture(fixture_name), as_name);
}

async fn scalar(db: &TestDb, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dropped_schedule_is_imported_and_the_same_file_again_is_a_duplicate() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db);
    let mut w = Worker::start(&db, &cfg, "w1");

    drop_file(&root.join("inbox"), "week-1042.csv", "week-1042.csv");
    wait_until("the file in processed/", Duration::from_secs(30), || {
        files_under(&root.join("processed")) == ["week-1042.csv", "week-1042.csv.result.txt"]
    })
    .await;
    let shifts = manifest("week-1042.csv");
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        shifts
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM document_imports WHERE status IN ('succeeded', 'partial')"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM store_schedules s JOIN document_imports d ON d.id = s.import_id"
        )
        .await,
        shifts,
        "every shift knows its import"
    );

    drop_file(&root.join("inbox"), "week-1042.csv", "week-1042.csv");
    wait_until(
        "the second copy in processed/",
        Duration::from_secs(30),
        || files_under(&root.join("processed")).len() == 4,
    )
    .await;
    assert_eq!(
        files_under(&root.join("processed")),
        [
            "week-1042 (1).csv",
            "week-1042 (1).csv.result.txt",
            "week-1042.csv",
            "week-1042.csv.result.txt"
        ],
        "nothing overwritten"
    );
    let day = chrono::Local::now().format("%Y-%m-%d").to_string();
    let receipt = std::fs::read_to_string(
        root.join("processed")
            .join(&day)
            .join("week-1042.csv.result.txt"),
    )
    .unwrap();
    assert!(
        receipt.starts_with(&format!(
            "week-1042.csv: imported {} shifts for store 1042, Mon 11/24/2025 to Sun 11/30/2025.",
            manifest("week-1042.csv")
        )),
        "{receipt}"
    );
    let again = std::fs::read_to_string(
        root.join("processed")
            .join(&day)
            .join("week-1042 (1).csv.result.txt"),
    )
    .unwrap();
    assert!(
        again.starts_with("week-1042.csv: already imported on ")
            && again.contains("nothing changed"),
        "a duplicate drop says so: {again}"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        shifts
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM document_imports WHERE status = 'duplicate'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM import_jobs WHERE state = 'succeeded'"
        )
        .await,
        2
    );
    let st = w.terminate();
    assert!(st.success(), "clean exit on SIGTERM: {st}");
}

#[tokio::test]
async fn a_bad_file_ends_in_failed_with_its_report_and_the_worker_goes_on() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db);
    let _w = Worker::start(&db, &cfg, "w1");
    drop_file(&root.join("inbox"), "not-a-schedule.csv", "supplies.csv");
    drop_file(&root.join("inbox"), "week-1042.csv", "week-1042.csv");
    wait_until("both files handled", Duration::from_secs(30), || {
        files_under(&root.join("processed")).len() == 2
            && files_under(&root.join("failed")).len() == 3
    })
    .await;
    assert_eq!(
        files_under(&root.join("failed")),
        [
            "supplies.csv",
            "supplies.csv.errors.txt",
            "supplies.csv.result.txt"
        ]
    );
    let report = std::fs::read_to_string(root.join("failed/supplies.csv.errors.txt")).unwrap();
    assert!(
        report.contains("supplies.csv"),
        "the report names the file:\n{report}"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM import_jobs WHERE state = 'failed' AND attempt = 1"
        )
        .await,
        1,
        "a bad file is not retried"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        manifest("week-1042.csv")
    );
}

/// Whether a session of this database waits for an advisory lock with the import's job at
/// the `writing` stage.
async fn waiting_on_advisory_lock(pool: &sqlx::PgPool) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'
                          AND wait_event = 'advisory')
            AND EXISTS (SELECT 1 FROM import_jobs WHERE state = 'running' AND stage = 'writing')",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn kill_9_in_the_middle_leaves_no_partial_shifts_and_the_restart_imports_the_file() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db);
    // Hold store 3315's lock (the one every write and revert takes): the import then waits
    // inside its transaction, after it started writing, however fast this machine is.
    let store_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM stores WHERE store_number = 3315")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let mut holder = db.pool().acquire().await.unwrap();
    let key = pharmacy_ingest::db::locks::store(store_id);
    pharmacy_ingest::db::locks::session_lock(&mut holder, &key)
        .await
        .unwrap();
    let mut w = Worker::start(&db, &cfg, "w1");
    drop_file(&root.join("inbox"), "big-3315.csv", "big-3315.csv");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !waiting_on_advisory_lock(db.pool()).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the import never waited for the store's lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.kill9();
    pharmacy_ingest::db::locks::session_unlock(&mut holder, &key)
        .await
        .unwrap();
    drop(holder);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM import_jobs WHERE state = 'running'"
        )
        .await,
        1,
        "killed before the commit"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        0,
        "no partial shifts"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM document_imports WHERE status <> 'processing'"
        )
        .await,
        0
    );
    assert_eq!(files_under(&root.join("processing")), ["big-3315.csv"]);

    let _w2 = Worker::start(&db, &cfg, "w2");
    wait_until(
        "the file in processed/ after the restart",
        Duration::from_secs(90),
        || files_under(&root.join("processed")) == ["big-3315.csv", "big-3315.csv.result.txt"],
    )
    .await;
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        manifest("big-3315.csv")
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT attempt::int8 FROM import_jobs WHERE state = 'succeeded'"
        )
        .await,
        2,
        "the rescued job's second run is the one that landed"
    );
}

#[tokio::test]
async fn two_workers_on_one_database_and_one_inbox_import_each_file_exactly_once() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db);
    let _a = Worker::start(&db, &cfg, "wa");
    let _b = Worker::start(&db, &cfg, "wb");
    let names: Vec<String> = (1..=6).map(|n| format!("week-1042-w{n:02}.csv")).collect();
    for n in &names {
        drop_file(&root.join("inbox"), &format!("weeks/{n}"), n);
    }
    wait_until("every file in processed/", Duration::from_secs(60), || {
        files_under(&root.join("processed")).len() == 2 * names.len()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut expected: Vec<String> = names
        .iter()
        .flat_map(|n| [n.clone(), format!("{n}.result.txt")])
        .collect();
    expected.sort();
    assert_eq!(files_under(&root.join("processed")), expected);
    assert!(files_under(&root.join("processing")).is_empty());
    assert!(files_under(&root.join("failed")).is_empty());
    assert_eq!(scalar(&db, "SELECT count(*) FROM import_jobs").await, 6);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM import_jobs WHERE state = 'succeeded' AND attempt = 1"
        )
        .await,
        6
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM document_imports").await,
        6
    );
    let total: i64 = names.iter().map(|n| manifest(&format!("weeks/{n}"))).sum();
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        total
    );
    let workers = scalar(&db, "SELECT count(DISTINCT worker_id) FROM import_jobs").await;
    assert!(workers >= 1);
}

/// An `upstream-drop` folder the worker of `cfg` may read jobs' paths under.
fn path_root(db: &TestDb, cfg: &Path) -> PathBuf {
    let drop_dir = db.work_dir().join("upstream-drop");
    std::fs::create_dir_all(&drop_dir).unwrap();
    let drop_dir = drop_dir.canonicalize().unwrap();
    let text = std::fs::read_to_string(cfg).unwrap().replace(
        "[worker]\n",
        &format!("[worker]\npath_roots = [\"{}\"]\n", drop_dir.display()),
    );
    std::fs::write(cfg, text).unwrap();
    drop_dir
}

/// Queue `path` from SQL, once the worker has published its roots.
async fn enqueue_path(db: &TestDb, name: &str, path: &Path) -> uuid::Uuid {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = sqlx::query_scalar("SELECT enqueue_import(file_name => $1, file_path => $2)")
            .bind(name)
            .bind(path.to_str().unwrap())
            .fetch_one(db.pool())
            .await;
        match r {
            Ok(id) => return id,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(e) => panic!("enqueue by path: {e}"),
        }
    }
}

#[tokio::test]
async fn jobs_queued_from_the_cli_and_from_sql_by_path_are_imported() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db);
    let drop_dir = path_root(&db, &cfg);
    let _w = Worker::start(&db, &cfg, "w1");

    // From the command line: the bytes travel in the job.
    let out = db.run_bin(&[
        "enqueue",
        fixture("weeks/week-1042-w01.csv").to_str().unwrap(),
        "--priority",
        "5",
        "--json",
    ]);
    assert!(out.status.success(), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let cli_job = v["job_id"].as_str().unwrap().to_string();

    // From SQL by path, once the worker has published its roots.
    let path = drop_dir.join("week-1042-w02.csv");
    std::fs::copy(fixture("weeks/week-1042-w02.csv"), &path).unwrap();
    let sql_job = enqueue_path(&db, "w02.csv", &path).await;
    wait_until_async(&db, "both jobs succeeded", Duration::from_secs(30), 2).await;
    let show = db.run_bin(&["jobs", "show", &cli_job, "--format", "json"]);
    assert!(show.status.success(), "{}", show.stderr);
    let job: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(job["state"], "succeeded");
    assert_eq!(job["source"], "cli");
    assert_eq!(job["priority"], 5);
    let list = db.run_bin(&["jobs", "list", "--state", "succeeded"]);
    assert!(
        list.stdout.contains(&sql_job.to_string()),
        "{}",
        list.stdout
    );
    assert!(path.exists(), "a path job's file is left where it was");
    assert!(files_under(&root.join("processed")).is_empty());
    let total = manifest("weeks/week-1042-w01.csv") + manifest("weeks/week-1042-w02.csv");
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        total
    );
}

async fn wait_until_async(db: &TestDb, what: &str, within: Duration, succeeded: i64) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let n = scalar(
            db,
            "SELECT count(*) FROM import_jobs WHERE state = 'succeeded'",
        )
        .await;
        if n >= succeeded {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sigterm_past_the_grace_period_releases_the_running_import() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db);
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text = text.replace("[worker]\n", "[worker]\nshutdown_grace_secs = 0\n");
    std::fs::write(&cfg, text).unwrap();
    let mut w = Worker::start(&db, &cfg, "w1");
    drop_file(&root.join("inbox"), "big-3315.csv", "big-3315.csv");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let n = scalar(&db, "SELECT count(*) FROM import_jobs WHERE state = 'running' AND stage IN ('planning', 'writing')").await;
        if n == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the import never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let st = w.terminate();
    assert!(st.success(), "{st}");
    let (state, attempt): (String, i32) = sqlx::query_as("SELECT state, attempt FROM import_jobs")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        (state.as_str(), attempt),
        ("available", 0),
        "released without spending an attempt"
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM store_schedules").await, 0);
    assert_eq!(files_under(&root.join("processing")), ["big-3315.csv"]);
}

/// Through a transaction pooler with no direct URL the worker cannot LISTEN: polling alone
/// must still find jobs queued from SQL.
#[tokio::test]
async fn without_listen_polling_finds_jobs() {
    let db = TestDb::new().await;
    let (_root, cfg) = setup(&db);
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text = text.replace("[worker]\n", "[worker]\nlisten = false\n");
    std::fs::write(&cfg, text).unwrap();
    let child = db
        .command()
        .args(["--config", cfg.to_str().unwrap(), "run", "--no-intake"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _w = Worker { child };
    let bytes = std::fs::read(fixture("week-1042.csv")).unwrap();
    sqlx::query("SELECT enqueue_import(file_name => 'week-1042.csv', file_bytes => $1)")
        .bind(&bytes)
        .execute(db.pool())
        .await
        .unwrap();
    wait_until_async(&db, "the polled job", Duration::from_secs(30), 1).await;
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        manifest("week-1042.csv")
    );
}

/// A schedule of `rows` shifts at `store` padded past 8 MiB with a column no template maps (a
/// big export's free-text column): read where it lies, not into memory.
fn large_csv(path: &Path, store: i32, rows: usize) -> Vec<u8> {
    let mut out = String::from("Store,Employee,Date,Start,End,Comment\n");
    let pad = "x".repeat((9 << 20) / rows);
    for i in 0..rows {
        out.push_str(&format!(
            "{store},Employee {i},11/{:02}/2025,9:00,17:00,{pad}\n",
            17 + i % 7
        ));
    }
    std::fs::write(path, &out).unwrap();
    out.into_bytes()
}

/// Files of 8 MiB and more are read where they lie, an inbox file while its `processing/` copy
/// still holds the queued content and a path job's file at its path, and stored byte for byte.
#[tokio::test]
async fn large_files_from_the_inbox_and_by_path_are_imported_from_where_they_lie() {
    let db = TestDb::new().await;
    let (root, cfg) = setup(&db);
    let drop_dir = path_root(&db, &cfg);
    let _w = Worker::start(&db, &cfg, "w1");

    let staged = db.work_dir().join("big-inbox.csv");
    let inbox_bytes = large_csv(&staged, 1042, 60);
    drop_into(&root.join("inbox"), &staged, "big-inbox.csv");
    let by_path = drop_dir.join("big-path.csv");
    let path_bytes = large_csv(&by_path, 2207, 70);
    enqueue_path(&db, "big-path.csv", &by_path).await;
    wait_until_async(&db, "both jobs succeeded", Duration::from_secs(60), 2).await;
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM store_schedules").await,
        130
    );
    for bytes in [&inbox_bytes, &path_bytes] {
        let kept = crate::import::kept_copies(db.pool(), bytes).await;
        assert_eq!(
            kept,
            (1, true),
            "the stored file is the file, byte for byte"
        );
    }
    let log = std::fs::read_to_string(db.work_dir().join("w1.log")).unwrap();
    assert_eq!(
        log.matches("the file is read where it lies").count(),
        2,
        "{log}"
    );
}

/// Jobs whose file did not come with the claim (over 1 MiB, or by path) take one of
/// `worker.large_at_once` permits from reading to commit: with one permit, two such jobs
/// claimed together never write at the same time, and a small job still runs beside them.
#[tokio::test]
async fn large_jobs_take_turns_and_small_ones_run_beside_them() {
    let db = TestDb::new().await;
    let (_root, cfg) = setup(&db);
    let drop_dir = path_root(&db, &cfg);
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("concurrency = 2\n", "concurrency = 3\nlarge_at_once = 1\n");
    std::fs::write(&cfg, text).unwrap();
    let mut paths = Vec::new();
    for store in [1042, 2207] {
        let mut csv = String::from("Store,Employee,Date,Start,End\n");
        for i in 0..3000 {
            csv.push_str(&format!(
                "{store},Employee {i},11/{:02}/2025,9:00,17:00\n",
                17 + i % 7
            ));
        }
        let path = drop_dir.join(format!("turns-{store}.csv"));
        std::fs::write(&path, csv).unwrap();
        paths.push(path);
    }
    let _w = Worker::start(&db, &cfg, "w1");
    enqueue_path(&db, "turns-1042.csv", &paths[0]).await;
    enqueue_path(&db, "turns-2207.csv", &paths[1]).await;
    sqlx::query("SELECT enqueue_import(file_name => 'small.csv', file_bytes => $1)")
        .bind(b"Store,Employee,Date,Start,End\n1042,Ann Lee,11/24/2025,9:00,17:00\n".to_vec())
        .execute(db.pool())
        .await
        .unwrap();
    wait_until_async(&db, "three jobs succeeded", Duration::from_secs(60), 3).await;
    // Each large import's transaction: from its import row (the transaction's start) to the
    // job's completion (the clock just before its commit).
    let spans: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as(
            "SELECT d.created_at, j.finished_at FROM import_jobs j
             JOIN document_imports d ON d.id = j.import_id
             WHERE j.file_name LIKE 'turns-%' ORDER BY d.created_at",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(spans.len(), 2);
    assert!(
        spans[0].1 <= spans[1].0,
        "two large imports wrote at once: {spans:?}"
    );
}
