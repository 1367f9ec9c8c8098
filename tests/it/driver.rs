//! The vendored sqlx-postgres's pipelined `BEGIN` (`vendor/sqlx-postgres/PATCHED.md`, item 5),
//! on a real server: the `BEGIN` goes out with the transaction's first statement, so what is
//! checked here is that every statement still runs inside the transaction, whatever comes
//! first (a prepared statement, one not prepared yet, a simple query, nothing), and that a
//! failure leaves the connection usable.

use crate::support::TestDb;
use sqlx::{Connection, PgConnection};

/// One connection of its own (a pool could hand each step another one).
async fn connect(db: &TestDb) -> PgConnection {
    PgConnection::connect(db.url()).await.unwrap()
}

async fn xid(conn: &mut PgConnection) -> String {
    sqlx::query_scalar("SELECT pg_current_xact_id()::text WHERE $1")
        .bind(true)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

async fn stores_named(conn: &mut PgConnection, city: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stores WHERE city = $1")
        .bind(city)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

async fn insert_store(conn: &mut PgConnection, number: i32, city: &str) {
    sqlx::query(
        "INSERT INTO stores (store_number, address, city, state, zip_code)
         VALUES ($1, '1 Main St', $2, 'IL', '62701')",
    )
    .bind(number)
    .bind(city)
    .execute(&mut *conn)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_first_statement_after_begin_runs_inside_the_transaction() {
    let db = TestDb::new().await;
    let mut conn = connect(&db).await;
    // Prepared before, so the first statement goes out behind the BEGIN.
    assert_eq!(stores_named(&mut conn, "Pipelined").await, 0);
    let mut tx = conn.begin().await.unwrap();
    insert_store(&mut tx, 9101, "Pipelined").await;
    let first = xid(&mut tx).await;
    assert_eq!(xid(&mut tx).await, first, "one transaction");
    tx.rollback().await.unwrap();
    assert_eq!(
        stores_named(&mut conn, "Pipelined").await,
        0,
        "the statement sent with the BEGIN was rolled back with it"
    );

    // A statement not prepared yet first (its prepare syncs the BEGIN), then commit.
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("INSERT INTO stores (store_number, address, city, state, zip_code) VALUES ($1, '2 Main St', 'Fresh', 'IL', '62701')")
        .bind(9102)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stores_named(&mut conn, "Fresh").await, 1);

    // A simple query first, and a transaction with no statement at all.
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql("DELETE FROM stores WHERE store_number = 9102")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stores_named(&mut conn, "Fresh").await, 1);
    conn.begin().await.unwrap().commit().await.unwrap();
    let tx = conn.begin().await.unwrap();
    drop(tx);
    assert_eq!(stores_named(&mut conn, "Fresh").await, 1);
}

#[tokio::test]
async fn a_failed_first_statement_rolls_back_and_the_connection_goes_on() {
    let db = TestDb::new().await;
    let mut conn = connect(&db).await;
    assert_eq!(stores_named(&mut conn, "Failed").await, 0);
    insert_store(&mut conn, 9201, "Failed").await;
    let mut tx = conn.begin().await.unwrap();
    let err = sqlx::query("SELECT 1 / $1")
        .bind(0i32)
        .fetch_one(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
    // The transaction is aborted (so the BEGIN did run before the failed statement).
    let aborted = sqlx::query("SELECT 1 WHERE $1")
        .bind(true)
        .fetch_one(&mut *tx)
        .await
        .unwrap_err();
    assert!(aborted.to_string().contains("aborted"), "{aborted}");
    tx.rollback().await.unwrap();
    // A dropped transaction whose first statement failed: its ROLLBACK is queued.
    let mut tx = conn.begin().await.unwrap();
    let _ = sqlx::query("SELECT 1 / $1")
        .bind(0i32)
        .fetch_one(&mut *tx)
        .await;
    drop(tx);
    assert_eq!(stores_named(&mut conn, "Failed").await, 1);
    let mut tx = conn.begin().await.unwrap();
    insert_store(&mut tx, 9202, "Failed").await;
    tx.commit().await.unwrap();
    assert_eq!(stores_named(&mut conn, "Failed").await, 2);
}
