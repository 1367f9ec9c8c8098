//! Several small imports in one transaction (`import::batch`, the worker's group commit):
//! each import lands exactly as it would alone (its shifts, its replace, its duplicate, its
//! refusal), all in one commit; imports of one store in one batch replace each other in order;
//! one failure commits nothing; an import written in a batch reverts exactly.

use crate::import::{plan, request, seed_stores, shift};
use crate::support::TestDb;
use pharmacy_ingest::import::batch::{BatchFailed, Entry, commit_batch};
use pharmacy_ingest::import::job::{CommitError, Hooks};
use pharmacy_ingest::import::revert::{LaterImports, revert_import};
use pharmacy_ingest::import::{ImportMode, ImportOutcome, ImportRequest, ImportStatus};
use pharmacy_ingest::read::content::Content;
use pharmacy_ingest::schedule::Plan;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Hooks that stop the commit when `refuse` is set.
struct Check {
    refuse: bool,
}

impl Hooks for Check {
    type Stop = &'static str;

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
struct File {
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

fn one_shift(store: i32, name: &str, day: &str) -> File {
    let content = format!("{store},{name},{day}");
    file(
        &content,
        Ok(plan(
            vec![shift(store, name, day, "09:00", "17:00", 2)],
            vec![],
        )),
    )
}

async fn commit<'a>(
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

fn pass(n: usize) -> Vec<Check> {
    (0..n).map(|_| Check { refuse: false }).collect()
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
        ("failed".to_string(), 0, Some("no template fits this file".to_string())),
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
    let hooks = [Check { refuse: false }, Check { refuse: true }];
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
