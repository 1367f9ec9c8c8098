//! Several small imports in one transaction (`import::batch`, the worker's group commit):
//! each import lands exactly as it would alone (its shifts, its replace, its duplicate, its
//! refusal), all in one commit; imports of one store in one batch replace each other in order;
//! one failure commits nothing; an import written in a batch reverts exactly.

use crate::import::{plan, request, seed_stores, shift};
use crate::support::TestDb;
use pharmacy_ingest::import::batch::{BatchFailed, Entry, commit_batch};
use pharmacy_ingest::import::job::{CommitError, Hooks};
use pharmacy_ingest::import::revert::{LaterImports, revert_import};
use pharmacy_ingest::import::write::{ClaimedJob, WriteError};
use pharmacy_ingest::import::{ImportMode, ImportOutcome, ImportRequest, ImportStatus};
use pharmacy_ingest::read::content::Content;
use pharmacy_ingest::schedule::Plan;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Hooks that stop the commit when `refuse` is set, and complete `job` if any.
pub(crate) struct Check {
    refuse: bool,
    job: Option<ClaimedJob>,
}

impl Hooks for Check {
    type Stop = &'static str;

    fn job(&self) -> Option<ClaimedJob> {
        self.job
    }

    async fn before_write(&self, _: &mut PgConnection, _: usize) -> Result<(), Self::Stop> {
        Ok(())
    }

    async fn before_commit(
        &self,
        _: &mut PgConnection,
        _: &ImportOutcome,
    ) -> Result<(), Self::Stop> {
        if self.refuse { Err("changed") } else { Ok(()) }
    }
}

/// A file of `content`, planned as `planned`.
pub(crate) struct File {
    req: ImportRequest,
    bytes: Vec<u8>,
    planned: Result<Plan, String>,
}

fn file(content: &str, planned: Result<Plan, String>) -> File {
    File {
        req: request(content, ImportMode::Replace),
        bytes: content.as_bytes().to_vec(),
        planned,
    }
}

pub(crate) fn one_shift(store: i32, name: &str, day: &str) -> File {
    let content = format!("{store},{name},{day}");
    file(
        &content,
        Ok(plan(
            vec![shift(store, name, day, "09:00", "17:00", 2)],
            vec![],
        )),
    )
}

pub(crate) async fn commit<'a>(
    pool: &PgPool,
    files: &'a [File],
    hooks: &'a [Check],
) -> Result<Vec<ImportOutcome>, BatchFailed<&'static str>> {
    let entries = files
        .iter()
        .zip(hooks)
        .map(|(f, h)| Entry {
            req: &f.req,
            content: Content::Bytes(&f.bytes),
            planned: f.planned.clone(),
            hooks: h,
        })
        .collect();
    commit_batch(pool, entries).await
}

pub(crate) fn pass(n: usize) -> Vec<Check> {
    (0..n)
        .map(|_| Check {
            refuse: false,
            job: None,
        })
        .collect()
}

/// (employee, import id) of the shifts stored at `store`, by name.
async fn stored(pool: &PgPool, store: i32) -> Vec<(String, Uuid)> {
    sqlx::query_as(
        "SELECT s.employee_name, s.import_id FROM store_schedules s
         JOIN stores t ON t.id = s.store_id WHERE t.store_number = $1 ORDER BY 1",
    )
    .bind(store)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn imports_of_distinct_stores_land_as_alone_in_one_commit() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[301, 302, 303]).await;
    let files = [
        one_shift(301, "Ana Diaz", "2025-11-24"),
        one_shift(302, "Ben Ode", "2025-11-24"),
        file("not a schedule", Err("no template fits this file".into())),
        one_shift(303, "Cy Park", "2025-11-25"),
    ];
    let out = commit(db.pool(), &files, &pass(4)).await.unwrap();
    let status: Vec<_> = out.iter().map(|o| o.status).collect();
    use ImportStatus::{Failed, Succeeded};
    assert_eq!(status, [Succeeded, Succeeded, Failed, Succeeded]);
    for (store, o) in [(301, &out[0]), (302, &out[1]), (303, &out[3])] {
        let rows = stored(db.pool(), store).await;
        assert_eq!(rows.len(), 1, "store {store}");
        assert_eq!(rows[0].1, o.import_id, "each shift carries its own import");
        assert_eq!(o.rows_imported, 1);
    }
    let pool = db.pool();
    let one_commit = "SELECT count(DISTINCT xmin::text) FROM document_imports";
    assert_eq!(count(pool, one_commit).await, 1, "one transaction");
    assert_eq!(count(pool, "SELECT count(*) FROM import_files").await, 4);
    assert_eq!(
        count(pool, "SELECT count(*) FROM import_store_dates").await,
        3,
        "a store-day per import that wrote"
    );
    assert_eq!(out[2].error.as_deref(), Some("no template fits this file"));
    let recorded: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT status, rows_imported::int8, error FROM document_imports ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut want = vec![
        ("succeeded".to_string(), 1, None),
        ("succeeded".to_string(), 1, None),
        ("succeeded".to_string(), 1, None),
        (
            "failed".to_string(),
            0,
            Some("no template fits this file".to_string()),
        ),
    ];
    let mut got = recorded.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "each import's end is recorded");
    let refused = "SELECT count(*) FROM import_history WHERE action = 'rejected'
                   AND code = 'file_refused' AND import_id = ";
    let refused = format!("{refused}'{}'", out[2].import_id);
    assert_eq!(count(pool, &refused).await, 1, "the refusal's history row");

    // The same files again: each a duplicate of its first import, in one commit too.
    let again = commit(db.pool(), &files, &pass(4)).await.unwrap();
    let dup = again.iter().filter(|o| o.status == ImportStatus::Duplicate);
    assert_eq!(dup.count(), 3);
    assert_eq!(count(pool, "SELECT count(*) FROM store_schedules").await, 3);
}

#[tokio::test]
async fn imports_of_one_store_in_one_batch_replace_in_order() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[311]).await;
    let files = [
        one_shift(311, "Ana Diaz", "2025-11-24"),
        one_shift(311, "Ben Ode", "2025-11-24"),
    ];
    let out = commit(db.pool(), &files, &pass(2)).await.unwrap();
    assert_eq!(
        out[1].rows_replaced, 1,
        "the second replaced the first's shift"
    );
    let rows = stored(db.pool(), 311).await;
    assert_eq!(rows, [("Ben Ode".to_string(), out[1].import_id)]);
}

#[tokio::test]
async fn one_failure_commits_nothing_of_the_batch() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[321, 322]).await;
    let files = [
        one_shift(321, "Ana Diaz", "2025-11-24"),
        one_shift(322, "Ben Ode", "2025-11-24"),
    ];
    let hooks = [
        Check {
            refuse: false,
            job: None,
        },
        Check {
            refuse: true,
            job: None,
        },
    ];
    let failed = commit(db.pool(), &files, &hooks).await.unwrap_err();
    assert_eq!(failed.index, Some(1));
    assert!(matches!(failed.error, CommitError::Stopped("changed")));
    let pool = db.pool();
    for table in ["document_imports", "store_schedules", "import_files"] {
        let n = count(pool, &format!("SELECT count(*) FROM {table}")).await;
        assert_eq!(n, 0, "{table}");
    }
    // Written again, alone or together, they land.
    let out = commit(db.pool(), &files, &pass(2)).await.unwrap();
    assert!(out.iter().all(|o| o.status == ImportStatus::Succeeded));
}

/// The batch's last statement completes every job; one whose claim is gone (rescued,
/// cancelled) rolls the whole batch back, naming that job, and the other job is untouched.
#[tokio::test]
async fn a_lost_claim_in_a_batch_commits_nothing() {
    use pharmacy_ingest::import::ImportSource;
    use pharmacy_ingest::queue::enqueue::{JobFile, NewJob, enqueue};
    use pharmacy_ingest::queue::lease;
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[341, 342]).await;
    for name in ["a.csv", "b.csv"] {
        let job = NewJob::new(name, JobFile::Bytes(b"x".to_vec()), ImportSource::Sql);
        enqueue(db.pool(), &job).await.unwrap();
    }
    let claimed = lease::claim(db.pool(), "w", 2, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    // Hooks completing both jobs, with these lease tokens.
    let hooks = |tokens: [Uuid; 2]| -> Vec<Check> {
        let job = |k: usize| ClaimedJob {
            job_id: claimed[k].id,
            lease_token: tokens[k],
            rows_total: 1,
        };
        (0..2)
            .map(|k| Check {
                refuse: false,
                job: Some(job(k)),
            })
            .collect()
    };
    let held = claimed[0].claim().unwrap().lease_token;
    let files = [
        one_shift(341, "Ana Diaz", "2025-11-24"),
        one_shift(342, "Ben Ode", "2025-11-24"),
    ];
    let lost_claim = hooks([held, Uuid::new_v4()]);
    let failed = commit(db.pool(), &files, &lost_claim).await.unwrap_err();
    let lost = matches!(failed.error, CommitError::Write(WriteError::ClaimLost(id)) if id == claimed[1].id);
    assert!(lost, "{:?}", failed.error);
    let pool = db.pool();
    assert_eq!(
        count(pool, "SELECT count(*) FROM document_imports").await,
        0
    );
    let running = "SELECT count(*) FROM import_jobs WHERE state = 'running'";
    assert_eq!(count(pool, running).await, 2, "neither job was completed");
    // With both claims, both land and both jobs end.
    let token = claimed[1].claim().unwrap().lease_token;
    commit(db.pool(), &files, &hooks([held, token]))
        .await
        .unwrap();
    let imported = "SELECT count(*) FROM import_jobs WHERE state = 'succeeded'
                    AND outcome = 'imported' AND rows_imported = 1 AND import_id IS NOT NULL";
    assert_eq!(count(pool, imported).await, 2);
}

#[tokio::test]
async fn an_import_written_in_a_batch_reverts_exactly() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[331, 332]).await;
    let first = [one_shift(331, "Ana Diaz", "2025-11-24")];
    let before = commit(db.pool(), &first, &pass(1)).await.unwrap();
    let files = [
        one_shift(331, "Ben Ode", "2025-11-24"),
        one_shift(332, "Cy Park", "2025-11-24"),
    ];
    let out = commit(db.pool(), &files, &pass(2)).await.unwrap();
    assert_eq!(out[0].rows_replaced, 1);
    let mut tx = db.pool().begin().await.unwrap();
    revert_import(&mut tx, out[0].import_id, "operator", LaterImports::Refuse)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let rows = stored(db.pool(), 331).await;
    assert_eq!(rows, [("Ana Diaz".to_string(), before[0].import_id)]);
    assert_eq!(
        stored(db.pool(), 332).await.len(),
        1,
        "the other import stands"
    );
}

/// One-shift CSV of `store` and `employee` on `day` (MM/DD/YYYY).
fn one_shift_csv(store: i32, employee: &str, day: &str) -> Vec<u8> {
    format!(
        "Store #,Employee Name,Date,Start Time,End Time,Position\n\
         {store},{employee},{day},9:00 AM,5:00 PM,Technician\n"
    )
    .into_bytes()
}

/// A backlog through the real runner: small jobs share commits (fewer transactions than
/// jobs), and every job ends as it would alone — imported, duplicate, failed — with its
/// shift, its counts and its job row.
#[tokio::test]
async fn a_backlog_of_small_jobs_shares_commits_and_each_ends_as_alone() {
    use pharmacy_ingest::import::ImportSource;
    use pharmacy_ingest::queue::enqueue::{JobFile, NewJob, enqueue};
    use tokio_util::sync::CancellationToken;
    let db = TestDb::new().await;
    let stores: Vec<i32> = (401..=420).collect();
    seed_stores(db.pool(), &stores).await;
    let mut files = Vec::new();
    for (k, store) in stores.iter().enumerate() {
        // Two days of each store, from two jobs: both shifts stay (different dates).
        for day in ["11/24/2025", "11/25/2025"] {
            let employee = format!("Employee {k}");
            files.push((
                format!("{store}-{k}.csv"),
                one_shift_csv(*store, &employee, day),
            ));
        }
    }
    files.push(("again.csv".into(), files[0].1.clone()));
    files.push(("notes.csv".into(), b"just,some\nwords,here\n".to_vec()));
    for (name, bytes) in &files {
        let job = NewJob::new(name, JobFile::Bytes(bytes.clone()), ImportSource::Sql);
        enqueue(db.pool(), &job).await.unwrap();
    }
    let runner = crate::job_results::runner(&db);
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.clone().run(stop.clone()));
    let pool = db.pool();
    let unfinished = "SELECT count(*) FROM import_jobs WHERE finished_at IS NULL";
    for _ in 0..600 {
        if count(pool, unfinished).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.cancel();
    running.await.unwrap().unwrap();
    let outcomes: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT outcome, state, count(*) FROM import_jobs GROUP BY 1, 2 ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    let want = [
        ("duplicate".to_string(), "succeeded".to_string(), 1),
        ("failed".to_string(), "failed".to_string(), 1),
        ("imported".to_string(), "succeeded".to_string(), 40),
    ];
    assert_eq!(outcomes, want);
    assert_eq!(
        count(pool, "SELECT count(*) FROM store_schedules").await,
        40
    );
    let linked = "SELECT count(*) FROM store_schedules s JOIN import_jobs j
                  ON j.import_id = s.import_id AND j.outcome = 'imported'";
    assert_eq!(
        count(pool, linked).await,
        40,
        "each shift from its own job's import"
    );
    let commits = count(
        pool,
        "SELECT count(DISTINCT xmin::text) FROM document_imports",
    )
    .await;
    assert!(
        commits < 42,
        "42 imports in {commits} commits: none shared one"
    );
}
