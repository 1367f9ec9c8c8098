//! Reverting and reprocessing imports against a real PostgreSQL: a revert restores exactly
//! what was replaced, is refused twice, and is refused when later imports touched the same
//! store-dates; reprocess redoes an import from its stored file.

use crate::import::{all_rows, import, plan, request, seed_shift, seed_stores, shift};
use crate::support::TestDb;
use pharmacy_ingest::import::revert::{RevertError, revert_import};
use pharmacy_ingest::import::run::{ReprocessOptions, Stage, import_with, reprocess_with};
use pharmacy_ingest::import::{ImportMode, ImportSource, ImportStatus};
use pharmacy_ingest::read::content::{Content, Owned};
use pharmacy_ingest::schedule::Plan;
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

async fn revert(pool: &PgPool, id: Uuid, force: bool) -> Result<(i64, i64), RevertError> {
    let mut tx = pool.begin().await.unwrap();
    let past = pharmacy_ingest::import::revert::LaterImports::forced(force);
    let out = revert_import(&mut tx, id, "operator", past).await?;
    tx.commit().await.unwrap();
    Ok((out.rows_deleted, out.rows_restored))
}

fn no_progress() -> Arc<dyn Fn(Stage) + Send + Sync> {
    Arc::new(|_| {})
}

#[tokio::test]
async fn revert_restores_exactly_what_was_replaced() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101, 102]).await;
    let contact: Uuid = sqlx::query_scalar(
        "INSERT INTO contacts (name, phone) VALUES ('Old One', '5550100009') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    for (store, d) in [
        (101, "2025-11-24"),
        (101, "2025-11-25"),
        (101, "2025-11-30"),
    ] {
        seed_shift(pool, stores[&store], "Old One", d, "from the old week").await;
    }
    seed_shift(pool, stores[&102], "Old Two", "2025-11-24", "other store").await;
    sqlx::query("UPDATE store_schedules SET contact_id = $1 WHERE employee_name = 'Old One'")
        .bind(contact)
        .execute(pool)
        .await
        .unwrap();
    let before = all_rows(pool).await;

    let shifts = (24..=28)
        .map(|d| shift(101, "Ann Lee", &format!("2025-11-{d}"), "09:00", "17:30", d))
        .collect();
    let out = import(
        pool,
        &request("v1", ImportMode::Replace),
        plan(shifts, vec![]),
    )
    .await;
    assert_eq!(out.rows_replaced, 2);
    assert_ne!(all_rows(pool).await, before);

    assert_eq!(revert(pool, out.import_id, false).await.unwrap(), (5, 2));
    assert_eq!(
        all_rows(pool).await,
        before,
        "every column of every row is back"
    );

    let (status, by): (String, String) =
        sqlx::query_as("SELECT status, reverted_by FROM document_imports WHERE id = $1")
            .bind(out.import_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), by.as_str()), ("reverted", "operator"));
    let reverted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM import_history
         WHERE import_id = $1 AND action = 'reverted' AND attempt = 2",
    )
    .bind(out.import_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(reverted, 7);

    // A second revert is refused and changes nothing.
    let err = revert(pool, out.import_id, false).await.unwrap_err();
    assert!(matches!(err, RevertError::AlreadyReverted { .. }), "{err}");
    assert!(err.to_string().contains("already reverted"));
    assert_eq!(all_rows(pool).await, before);

    // The reverted content is no longer a duplicate: it can be imported again.
    let shifts = (24..=28)
        .map(|d| shift(101, "Ann Lee", &format!("2025-11-{d}"), "09:00", "17:30", d))
        .collect();
    let again = import(
        pool,
        &request("v1", ImportMode::Replace),
        plan(shifts, vec![]),
    )
    .await;
    assert_eq!(again.status, ImportStatus::Succeeded);
}

#[tokio::test]
async fn revert_is_refused_when_a_later_import_touched_the_same_store_dates() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101, 102]).await;
    seed_shift(pool, stores[&101], "Old One", "2025-11-26", "old").await;
    let first = import(
        pool,
        &request("first", ImportMode::Replace),
        plan(
            vec![
                shift(101, "Ann Lee", "2025-11-24", "09:00", "17:00", 1),
                shift(101, "Ann Lee", "2025-11-26", "09:00", "17:00", 2),
            ],
            vec![],
        ),
    )
    .await;
    // Another store, and the same store on other dates: no conflict.
    import(
        pool,
        &request("unrelated", ImportMode::Replace),
        plan(
            vec![
                shift(102, "Bo Chen", "2025-11-26", "09:00", "17:00", 1),
                shift(101, "Bo Chen", "2025-12-01", "09:00", "17:00", 2),
            ],
            vec![],
        ),
    )
    .await;
    let later = import(
        pool,
        &request("later", ImportMode::Append),
        plan(
            vec![shift(101, "Cy Dunn", "2025-11-26", "12:00", "20:00", 1)],
            vec![],
        ),
    )
    .await;
    let rows = all_rows(pool).await;
    match revert(pool, first.import_id, false).await.unwrap_err() {
        RevertError::LaterImports { later: ids, .. } => assert_eq!(ids, vec![later.import_id]),
        other => panic!("unexpected: {other}"),
    }
    assert_eq!(
        all_rows(pool).await,
        rows,
        "a refused revert changes nothing"
    );

    // Once the later import is reverted, the first one can be.
    revert(pool, later.import_id, false).await.unwrap();
    assert_eq!(revert(pool, first.import_id, false).await.unwrap(), (2, 1));

    // Forcing goes past later imports.
    let a = import(
        pool,
        &request("a", ImportMode::Replace),
        plan(
            vec![shift(101, "Ann Lee", "2025-11-24", "09:00", "17:00", 1)],
            vec![],
        ),
    )
    .await;
    let b = import(
        pool,
        &request("b", ImportMode::Append),
        plan(
            vec![shift(101, "Bo Chen", "2025-11-24", "09:00", "17:00", 1)],
            vec![],
        ),
    )
    .await;
    assert!(revert(pool, a.import_id, false).await.is_err());
    assert_eq!(revert(pool, a.import_id, true).await.unwrap(), (1, 0));
    let names: Vec<String> =
        sqlx::query_scalar("SELECT employee_name FROM store_schedules WHERE import_id = $1")
            .bind(b.import_id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(names, vec!["Bo Chen"]);
}

#[tokio::test]
async fn an_import_that_wrote_nothing_cannot_be_reverted() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let mut tx = pool.begin().await.unwrap();
    let failed = pharmacy_ingest::import::write::write_import(
        &mut tx,
        &request("bad", ImportMode::Replace),
        Err::<Plan, _>("unreadable"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let err = revert(pool, failed.import_id, false).await.unwrap_err();
    assert!(matches!(err, RevertError::NothingToRevert { .. }), "{err}");
    let err = revert(pool, Uuid::new_v4(), false).await.unwrap_err();
    assert!(matches!(err, RevertError::NotFound(_)));
}

#[tokio::test]
async fn reprocess_redoes_an_import_from_its_stored_file() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101]).await;
    seed_shift(pool, stores[&101], "Old One", "2025-11-25", "old").await;
    let original = all_rows(pool).await;
    let bytes = b"store,name,date\n101,Ann Lee,2025-11-24\n".to_vec();
    let mut req = request("unused", ImportMode::Replace);
    req.sha256 = pharmacy_ingest::import::files::sha256_hex(&bytes);
    req.file_size = bytes.len() as i64;

    // The "old template" reads the wrong date.
    let first = import_with(
        pool,
        req,
        Owned::Bytes(bytes.clone()),
        |_name: &str, c: Content<'_>| {
            let b = c.bytes().unwrap();
            assert!(b.starts_with(b"store,"));
            Ok::<_, String>(plan(
                vec![shift(101, "Ann Lee", "2025-11-25", "09:00", "17:00", 1)],
                vec![],
            ))
        },
        no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(first.rows_replaced, 1);

    // The "fixed template" reads the right one, from the stored bytes.
    let redo = reprocess_with(
        pool,
        first.import_id,
        ReprocessOptions {
            created_by: "operator".into(),
            ..Default::default()
        },
        move |r, _name: &str, c: Content<'_>| {
            assert_eq!(&*c.bytes().unwrap(), &bytes[..]);
            assert_eq!(r.source, ImportSource::Reprocess);
            Ok::<_, String>(plan(
                vec![shift(101, "Ann Lee", "2025-11-24", "09:00", "17:00", 1)],
                vec![],
            ))
        },
        no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(redo.outcome.status, ImportStatus::Succeeded);
    let rev = redo.reverted.unwrap();
    assert_eq!((rev.rows_deleted, rev.rows_restored), (1, 1));
    let (source, of, status_prev): (String, Uuid, String) = sqlx::query_as(
        "SELECT n.source, n.reprocess_of, p.status FROM document_imports n
         JOIN document_imports p ON p.id = n.reprocess_of WHERE n.id = $1",
    )
    .bind(redo.outcome.import_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        (source.as_str(), of, status_prev.as_str()),
        ("reprocess", first.import_id, "reverted")
    );
    let dates: Vec<(chrono::NaiveDate, String)> =
        sqlx::query_as("SELECT schedule_date, employee_name FROM store_schedules ORDER BY 1, 2")
            .fetch_all(pool)
            .await
            .unwrap();
    // The old 11-25 shift is back (the first import's replace was undone); the new
    // import covers only 11-24.
    assert_eq!(
        dates,
        vec![
            (crate::import::date("2025-11-24"), "Ann Lee".to_string()),
            (crate::import::date("2025-11-25"), "Old One".to_string()),
        ]
    );
    // Reverting the reprocessed import leaves the database as before both.
    revert(pool, redo.outcome.import_id, false).await.unwrap();
    assert_eq!(all_rows(pool).await, original);
}

#[tokio::test]
async fn a_refused_reprocess_leaves_the_previous_import_in_place() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let bytes = b"any schedule bytes".to_vec();
    let mut req = request("unused", ImportMode::Replace);
    req.sha256 = pharmacy_ingest::import::files::sha256_hex(&bytes);
    req.file_size = bytes.len() as i64;
    let first = import_with(
        pool,
        req,
        Owned::Bytes(bytes),
        |_: &str, _: Content<'_>| {
            Ok::<_, String>(plan(
                vec![shift(101, "Ann Lee", "2025-11-24", "09:00", "17:00", 1)],
                vec![],
            ))
        },
        no_progress(),
    )
    .await
    .unwrap();
    let rows = all_rows(pool).await;
    let redo = reprocess_with(
        pool,
        first.import_id,
        ReprocessOptions::default(),
        |_: &pharmacy_ingest::import::ImportRequest, _: &str, _: Content<'_>| {
            Err::<Plan, _>("no template fits this layout")
        },
        no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(redo.outcome.status, ImportStatus::Failed);
    assert!(redo.reverted.is_none());
    assert_eq!(
        all_rows(pool).await,
        rows,
        "the previous import's shifts stay"
    );
    let statuses: Vec<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT status, reprocess_of FROM document_imports ORDER BY created_at, status",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        vec![
            ("succeeded".to_string(), None),
            ("failed".to_string(), Some(first.import_id))
        ]
    );
}

#[tokio::test]
async fn revert_clears_links_the_database_would_have_cleared() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101, 102]).await;
    let contact: Uuid = sqlx::query_scalar(
        "INSERT INTO contacts (name, phone) VALUES ('Gone Soon', '5550100077') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let kept = seed_shift(pool, stores[&101], "Gone Soon", "2025-11-24", "linked").await;
    sqlx::query("UPDATE store_schedules SET contact_id = $1 WHERE id = $2")
        .bind(contact)
        .bind(kept)
        .execute(pool)
        .await
        .unwrap();
    seed_shift(
        pool,
        stores[&102],
        "Closed Store",
        "2025-11-24",
        "store closes",
    )
    .await;
    let out = import(
        pool,
        &request("links", ImportMode::Replace),
        plan(
            vec![
                shift(101, "Ann Lee", "2025-11-24", "09:00", "17:00", 1),
                shift(102, "Ann Lee", "2025-11-24", "09:00", "17:00", 2),
            ],
            vec![],
        ),
    )
    .await;
    assert_eq!(out.rows_replaced, 2);
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(contact)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM stores WHERE store_number = 102")
        .execute(pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let rev = revert_import(
        &mut tx,
        out.import_id,
        "operator",
        pharmacy_ingest::import::revert::LaterImports::Refuse,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (rev.rows_deleted, rev.rows_restored, rev.rows_not_restored),
        (1, 1, 1)
    );
    let restored: (Uuid, Option<Uuid>) =
        sqlx::query_as("SELECT id, contact_id FROM store_schedules")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(restored, (kept, None));
}

#[tokio::test]
async fn reprocess_needs_the_stored_file() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    // Written without keeping the bytes (as a caller that skipped `save_file` would).
    let out = import(
        pool,
        &request("not kept", ImportMode::Replace),
        plan(
            vec![shift(101, "Ann Lee", "2025-11-24", "09:00", "17:00", 1)],
            vec![],
        ),
    )
    .await;
    let rows = all_rows(pool).await;
    let err = reprocess_with(
        pool,
        out.import_id,
        ReprocessOptions::default(),
        |_: &pharmacy_ingest::import::ImportRequest, _: &str, _: Content<'_>| {
            Ok::<_, String>(plan(vec![], vec![]))
        },
        no_progress(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, pharmacy_ingest::import::run::RunError::FileNotKept(id) if id == out.import_id),
        "{err}"
    );
    assert!(err.to_string().contains("cannot be reprocessed"));
    assert_eq!(all_rows(pool).await, rows);
}

/// A write computes a store's lock key in SQL (`STORE_PREFIX || id::text`) and a revert in Rust
/// (`locks::store`): they must be the same key, or imports and reverts would interleave.
#[tokio::test]
async fn the_store_lock_key_is_the_same_in_sql_and_in_rust() {
    use pharmacy_ingest::db::locks;
    let db = TestDb::new().await;
    for _ in 0..3 {
        let id = Uuid::new_v4();
        let in_sql: String = sqlx::query_scalar("SELECT $1 || $2::uuid::text")
            .bind(locks::STORE_PREFIX)
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(in_sql, locks::store(id));
    }
}
