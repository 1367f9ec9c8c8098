//! Row Level Security: an employee (JWT `phone`) sees only their own contact, schedule,
//! message and appointment rows; a manager (JWT `role` = `manager`) sees all; `anon` sees
//! nothing; the worker role writes imports but cannot read `messages`.

use crate::support::{TestDb, begin_as};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

const ALICE: &str = "+15550100001";
const BOB: &str = "+15550100002";

/// Two employees at one store, each with a shift, a message and an appointment.
async fn seed(pool: &PgPool) {
    sqlx::raw_sql(
        "INSERT INTO stores (store_number, address, city, state, zip_code)
             VALUES (101, '1 Main St', 'Springfield', 'IL', '62701');
         INSERT INTO contacts (name, phone) VALUES ('Alice', '+15550100001'), ('Bob', '+15550100002');
         INSERT INTO store_schedules (store_id, employee_name, employee_phone, schedule_date, shift_start, shift_end)
             SELECT s.id, c.name, c.phone, DATE '2025-11-24', TIME '09:00', TIME '17:00'
             FROM stores s CROSS JOIN contacts c;
         INSERT INTO messages (contact_id, direction, body) SELECT id, 'outbound', 'hi' FROM contacts;
         INSERT INTO appointments (contact_id, starts_at) SELECT id, now() FROM contacts;
         INSERT INTO document_imports (file_name, sha256, source, status)
             VALUES ('week.xlsx', 'ab', 'cli', 'succeeded');",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn count(tx: &mut Transaction<'static, Postgres>, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM public.{table}"
    )))
    .fetch_one(&mut **tx)
    .await
}

#[tokio::test]
async fn an_employee_sees_only_their_own_rows() {
    let db = TestDb::new().await;
    seed(db.pool()).await;
    let mut tx = begin_as(
        db.pool(),
        "authenticated",
        Some(json!({"phone": ALICE, "sub": "u1"})),
    )
    .await;
    for table in ["contacts", "store_schedules", "messages", "appointments"] {
        assert_eq!(count(&mut tx, table).await.unwrap(), 1, "{table}");
    }
    let phones: Vec<Option<String>> =
        sqlx::query_scalar("SELECT employee_phone FROM store_schedules")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert_eq!(phones, vec![Some(ALICE.to_string())]);
    // the store list is visible; the import tables are not
    assert_eq!(count(&mut tx, "stores").await.unwrap(), 1);
    assert_eq!(count(&mut tx, "document_imports").await.unwrap(), 0);
    assert_eq!(count(&mut tx, "audit_log").await.unwrap(), 0);
    // an employee cannot change schedules, not even their own
    let changed = sqlx::query("UPDATE store_schedules SET notes = 'x'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0);
    let insert = sqlx::query(
        "INSERT INTO store_schedules (employee_name, employee_phone, schedule_date) VALUES ('Alice', $1, '2025-11-25')",
    )
    .bind(ALICE)
    .execute(&mut *tx)
    .await;
    assert!(insert.is_err(), "employees cannot add shifts");
}

#[tokio::test]
async fn without_a_phone_claim_an_authenticated_user_sees_no_personal_rows() {
    let db = TestDb::new().await;
    seed(db.pool()).await;
    let mut tx = begin_as(db.pool(), "authenticated", Some(json!({"sub": "u9"}))).await;
    for table in ["contacts", "store_schedules", "messages", "appointments"] {
        assert_eq!(count(&mut tx, table).await.unwrap(), 0, "{table}");
    }
}

#[tokio::test]
async fn a_manager_sees_and_edits_all() {
    let db = TestDb::new().await;
    seed(db.pool()).await;
    let mut tx = begin_as(
        db.pool(),
        "authenticated",
        Some(json!({"phone": BOB, "role": "manager"})),
    )
    .await;
    assert_eq!(count(&mut tx, "contacts").await.unwrap(), 2);
    assert_eq!(count(&mut tx, "store_schedules").await.unwrap(), 2);
    assert_eq!(count(&mut tx, "messages").await.unwrap(), 2);
    assert_eq!(count(&mut tx, "appointments").await.unwrap(), 2);
    assert_eq!(count(&mut tx, "document_imports").await.unwrap(), 1);
    let changed = sqlx::query("UPDATE store_schedules SET notes = 'checked'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 2);
    // and the manager's edit is in the audit trail, readable by the manager
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE table_name = 'store_schedules' AND operation = 'UPDATE'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    drop(tx);

    // Supabase keeps custom roles in app_metadata: accepted too.
    let mut tx = begin_as(
        db.pool(),
        "authenticated",
        Some(json!({"role": "authenticated", "app_metadata": {"role": "manager"}})),
    )
    .await;
    assert_eq!(count(&mut tx, "contacts").await.unwrap(), 2);
}

#[tokio::test]
async fn anon_sees_nothing() {
    let db = TestDb::new().await;
    seed(db.pool()).await;
    for table in [
        "stores",
        "contacts",
        "store_schedules",
        "messages",
        "appointments",
        "document_imports",
        "import_history",
        "import_jobs",
        "processing_templates",
        "data_mappings",
        "audit_log",
        "_sqlx_migrations",
    ] {
        // even with a forged phone claim
        let mut tx = begin_as(
            db.pool(),
            "anon",
            Some(json!({"phone": ALICE, "role": "manager"})),
        )
        .await;
        let err = count(&mut tx, table).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{table}: {err}"
        );
    }
}

#[tokio::test]
async fn the_worker_role_imports_but_cannot_read_messages() {
    let db = TestDb::new().await;
    seed(db.pool()).await;
    let worker = "pharmacy_ingest_worker";

    for table in ["messages", "appointments"] {
        let mut tx = begin_as(db.pool(), worker, None).await;
        let err = count(&mut tx, table).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{table}: {err}"
        );
    }

    // reads stores and contacts, regardless of JWT claims
    let mut tx = begin_as(db.pool(), worker, None).await;
    assert_eq!(count(&mut tx, "stores").await.unwrap(), 1);
    assert_eq!(count(&mut tx, "contacts").await.unwrap(), 2);
    // cannot change contacts or stores
    assert!(
        sqlx::query("UPDATE contacts SET notes = 'x'")
            .execute(&mut *tx)
            .await
            .is_err()
    );
    drop(tx);

    // a whole import in one transaction: import row, schedules (replace), history, job
    let mut tx = begin_as(db.pool(), worker, None).await;
    let import_id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO document_imports (file_name, sha256, source, status) VALUES ('w.csv', 'cd', 'inbox', 'processing') RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let replaced = sqlx::query("DELETE FROM store_schedules WHERE schedule_date = '2025-11-24'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(replaced, 2, "the worker sees every schedule row");
    sqlx::query(
        "INSERT INTO store_schedules (store_id, employee_name, schedule_date, import_id)
         SELECT id, 'Carol', '2025-11-24', $1 FROM stores",
    )
    .bind(import_id)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO import_history (import_id, action, cell_ref) VALUES ($1, 'inserted', 'Sheet1!A2')")
        .bind(import_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO import_jobs (file_name, import_id, state) VALUES ('w.csv', $1, 'succeeded')",
    )
    .bind(import_id)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO processing_templates (name, layout, definition) VALUES ('t', 'rows', '{}')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE document_imports SET status = 'succeeded' WHERE id = $1")
        .bind(import_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    // its changes are audited under its own name; it cannot forge or read audit rows
    let forged = sqlx::query(
        "INSERT INTO audit_log (table_name, operation, db_user) VALUES ('stores', 'DELETE', 'pharmacy_ingest_worker')",
    )
    .execute(&mut *tx)
    .await;
    assert!(forged.is_err(), "audit rows come only from the trigger");
    tx.rollback().await.unwrap();

    let mut tx = begin_as(db.pool(), worker, None).await;
    assert!(
        count(&mut tx, "audit_log").await.is_err(),
        "the worker cannot read the audit trail"
    );
}
