//! Who an employee is: a name at a store, decided by phone when the file has one. Two people
//! of one name at two stores (different phones) are two people, a name shared by two contacts
//! goes to the one who works at the store, a file's unknown phone never links to a namesake,
//! and a multi-store file with one unknown store imports the known stores' rows.

use crate::import::{cell, import, plan, request, seed_stores, shift};
use crate::support::TestDb;
use pharmacy_ingest::import::{ImportMode, ImportStatus};
use sqlx::PgPool;
use uuid::Uuid;

async fn contact(pool: &PgPool, name: &str, phone: &str) -> Uuid {
    sqlx::query_scalar("INSERT INTO contacts (name, phone) VALUES ($1, $2) RETURNING id")
        .bind(name)
        .bind(phone)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// (cell, store number, contact) of every imported shift, by cell.
async fn links(pool: &PgPool) -> Vec<(String, i32, Option<Uuid>)> {
    sqlx::query_as(
        "SELECT s.source_cell, st.store_number, s.contact_id FROM store_schedules s
         JOIN stores st ON st.id = s.store_id
         WHERE s.import_id IS NOT NULL
         ORDER BY s.source_cell",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_same_name_at_two_stores_with_two_phones_is_two_people() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101, 102]).await;
    let first = contact(pool, "John Smith", "+1 217 555 0101").await;
    let second = contact(pool, "John Smith", "+1 217 555 0199").await;
    let mut a = shift(101, "John Smith", "2025-11-24", "09:00", "17:00", 1);
    a.employee_phone = Some("(217) 555-0101".into());
    let mut b = shift(102, "John Smith", "2025-11-24", "09:00", "17:00", 2);
    b.employee_phone = Some("217.555.0199".into());
    let out = import(
        pool,
        &request("two johns", ImportMode::Replace),
        plan(vec![a, b], vec![]),
    )
    .await;
    assert_eq!(out.status, ImportStatus::Succeeded, "{:?}", out.issues);
    assert!(out.issues.is_empty(), "{:?}", out.issues);
    assert_eq!(
        links(pool).await,
        [
            ("Week!A2".into(), 101, Some(first)),
            ("Week!A3".into(), 102, Some(second)),
        ]
    );
}

#[tokio::test]
async fn a_shared_name_without_phone_goes_to_the_contact_who_works_at_the_store() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101, 102]).await;
    let at_101 = contact(pool, "Pat Kim", "+1 217 555 0103").await;
    contact(pool, "Pat Kim", "+1 217 555 0104").await;
    sqlx::query(
        "INSERT INTO store_schedules (store_id, employee_name, schedule_date, shift_start, shift_end, contact_id)
         VALUES ($1, 'Pat Kim', '2025-11-10', '09:00', '17:00', $2)",
    )
    .bind(stores[&101])
    .bind(at_101)
    .execute(pool)
    .await
    .unwrap();
    let here = shift(101, "PAT KIM", "2025-11-24", "09:00", "17:00", 1);
    let elsewhere = shift(102, "Pat Kim", "2025-11-24", "09:00", "17:00", 2);
    let out = import(
        pool,
        &request("pat", ImportMode::Replace),
        plan(vec![here, elsewhere], vec![]),
    )
    .await;
    let got = links(pool).await;
    assert_eq!(got[0], ("Week!A2".into(), 101, Some(at_101)));
    assert_eq!(got[1], ("Week!A3".into(), 102, None));
    let warnings: Vec<_> = out
        .issues
        .iter()
        .filter(|i| i.code == "unknown_employee")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].cell, Some(cell(2, 0)));
    assert!(warnings[0].message.contains("matches 2 contacts"));
    assert!(!warnings[0].message.contains("Pat"));
}

#[tokio::test]
async fn a_phone_no_contact_has_does_not_link_to_a_namesake() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    contact(pool, "Lee Park", "+1 217 555 0105").await;
    let mut s = shift(101, "Lee Park", "2025-11-24", "09:00", "17:00", 1);
    s.employee_phone = Some("217 555 0177".into());
    let out = import(
        pool,
        &request("lee", ImportMode::Replace),
        plan(vec![s], vec![]),
    )
    .await;
    assert_eq!(links(pool).await, [("Week!A2".into(), 101, None)]);
    let stored: Option<String> = sqlx::query_scalar("SELECT employee_phone FROM store_schedules")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        stored.as_deref(),
        Some("217 555 0177"),
        "the file's number is kept"
    );
    assert_eq!(out.issues.len(), 1);
    assert!(
        out.issues[0]
            .message
            .contains("no contact has the employee's phone number")
    );
}

#[tokio::test]
async fn a_multi_store_file_imports_the_known_stores_and_reports_the_unknown_once() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let mut shifts = vec![
        shift(101, "Ann Lee", "2025-11-24", "09:00", "17:00", 1),
        shift(101, "Bo Chen", "2025-11-24", "09:00", "17:00", 2),
    ];
    for row in 3..6 {
        shifts.push(shift(999, "Cy Dunn", "2025-11-25", "09:00", "17:00", row));
    }
    let out = import(
        pool,
        &request("multi", ImportMode::Replace),
        plan(shifts, vec![]),
    )
    .await;
    assert_eq!(out.status, ImportStatus::Partial, "{:?}", out.error);
    assert_eq!((out.rows_imported, out.rows_rejected), (2, 3));
    let unknown: Vec<_> = out
        .issues
        .iter()
        .filter(|i| i.code == "unknown_store")
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0].cell, Some(cell(3, 0)));
    assert!(unknown[0].message.contains("store number 999"));
    assert!(unknown[0].message.contains("its 3 rows were not imported"));
    let stores: Vec<i32> =
        sqlx::query_scalar("SELECT unnest(store_numbers) FROM document_imports WHERE id = $1")
            .bind(out.import_id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(stores, [101]);

    // A file naming only unknown stores is still refused whole.
    let only = vec![shift(998, "Cy Dunn", "2025-11-24", "09:00", "17:00", 1)];
    let out = import(
        pool,
        &request("only unknown", ImportMode::Replace),
        plan(only, vec![]),
    )
    .await;
    assert_eq!(out.status, ImportStatus::Failed);
}
