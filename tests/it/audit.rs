//! The audit trail: every insert, update and delete on stores, contacts and store_schedules
//! is recorded by trigger with who (database role, JWT sub/phone), when and what changed.

use crate::support::{TestDb, begin_as};
use serde_json::json;

#[derive(Debug, sqlx::FromRow)]
struct Entry {
    table_name: String,
    operation: String,
    row_id: Option<uuid::Uuid>,
    db_user: String,
    jwt_sub: Option<String>,
    jwt_phone: Option<String>,
    old_row: Option<serde_json::Value>,
    new_row: Option<serde_json::Value>,
    changed_columns: Option<Vec<String>>,
}

async fn entries(db: &TestDb) -> Vec<Entry> {
    sqlx::query_as("SELECT * FROM audit_log ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn inserts_updates_and_deletes_are_recorded() {
    let db = TestDb::new().await;
    let p = db.pool();
    let me: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(p)
        .await
        .unwrap();
    let id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO stores (store_number, address, city, state, zip_code) VALUES (5, 'a', 'b', 'c', 'd') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();
    sqlx::query("UPDATE stores SET city = 'Peoria' WHERE id = $1")
        .bind(id)
        .execute(p)
        .await
        .unwrap();
    // an update that changes nothing is not recorded
    sqlx::query("UPDATE stores SET city = 'Peoria' WHERE id = $1")
        .bind(id)
        .execute(p)
        .await
        .unwrap();
    sqlx::query("DELETE FROM stores WHERE id = $1")
        .bind(id)
        .execute(p)
        .await
        .unwrap();

    let log = entries(&db).await;
    let ops: Vec<&str> = log.iter().map(|e| e.operation.as_str()).collect();
    assert_eq!(ops, ["INSERT", "UPDATE", "DELETE"]);
    assert!(
        log.iter()
            .all(|e| e.table_name == "stores" && e.row_id == Some(id) && e.db_user == me)
    );
    assert!(
        log.iter()
            .all(|e| e.jwt_sub.is_none() && e.jwt_phone.is_none())
    );
    assert_eq!(log[0].old_row, None);
    assert_eq!(log[0].new_row.as_ref().unwrap()["city"], "b");
    assert_eq!(log[1].old_row.as_ref().unwrap()["city"], "b");
    assert_eq!(log[1].new_row.as_ref().unwrap()["city"], "Peoria");
    assert_eq!(
        log[1].changed_columns.as_deref(),
        Some(&["city".to_string()][..])
    );
    assert_eq!(log[2].old_row.as_ref().unwrap()["store_number"], 5);
    assert_eq!(log[2].new_row, None);
}

#[tokio::test]
async fn bulk_changes_record_one_row_each_and_name_the_api_user() {
    let db = TestDb::new().await;
    sqlx::raw_sql(
        "INSERT INTO stores (store_number, address, city, state, zip_code) VALUES (9, 'a', 'b', 'c', 'd');
         INSERT INTO contacts (name, phone) VALUES ('A', '+1'), ('B', '+2'), ('C', '+3');",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let mut tx = begin_as(
        db.pool(),
        "authenticated",
        Some(json!({"sub": "2f1c-manager", "phone": "+15550199", "role": "manager"})),
    )
    .await;
    sqlx::query("UPDATE contacts SET status = 'inactive'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO store_schedules (store_id, employee_name, schedule_date)
         SELECT s.id, c.name, DATE '2025-12-01' FROM stores s CROSS JOIN contacts c",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let log = entries(&db).await;
    let by_api: Vec<&Entry> = log
        .iter()
        .filter(|e| e.db_user == "authenticated")
        .collect();
    assert_eq!(by_api.len(), 6, "3 contact updates + 3 schedule inserts");
    assert!(
        by_api
            .iter()
            .all(|e| e.jwt_sub.as_deref() == Some("2f1c-manager"))
    );
    assert!(
        by_api
            .iter()
            .all(|e| e.jwt_phone.as_deref() == Some("+15550199"))
    );
    let updates = by_api
        .iter()
        .filter(|e| e.table_name == "contacts" && e.operation == "UPDATE");
    assert!(updates.clone().count() == 3);
    assert!(
        updates
            .clone()
            .all(|e| e.changed_columns.as_deref() == Some(&["status".to_string()][..]))
    );
}

#[tokio::test]
async fn a_malformed_claims_setting_does_not_block_changes() {
    let db = TestDb::new().await;
    let mut tx = db.pool().begin().await.unwrap();
    sqlx::query("SELECT set_config('request.jwt.claims', 'not json', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO contacts (name, phone) VALUES ('A', '+1')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let log = entries(&db).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].jwt_sub, None);
}
