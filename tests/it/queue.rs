//! The job queue against a real PostgreSQL: `enqueue_import` (roots, grants, the caller's
//! transaction, NOTIFY), claiming with SKIP LOCKED, priorities and `run_at`, leases that a
//! rescued worker can no longer use, retries with backoff, cancel, release and pruning.

use crate::support::{self, TestDb};
use pharmacy_ingest::import::ImportSource;
use pharmacy_ingest::queue::enqueue::{JobFile, NewJob, enqueue};
use pharmacy_ingest::queue::job::Claim;
use pharmacy_ingest::queue::lease::{self, Completion};
use pharmacy_ingest::queue::{JOBS_CHANNEL, JobState, QueueError, admin, maintain, roots};
use sqlx::postgres::PgListener;
use std::time::Duration;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(10);

fn bytes_job(name: &str) -> NewJob {
    NewJob::new(
        name,
        JobFile::Bytes(b"Store,Employee\n".to_vec()),
        ImportSource::Cli,
    )
}

async fn state_of(db: &TestDb, id: Uuid) -> JobState {
    admin::show(db.pool(), id).await.unwrap().state
}

#[tokio::test]
async fn enqueue_in_the_callers_transaction_notifies_on_commit_only() {
    let db = TestDb::new().await;
    let mut listener = PgListener::connect(db.url()).await.unwrap();
    listener.listen(JOBS_CHANNEL).await.unwrap();

    let mut tx = db.pool().begin().await.unwrap();
    let rolled_back = enqueue(&mut *tx, &bytes_job("a.csv")).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(matches!(
        admin::show(db.pool(), rolled_back).await,
        Err(QueueError::NotFound(_))
    ));

    let mut tx = db.pool().begin().await.unwrap();
    let id: Uuid = sqlx::query_scalar(
        "SELECT enqueue_import(file_name => 'b.csv', file_base64 => encode('x,y'::bytea, 'base64'), priority => 3)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let n = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .expect("a notification after commit")
        .unwrap();
    assert_eq!(n.payload(), id.to_string());
    let job = admin::show(db.pool(), id).await.unwrap();
    assert_eq!(job.state, JobState::Available);
    assert_eq!(job.priority, 3);
    assert_eq!(job.file_size, Some(3));
    let expected: String = sqlx::query_scalar("SELECT encode(sha256('x,y'::bytea), 'hex')")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(job.file_sha256.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn paths_must_lie_under_a_published_root() {
    let db = TestDb::new().await;
    let root = db.work_dir().join("drop");
    std::fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    roots::publish(db.pool(), "host-a", std::slice::from_ref(&root))
        .await
        .unwrap();

    let inside = root.join("week48.csv").to_string_lossy().into_owned();
    let id = enqueue(
        db.pool(),
        &NewJob::new("week48.csv", JobFile::Path(inside), ImportSource::Sql),
    )
    .await
    .unwrap();
    assert_eq!(state_of(&db, id).await, JobState::Available);

    for bad in [
        "/etc/passwd".to_string(),
        format!("{}/../secret.csv", root.display()),
        format!("{}-evil/x.csv", root.display()),
        "relative/x.csv".to_string(),
    ] {
        let err = enqueue(
            db.pool(),
            &NewJob::new("x.csv", JobFile::Path(bad.clone()), ImportSource::Sql),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, QueueError::Refused(_)), "{bad}: {err}");
    }

    // Re-publishing replaces this host's roots.
    roots::publish(db.pool(), "host-a", &[]).await.unwrap();
    let again = root.join("week49.csv").to_string_lossy().into_owned();
    assert!(matches!(
        enqueue(
            db.pool(),
            &NewJob::new("w.csv", JobFile::Path(again), ImportSource::Sql)
        )
        .await,
        Err(QueueError::Refused(_))
    ));
}

#[tokio::test]
async fn upstream_roles_may_enqueue_and_anon_may_not() {
    let db = TestDb::new().await;
    let mut tx = support::begin_as(db.pool(), "service_role", None).await;
    let id: Uuid = sqlx::query_scalar("SELECT enqueue_import('s.csv', file_bytes => 'a'::bytea)")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(state_of(&db, id).await, JobState::Available);

    for role in ["anon", "authenticated"] {
        let mut tx = support::begin_as(db.pool(), role, None).await;
        let err = sqlx::query("SELECT enqueue_import('s.csv', file_bytes => 'a'::bytea)")
            .execute(&mut *tx)
            .await
            .unwrap_err();
        let code = err.as_database_error().and_then(|e| e.code()).unwrap();
        assert_eq!(code, "42501", "{role} must not enqueue");
    }
    let rls: bool = sqlx::query_scalar(
        "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.queue_path_roots'::regclass",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert!(rls);
}

#[tokio::test]
async fn concurrent_claims_never_share_a_job() {
    let db = TestDb::new().await;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(
            enqueue(db.pool(), &bytes_job(&format!("{i}.csv")))
                .await
                .unwrap(),
        );
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(4));
    let mut tasks = Vec::new();
    for w in 0..4 {
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut mine = Vec::new();
            loop {
                let got = lease::claim(&pool, &format!("w{w}"), 3, LEASE)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    ids.sort();
    assert_eq!(all, ids, "every job claimed exactly once");
}

#[tokio::test]
async fn higher_priority_first_and_future_jobs_wait() {
    let db = TestDb::new().await;
    let low = enqueue(db.pool(), &bytes_job("low.csv")).await.unwrap();
    let mut high = bytes_job("high.csv");
    high.priority = 5;
    let high = enqueue(db.pool(), &high).await.unwrap();
    let mut later = bytes_job("later.csv");
    later.priority = 9;
    later.run_at = Some(chrono::Utc::now() + chrono::Duration::hours(1));
    let later = enqueue(db.pool(), &later).await.unwrap();

    let order: Vec<Uuid> = [
        lease::claim(db.pool(), "w", 1, LEASE).await.unwrap(),
        lease::claim(db.pool(), "w", 1, LEASE).await.unwrap(),
        lease::claim(db.pool(), "w", 1, LEASE).await.unwrap(),
    ]
    .into_iter()
    .flatten()
    .map(|j| j.id)
    .collect();
    assert_eq!(order, [high, low]);
    assert_eq!(state_of(&db, later).await, JobState::Available);
}

/// A claim reads the due jobs in its own order from the claim index and stops at the first it
/// can lock: with a backlog of thousands, no claim reads and sorts them all (0003's index led
/// with the state and every claim sorted the whole backlog).
#[tokio::test]
async fn a_claim_reads_a_large_backlog_in_order_without_sorting_it() {
    let db = TestDb::new().await;
    sqlx::query(
        "SELECT public.enqueue_import(file_name => 'j' || g || '.csv', file_bytes => '\\x41', \
         priority => g % 3) FROM generate_series(1, 3000) AS g",
    )
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("ANALYZE public.import_jobs")
        .execute(db.pool())
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN {}",
        lease::claim_sql(2).0
    )))
    .bind(10.0f64)
    .bind("w")
    .bind(-1i64)
    .fetch_all(db.pool())
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("import_jobs_claim_idx"), "{plan}");
    assert!(
        !plan.contains("Sort"),
        "the claim sorts the backlog:\n{plan}"
    );
    // On one connection: the claim's unflushed commit is its own, not the session's.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(db.url())
        .await
        .unwrap();
    let first = lease::claim(&pool, "w", 2, LEASE).await.unwrap();
    assert_eq!(first.iter().map(|j| j.priority).collect::<Vec<_>>(), [2, 2]);
    let flushed: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(flushed, "on");
}

/// One wake-up takes every notification already sent: 500 jobs announced by one commit wake
/// the claim loop once, not 500 times (each a claim round that found nothing once the batch
/// was done). The server may deliver them in a few bursts when the machine is busy (each burst
/// is one wake-up), so a handful of wake-ups pass; taking one notification per wake-up does not.
#[tokio::test]
async fn one_wake_up_takes_every_notification_at_hand() {
    let db = TestDb::new().await;
    let poll = Duration::from_millis(400);
    let mut waker =
        pharmacy_ingest::queue::wake::Waker::new(Some(db.url().to_string()), poll).await;
    assert!(waker.is_listening());
    sqlx::query("SELECT pg_notify($1, g::text) FROM generate_series(1, 500) AS g")
        .bind(JOBS_CHANNEL)
        .execute(db.pool())
        .await
        .unwrap();
    let woke = std::time::Instant::now();
    waker.wait().await;
    assert!(woke.elapsed() < poll, "the notifications woke the loop");
    // Wake-ups until a wait lasts its poll interval: nothing was left.
    let mut more = 0;
    loop {
        let again = std::time::Instant::now();
        waker.wait().await;
        if again.elapsed() >= poll - Duration::from_millis(50) {
            break;
        }
        more += 1;
        assert!(
            more <= 10,
            "{more} more wake-ups: notifications are taken one at a time"
        );
    }
}

/// A claim whose lease ran out is rescued; the old holder can neither complete nor fail the
/// job, and the second claim's completion is the one that lands.
#[tokio::test]
async fn a_lost_lease_cannot_complete() {
    let db = TestDb::new().await;
    let id = enqueue(db.pool(), &bytes_job("a.csv")).await.unwrap();
    let first = lease::claim(db.pool(), "w1", 1, LEASE)
        .await
        .unwrap()
        .remove(0);
    let first_claim = first.claim().unwrap();

    // w1 stops heartbeating: the lease runs out and the rescuer takes the job back.
    sqlx::query("UPDATE import_jobs SET leased_until = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    let rescued = maintain::rescue_expired(db.pool()).await.unwrap();
    assert_eq!(rescued, [(id, JobState::Retryable)]);

    let second = lease::claim(db.pool(), "w2", 1, LEASE)
        .await
        .unwrap()
        .remove(0);
    let second_claim = second.claim().unwrap();
    assert_eq!(second.attempt, 2);
    assert_ne!(first_claim.lease_token, second_claim.lease_token);

    // The first worker wakes up and tries to finish: everything is refused.
    assert!(
        !lease::heartbeat(db.pool(), &first_claim, LEASE, None)
            .await
            .unwrap()
    );
    let mut tx = db.pool().begin().await.unwrap();
    assert!(matches!(
        lease::check_in_tx(&mut tx, &first_claim).await,
        Err(QueueError::LeaseLost(_))
    ));
    drop(tx);
    let mut tx = db.pool().begin().await.unwrap();
    let done = Completion {
        state: JobState::Succeeded,
        import_id: None,
        rows_done: 1,
        rows_total: 1,
        error: None,
    };
    assert!(matches!(
        lease::complete_in_tx(&mut tx, &first_claim, &done).await,
        Err(QueueError::LeaseLost(_))
    ));
    drop(tx);
    assert!(matches!(
        lease::fail(
            db.pool(),
            &first_claim,
            "late",
            lease::Failure::Permanent,
            1.0
        )
        .await,
        Err(QueueError::LeaseLost(_))
    ));
    assert!(!lease::release(db.pool(), &first_claim).await.unwrap());

    // The second claim completes.
    let mut tx = db.pool().begin().await.unwrap();
    lease::check_in_tx(&mut tx, &second_claim).await.unwrap();
    lease::complete_in_tx(&mut tx, &second_claim, &done)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let job = admin::show(db.pool(), id).await.unwrap();
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.worker_id.as_deref(), Some("w2"));
    assert!(job.finished_at.is_some());
    assert_eq!(
        job.errors.unwrap().as_array().unwrap().len(),
        1,
        "the rescue is recorded"
    );
}

/// The rescuer takes a job back while its import transaction is still open (the worker
/// stopped heartbeating): the transaction's completion is refused, so nothing it wrote lands.
#[tokio::test]
async fn a_rescue_during_the_import_transaction_voids_it() {
    let db = TestDb::new().await;
    let id = enqueue(db.pool(), &bytes_job("a.csv")).await.unwrap();
    let claim = lease::claim(db.pool(), "w1", 1, LEASE).await.unwrap()[0]
        .claim()
        .unwrap();
    let mut tx = db.pool().begin().await.unwrap();
    lease::check_in_tx(&mut tx, &claim).await.unwrap();
    // Heartbeats still work while the transaction is open (progress stays visible).
    let progress = lease::Progress {
        stage: pharmacy_ingest::queue::job::Stage::Writing,
        rows_done: Some(10),
        rows_total: Some(20),
    };
    assert!(
        lease::heartbeat(db.pool(), &claim, LEASE, Some(&progress))
            .await
            .unwrap()
    );
    let job = admin::show(db.pool(), id).await.unwrap();
    assert_eq!(
        (job.stage.as_deref(), job.rows_done, job.rows_total),
        (Some("writing"), Some(10), Some(20))
    );

    sqlx::query("UPDATE import_jobs SET leased_until = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        maintain::rescue_expired(db.pool()).await.unwrap(),
        [(id, JobState::Retryable)]
    );
    let done = Completion {
        state: JobState::Succeeded,
        import_id: None,
        rows_done: 20,
        rows_total: 20,
        error: None,
    };
    assert!(matches!(
        lease::complete_in_tx(&mut tx, &claim, &done).await,
        Err(QueueError::LeaseLost(_))
    ));
    drop(tx);
    assert_eq!(state_of(&db, id).await, JobState::Retryable);
}

/// The import's last statement completes the worker's job (one round trip fewer than a
/// completion of its own), only while the claim holds: with a stale lease token the write ends
/// with `ClaimLost` and the job is untouched; with the claim, the job ends with the import's
/// outcome, counts and error, in the import's transaction.
#[tokio::test]
async fn the_imports_last_statement_completes_its_job_only_while_the_claim_holds() {
    use pharmacy_ingest::import::write::{
        ClaimedJob, WriteError, lock_content, write_import_with_progress,
    };
    let db = TestDb::new().await;
    let id = enqueue(db.pool(), &bytes_job("a.csv")).await.unwrap();
    let claim = lease::claim(db.pool(), "w1", 1, LEASE).await.unwrap()[0]
        .claim()
        .unwrap();
    let mut req = crate::import::request(
        "refused bytes",
        pharmacy_ingest::import::ImportMode::Replace,
    );
    req.job_id = Some(id);
    let pool = db.pool().clone();
    let write = |token: Uuid| {
        let (req, pool) = (req.clone(), pool.clone());
        async move {
            let mut tx = pool.begin().await.unwrap();
            let locked = lock_content(&mut tx, &req.sha256).await.unwrap();
            let job = ClaimedJob {
                job_id: id,
                lease_token: token,
                rows_total: 0,
            };
            let planned = Err::<pharmacy_ingest::schedule::Plan, _>("no template fits");
            let res = write_import_with_progress(
                &mut tx,
                &locked,
                &req,
                planned,
                None,
                Some(job),
                &|_| {},
            )
            .await;
            (tx, res)
        }
    };
    let (tx, stale) = write(Uuid::new_v4()).await;
    assert!(matches!(stale, Err(WriteError::ClaimLost(job)) if job == id));
    drop(tx);
    assert_eq!(state_of(&db, id).await, JobState::Running);

    let (tx, res) = write(claim.lease_token).await;
    let outcome = res.unwrap();
    tx.commit().await.unwrap();
    let job = admin::show(db.pool(), id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.outcome.map(|o| o.as_str()), Some("failed"));
    assert_eq!(job.import_id, Some(outcome.import_id));
    assert_eq!(job.last_error, outcome.error);
    assert_eq!((job.rows_imported, job.rows_rejected), (Some(0), Some(0)));
    assert!(job.finished_at.is_some() && job.lease_token.is_none());
}

#[tokio::test]
async fn transient_failures_back_off_then_fail_permanent_ones_fail_at_once() {
    let db = TestDb::new().await;
    let id = enqueue(db.pool(), &bytes_job("a.csv")).await.unwrap();
    sqlx::query("UPDATE import_jobs SET max_attempts = 2 WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();

    let c1 = lease::claim(db.pool(), "w", 1, LEASE).await.unwrap()[0]
        .claim()
        .unwrap();
    let st = lease::fail(
        db.pool(),
        &c1,
        "connection reset",
        lease::Failure::Transient,
        30.0,
    )
    .await
    .unwrap();
    assert_eq!(st, JobState::Retryable);
    let job = admin::show(db.pool(), id).await.unwrap();
    let wait = (job.run_at - chrono::Utc::now()).num_seconds();
    assert!(
        (20..=40).contains(&wait),
        "backoff of about 30 s, got {wait}"
    );
    assert!(
        lease::claim(db.pool(), "w", 1, LEASE)
            .await
            .unwrap()
            .is_empty(),
        "not before run_at"
    );

    sqlx::query("UPDATE import_jobs SET run_at = now() WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    let c2 = lease::claim(db.pool(), "w", 1, LEASE).await.unwrap()[0]
        .claim()
        .unwrap();
    assert_eq!(c2.attempt, 2);
    let st = lease::fail(
        db.pool(),
        &c2,
        "connection reset",
        lease::Failure::Transient,
        30.0,
    )
    .await
    .unwrap();
    assert_eq!(st, JobState::Failed, "no attempts left");

    let other = enqueue(db.pool(), &bytes_job("b.csv")).await.unwrap();
    let c = lease::claim(db.pool(), "w", 1, LEASE).await.unwrap()[0]
        .claim()
        .unwrap();
    assert_eq!(c.job_id, other);
    let st = lease::fail(
        db.pool(),
        &c,
        "not a schedule",
        lease::Failure::Permanent,
        30.0,
    )
    .await
    .unwrap();
    assert_eq!(st, JobState::Failed);
    let job = admin::show(db.pool(), other).await.unwrap();
    assert_eq!(job.attempt, 1);
    assert_eq!(job.last_error.as_deref(), Some("not a schedule"));
}

#[tokio::test]
async fn cancel_withdraws_a_running_lease_and_retry_starts_over() {
    let db = TestDb::new().await;
    let id = enqueue(db.pool(), &bytes_job("a.csv")).await.unwrap();
    let claim: Claim = lease::claim(db.pool(), "w", 1, LEASE).await.unwrap()[0]
        .claim()
        .unwrap();
    let job = admin::cancel(db.pool(), id).await.unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    assert!(
        !lease::heartbeat(db.pool(), &claim, LEASE, None)
            .await
            .unwrap()
    );
    assert!(matches!(
        admin::cancel(db.pool(), id).await,
        Err(QueueError::WrongState {
            state: JobState::Cancelled,
            ..
        })
    ));

    let mut listener = PgListener::connect(db.url()).await.unwrap();
    listener.listen(JOBS_CHANNEL).await.unwrap();
    let job = admin::retry(db.pool(), id).await.unwrap();
    assert_eq!((job.state, job.attempt), (JobState::Available, 0));
    let n = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .expect("retry wakes the workers")
        .unwrap();
    assert_eq!(n.payload(), id.to_string());
    assert!(matches!(
        admin::retry(db.pool(), id).await,
        Err(QueueError::WrongState {
            state: JobState::Available,
            ..
        })
    ));
}

#[tokio::test]
async fn release_gives_the_job_back_without_spending_an_attempt() {
    let db = TestDb::new().await;
    let id = enqueue(db.pool(), &bytes_job("a.csv")).await.unwrap();
    let claim = lease::claim(db.pool(), "w", 1, LEASE).await.unwrap()[0]
        .claim()
        .unwrap();
    assert!(lease::release(db.pool(), &claim).await.unwrap());
    let job = admin::show(db.pool(), id).await.unwrap();
    assert_eq!((job.state, job.attempt), (JobState::Available, 0));
    assert!(job.lease_token.is_none());
}

#[tokio::test]
async fn finished_jobs_are_pruned_after_their_age() {
    let db = TestDb::new().await;
    let old = enqueue(db.pool(), &bytes_job("old.csv")).await.unwrap();
    let recent = enqueue(db.pool(), &bytes_job("recent.csv")).await.unwrap();
    let waiting = enqueue(db.pool(), &bytes_job("waiting.csv")).await.unwrap();
    sqlx::query(
        "UPDATE import_jobs SET state = 'succeeded', finished_at = now() - interval '8 days'
         WHERE id = $1",
    )
    .bind(old)
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE import_jobs SET state = 'failed', finished_at = now() WHERE id = $1")
        .bind(recent)
        .execute(db.pool())
        .await
        .unwrap();
    let n = maintain::prune_finished(db.pool(), Duration::from_secs(7 * 24 * 3600))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(matches!(
        admin::show(db.pool(), old).await,
        Err(QueueError::NotFound(_))
    ));
    assert_eq!(state_of(&db, recent).await, JobState::Failed);
    assert_eq!(state_of(&db, waiting).await, JobState::Available);
    let counts = admin::counts_by_state(db.pool()).await.unwrap();
    assert_eq!(counts.len(), 6);
    assert!(counts.contains(&(JobState::Failed, 1)));
    assert!(counts.contains(&(JobState::Available, 1)));
}
