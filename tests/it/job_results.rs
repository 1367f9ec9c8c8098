//! A result for every job: the outcome and counts on `import_jobs`, one
//! `NOTIFY pharmacy_ingest_job_done` per end state (imported, partial, duplicate, held, failed,
//! cancelled), delivered at commit, `import_job_result(job_id)` for upstream services, and clear
//! errors from `enqueue_import` for bad arguments.

use crate::import::seed_stores;
use crate::support::{self, TestDb};
use pharmacy_ingest::import::ImportSource;
use pharmacy_ingest::pipeline::plan::PlanOptions;
use pharmacy_ingest::queue::enqueue::{JobFile, NewJob, enqueue};
use pharmacy_ingest::queue::runner::Runner;
use pharmacy_ingest::queue::{
    JOB_DONE_CHANNEL, JobState, Outcome, QueueError, WorkerSettings, admin, lease, maintain,
};
use pharmacy_ingest::template::set::TemplateSet;
use pharmacy_ingest::worker::ImportWork;
use serde_json::Value;
use sqlx::postgres::PgListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/import")
            .join(name),
    )
    .unwrap()
}

/// A worker in this process (no folders, no LISTEN) whose `drain()` runs every due job.
pub fn runner(db: &TestDb) -> Arc<Runner<ImportWork>> {
    let plan = PlanOptions {
        template: None,
        templates: TemplateSet::embedded().unwrap(),
        read: Default::default(),
        store: None,
        fallback_store: None,
        today: Some(chrono::NaiveDate::from_ymd_opt(2025, 11, 20).unwrap()),
    };
    let work = ImportWork::new(
        db.pool().clone(),
        WorkerSettings::default(),
        "test-worker",
        plan,
    );
    Arc::new(work.into_runner())
}

async fn queue_fixture(db: &TestDb, name: &str) -> Uuid {
    enqueue(
        db.pool(),
        &NewJob::new(name, JobFile::Bytes(fixture(name)), ImportSource::Sql),
    )
    .await
    .unwrap()
}

/// The next job-done notification, parsed.
async fn next_done(listener: &mut PgListener) -> Value {
    let n = tokio::time::timeout(Duration::from_secs(10), listener.recv())
        .await
        .expect("a job-done notification")
        .unwrap();
    assert_eq!(n.channel(), JOB_DONE_CHANNEL);
    serde_json::from_str(n.payload()).unwrap()
}

async fn no_more(listener: &mut PgListener) {
    let more = tokio::time::timeout(Duration::from_millis(300), listener.recv()).await;
    assert!(more.is_err(), "one notification per end: {more:?}");
}

async fn result_of(db: &TestDb, id: Uuid) -> Value {
    sqlx::query_scalar("SELECT import_job_result($1)")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_end_state_is_recorded_and_announced_once() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[101]).await;
    let mut listener = PgListener::connect(db.url()).await.unwrap();
    listener.listen(JOB_DONE_CHANNEL).await.unwrap();
    let worker = runner(&db);

    let cases = [
        (
            "week48_store101.csv",
            Outcome::Imported,
            JobState::Succeeded,
        ),
        (
            "week48_store101.csv",
            Outcome::Duplicate,
            JobState::Succeeded,
        ),
        (
            "week48_store101_bad_rows.csv",
            Outcome::Partial,
            JobState::Succeeded,
        ),
        ("week48_store999.csv", Outcome::Failed, JobState::Failed),
    ];
    for (file, outcome, state) in cases {
        let id = queue_fixture(&db, file).await;
        assert_eq!(worker.drain().await.unwrap(), 1);
        let job = admin::show(db.pool(), id).await.unwrap();
        assert_eq!((job.state, job.outcome), (state, Some(outcome)), "{file}");
        // The job is completed in the import's last statement, with the import's own counts.
        let counts: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT rows_imported::int8, rows_rejected::int8, rows_replaced::int8, warnings::int8
             FROM document_imports WHERE id = $1",
        )
        .bind(job.import_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let job_counts = (job.rows_imported, job.rows_rejected, job.rows_replaced);
        let job_counts = (job_counts, job.warnings);
        assert_eq!(
            job_counts,
            (
                (Some(counts.0), Some(counts.1), Some(counts.2)),
                Some(counts.3)
            ),
            "{file}"
        );
        let note = next_done(&mut listener).await;
        assert_eq!(note["job_id"], id.to_string(), "{file}");
        assert_eq!(note["outcome"], outcome.as_str(), "{file}");
        assert_eq!(note["import_id"], job.import_id.unwrap().to_string());
        assert_eq!(note["rows_imported"], job.rows_imported.unwrap());
        no_more(&mut listener).await;

        let result = result_of(&db, id).await;
        assert_eq!(result["finished"], true);
        assert_eq!(result["outcome"], outcome.as_str());
        assert_eq!(result["rows_rejected"], job.rows_rejected.unwrap());
    }
    let partial = admin::list_with_outcomes(db.pool(), &[], &[Outcome::Partial], 10)
        .await
        .unwrap();
    assert_eq!(partial.len(), 1);
    assert!(partial[0].rows_rejected.unwrap() > 0 && partial[0].rows_imported.unwrap() > 0);

    // Cancelled before it ran: announced at once, with no import.
    let id = queue_fixture(&db, "week48_store101.csv").await;
    let pending = result_of(&db, id).await;
    assert_eq!(pending["finished"], false);
    assert_eq!(pending["outcome"], Value::Null);
    admin::cancel(db.pool(), id).await.unwrap();
    let note = next_done(&mut listener).await;
    assert_eq!(note["job_id"], id.to_string());
    assert_eq!(note["outcome"], "cancelled");
    assert_eq!(note["import_id"], Value::Null);
    no_more(&mut listener).await;

    // Retried: the old outcome is gone until it ends again, and the new end is announced.
    admin::retry(db.pool(), id).await.unwrap();
    assert_eq!(admin::show(db.pool(), id).await.unwrap().outcome, None);
    worker.drain().await.unwrap();
    let note = next_done(&mut listener).await;
    assert_eq!(
        (note["job_id"].as_str(), note["outcome"].as_str()),
        (Some(id.to_string().as_str()), Some("duplicate"))
    );
}

/// A replace held for approval (`worker.hold_risky_replaces`) ends its job as `held`, announced
/// once; `import_job_result` says so, also after the job is pruned.
#[tokio::test]
async fn a_held_replace_ends_its_job_as_held() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[1042]).await;
    let mut listener = PgListener::connect(db.url()).await.unwrap();
    listener.listen(JOB_DONE_CHANNEL).await.unwrap();
    let worker = runner(&db);
    let holding = ImportWork::new(
        db.pool().clone(),
        WorkerSettings {
            hold_risky_replaces: true,
            ..WorkerSettings::default()
        },
        "holding-worker",
        worker.work.plan_options(),
    );
    let holding = Arc::new(holding.into_runner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, who) in [
        ("fixtures/worker/week-1042.csv", &worker),
        ("fixtures/feedback/thu-wed-1042.csv", &holding),
    ] {
        let bytes = std::fs::read(root.join(file)).unwrap();
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        enqueue(
            db.pool(),
            &NewJob::new(name, JobFile::Bytes(bytes), ImportSource::Sql),
        )
        .await
        .unwrap();
        assert_eq!(who.drain().await.unwrap(), 1);
    }
    let first = next_done(&mut listener).await;
    assert_eq!(first["outcome"], "imported");
    let note = next_done(&mut listener).await;
    assert_eq!(note["outcome"], "held");
    no_more(&mut listener).await;
    let id: Uuid = note["job_id"].as_str().unwrap().parse().unwrap();
    let job = admin::show(db.pool(), id).await.unwrap();
    assert_eq!(
        (job.state, job.outcome, job.rows_imported),
        (JobState::Succeeded, Some(Outcome::Held), Some(0))
    );
    assert_eq!(result_of(&db, id).await["outcome"], "held");
    maintain::prune_finished(db.pool(), Duration::ZERO)
        .await
        .unwrap();
    let pruned = result_of(&db, id).await;
    assert_eq!(
        (pruned["outcome"].as_str(), pruned["finished"].as_bool()),
        (Some("held"), Some(true))
    );
}

/// Failures outside the import transaction end the job too: a permanent failure recorded by
/// the worker, the rescuer giving up after the last attempt, a cancel of a running job.
#[tokio::test]
async fn failures_rescues_and_cancels_of_running_jobs_are_announced() {
    let db = TestDb::new().await;
    let mut listener = PgListener::connect(db.url()).await.unwrap();
    listener.listen(JOB_DONE_CHANNEL).await.unwrap();
    let lease_for = Duration::from_secs(10);

    let failed = queue_fixture(&db, "week48_store101.csv").await;
    let claim = lease::claim(db.pool(), "w", 1, lease_for).await.unwrap()[0]
        .claim()
        .unwrap();
    // A transient failure is not an end: no notification.
    sqlx::query("UPDATE import_jobs SET max_attempts = 2 WHERE id = $1")
        .bind(failed)
        .execute(db.pool())
        .await
        .unwrap();
    lease::fail(
        db.pool(),
        &claim,
        "connection reset",
        lease::Failure::Transient,
        0.0,
    )
    .await
    .unwrap();
    no_more(&mut listener).await;
    sqlx::query("UPDATE import_jobs SET run_at = now() WHERE id = $1")
        .bind(failed)
        .execute(db.pool())
        .await
        .unwrap();
    // The second (last) attempt's worker dies: the rescuer fails the job.
    lease::claim(db.pool(), "w", 1, lease_for).await.unwrap();
    sqlx::query("UPDATE import_jobs SET leased_until = now() - interval '1 second' WHERE id = $1")
        .bind(failed)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        maintain::rescue_expired(db.pool()).await.unwrap(),
        [(failed, JobState::Failed)]
    );
    let note = next_done(&mut listener).await;
    assert_eq!(note["job_id"], failed.to_string());
    assert_eq!(note["outcome"], "failed");
    let result = result_of(&db, failed).await;
    assert_eq!(result["outcome"], "failed");
    assert!(
        result["error"].as_str().unwrap().contains("heartbeating"),
        "{result}"
    );

    let permanent = queue_fixture(&db, "week48_store101.csv").await;
    let claim = lease::claim(db.pool(), "w", 1, lease_for).await.unwrap()[0]
        .claim()
        .unwrap();
    lease::fail(
        db.pool(),
        &claim,
        "cannot read the file",
        lease::Failure::Permanent,
        0.0,
    )
    .await
    .unwrap();
    let note = next_done(&mut listener).await;
    assert_eq!(
        (note["job_id"].as_str(), note["outcome"].as_str()),
        (Some(permanent.to_string().as_str()), Some("failed"))
    );

    let running = queue_fixture(&db, "week48_store101.csv").await;
    lease::claim(db.pool(), "w", 1, lease_for).await.unwrap();
    admin::cancel(db.pool(), running).await.unwrap();
    let note = next_done(&mut listener).await;
    assert_eq!(
        (note["job_id"].as_str(), note["outcome"].as_str()),
        (Some(running.to_string().as_str()), Some("cancelled"))
    );
    no_more(&mut listener).await;
}

/// The notification is part of the ending transaction: nothing is announced for a rolled-back
/// completion, and a listener hears it only after the commit.
#[tokio::test]
async fn the_announcement_is_delivered_at_commit() {
    let db = TestDb::new().await;
    let mut listener = PgListener::connect(db.url()).await.unwrap();
    listener.listen(JOB_DONE_CHANNEL).await.unwrap();
    let id = queue_fixture(&db, "week48_store101.csv").await;

    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query("UPDATE import_jobs SET state = 'cancelled' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    no_more(&mut listener).await;
    tx.rollback().await.unwrap();
    no_more(&mut listener).await;

    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query("UPDATE import_jobs SET state = 'cancelled' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    no_more(&mut listener).await;
    tx.commit().await.unwrap();
    assert_eq!(next_done(&mut listener).await["outcome"], "cancelled");
}

#[tokio::test]
async fn results_are_for_services_only_and_outlive_pruning() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[101]).await;
    let id = queue_fixture(&db, "week48_store101_bad_rows.csv").await;
    runner(&db).drain().await.unwrap();

    let mut tx = support::begin_as(db.pool(), "service_role", None).await;
    let r: Value = sqlx::query_scalar("SELECT import_job_result($1)")
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(r["outcome"], "partial");
    drop(tx);
    for role in ["anon", "authenticated"] {
        let mut tx = support::begin_as(db.pool(), role, None).await;
        let err = sqlx::query("SELECT import_job_result($1)")
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap_err();
        let code = err.as_database_error().and_then(|e| e.code()).unwrap();
        assert_eq!(code, "42501", "{role} must not read job results");
    }

    // Pruned: the import record still answers.
    maintain::prune_finished(db.pool(), Duration::ZERO)
        .await
        .unwrap();
    assert!(matches!(
        admin::show(db.pool(), id).await,
        Err(QueueError::NotFound(_))
    ));
    let r = result_of(&db, id).await;
    assert_eq!(
        (r["outcome"].as_str(), r["finished"].as_bool()),
        (Some("partial"), Some(true))
    );

    let err = sqlx::query("SELECT import_job_result($1)")
        .bind(Uuid::new_v4())
        .execute(db.pool())
        .await
        .unwrap_err();
    let db_err = err.as_database_error().unwrap();
    assert_eq!(db_err.code().as_deref(), Some("P0002"));
    assert!(db_err.message().starts_with("import_job_result: no job"));
}

/// Bad arguments get one clear line each (SQLSTATE 22023), never a raw PostgreSQL error.
#[tokio::test]
async fn enqueue_names_what_is_wrong_with_its_arguments() {
    let db = TestDb::new().await;
    let refused = |sql: &'static str| {
        let pool = db.pool().clone();
        async move {
            let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
            let e = err.as_database_error().unwrap();
            assert_eq!(e.code().as_deref(), Some("22023"), "{sql}: {}", e.message());
            e.message().to_string()
        }
    };
    let m = refused("SELECT enqueue_import('a.csv', file_base64 => 'aGVsbG8*d29ybGQ=')").await;
    assert!(
        m.contains("not base64") && m.contains("'*'") && m.contains("8"),
        "{m}"
    );
    let m = refused("SELECT enqueue_import('a.csv', file_base64 => 'aGVsbG8gd')").await;
    assert!(m.contains("cut short"), "{m}");
    let m = refused("SELECT enqueue_import('a.csv', file_bytes => 'a'::bytea, mode => null)").await;
    assert!(
        m.contains("mode must be replace or append, not null"),
        "{m}"
    );
    let m = refused("SELECT enqueue_import('a.csv', file_bytes => 'a'::bytea, priority => 40000)")
        .await;
    assert!(m.contains("priority must be"), "{m}");
    let m = refused("SELECT enqueue_import('a.csv', file_bytes => 'a'::bytea, store_number => -4)")
        .await;
    assert!(m.contains("store_number must be a positive"), "{m}");
    let m =
        refused("SELECT enqueue_import('a.csv', file_bytes => 'a'::bytea, force => null)").await;
    assert!(m.contains("force must be true or false"), "{m}");
    let m =
        refused("SELECT enqueue_import('a.csv', file_bytes => 'a'::bytea, template => ' ')").await;
    assert!(m.contains("template must be"), "{m}");

    // What JSON clients send is accepted: URL-safe alphabet, no padding, line breaks, a data URL.
    for b64 in [
        "aGVsbG8-d29ybGQ_",
        "aGVsbG8-d29ybGQ_\n",
        "aGk",
        "data:text/csv;base64,aGk=",
    ] {
        let id: Uuid = sqlx::query_scalar("SELECT enqueue_import('a.csv', file_base64 => $1)")
            .bind(b64)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert!(admin::show(db.pool(), id).await.unwrap().file_size.unwrap() > 0);
    }
}
