//! The import sink against a real PostgreSQL: replace and append, duplicates, unknown stores,
//! contact linking, atomicity, NOTIFY, and the bulk path.

use crate::support::TestDb;
use chrono::{NaiveDate, NaiveTime};
use pharmacy_ingest::import::files::sha256_hex;
use pharmacy_ingest::import::write::{WriteError, write_import};
use pharmacy_ingest::import::{
    ImportMode, ImportOutcome, ImportRequest, ImportSource, ImportStatus,
};
use pharmacy_ingest::read::content::Content;
use pharmacy_ingest::read::grid::{CellRef, SourceFormat};
use pharmacy_ingest::schedule::{Issue, Plan, Shift};
use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}

pub fn cell(row: u32, col: u32) -> CellRef {
    CellRef {
        sheet: "Week".into(),
        row,
        col,
        page: None,
    }
}

/// One shift read from row `row` of sheet `Week`.
pub fn shift(store: i32, name: &str, d: &str, start: &str, end: &str, row: u32) -> Shift {
    Shift {
        store_number: store,
        employee_name: name.into(),
        employee_phone: None,
        date: date(d),
        start: time(start),
        end: time(end),
        position: Some("Technician".into()),
        notes: None,
        source: cell(row, 0),
    }
}

pub fn plan(shifts: Vec<Shift>, issues: Vec<Issue>) -> Plan {
    Plan {
        template: "test-rows".into(),
        format: SourceFormat::Csv,
        shifts,
        issues,
    }
}

/// A request for a file whose content is `content` (its sha256 is the duplicate key).
pub fn request(content: &str, mode: ImportMode) -> ImportRequest {
    ImportRequest {
        file_name: "week48.csv".into(),
        file_size: content.len() as i64,
        sha256: sha256_hex(content.as_bytes()),
        source: ImportSource::Cli,
        mode,
        force: false,
        template: None,
        store_number: None,
        job_id: None,
        created_by: "test".into(),
        hold_risky_replace: false,
        inbox_store: None,
    }
}

pub async fn seed_stores(pool: &PgPool, numbers: &[i32]) -> HashMap<i32, Uuid> {
    let mut out = HashMap::new();
    for n in numbers {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO stores (store_number, address, city, state, zip_code)
             VALUES ($1, '1 Main St', 'Springfield', 'IL', '62701') RETURNING id",
        )
        .bind(n)
        .fetch_one(pool)
        .await
        .unwrap();
        out.insert(*n, id);
    }
    out
}

/// A shift stored before any import (as a manual edit would).
pub async fn seed_shift(pool: &PgPool, store: Uuid, name: &str, d: &str, notes: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO store_schedules
             (store_id, employee_name, employee_phone, schedule_date, shift_start, shift_end,
              position, notes, created_at, updated_at)
         VALUES ($1, $2, '555-0100', $3, '08:00', '16:30', 'Pharmacist', $4,
                 now() - interval '3 days', now() - interval '2 days')
         RETURNING id",
    )
    .bind(store)
    .bind(name)
    .bind(date(d))
    .bind(notes)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Write `planned` for `req` in one transaction and commit.
pub async fn import(pool: &PgPool, req: &ImportRequest, planned: Plan) -> ImportOutcome {
    let mut tx = pool.begin().await.unwrap();
    let out = write_import(&mut tx, req, Ok::<_, String>(planned))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    out
}

/// Every stored shift as its full row (JSON), ordered by id.
pub async fn all_rows(pool: &PgPool) -> Vec<Value> {
    sqlx::query_scalar("SELECT to_jsonb(s) FROM store_schedules s ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// (store number, date, employee) of every stored shift, sorted.
async fn keys(pool: &PgPool) -> Vec<(i32, NaiveDate, String)> {
    sqlx::query_as(
        "SELECT st.store_number, s.schedule_date, s.employee_name
         FROM store_schedules s JOIN stores st ON st.id = s.store_id
         ORDER BY 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

fn week(store: i32, name: &str) -> Vec<Shift> {
    (24..=28)
        .map(|d| {
            shift(
                store,
                name,
                &format!("2025-11-{d}"),
                "09:00",
                "17:30",
                d - 20,
            )
        })
        .collect()
}

#[tokio::test]
async fn replace_replaces_exactly_the_covered_store_dates() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101, 102]).await;
    // Store 101: one shift before the file's dates, two inside, one after; store 102 inside.
    seed_shift(pool, stores[&101], "Old Before", "2025-11-23", "keep").await;
    let gone1 = seed_shift(pool, stores[&101], "Old Inside", "2025-11-24", "x").await;
    let gone2 = seed_shift(pool, stores[&101], "Old Inside", "2025-11-26", "y").await;
    seed_shift(pool, stores[&101], "Old After", "2025-11-29", "keep").await;
    seed_shift(pool, stores[&102], "Other Store", "2025-11-25", "keep").await;
    let before_gone: Vec<Value> = sqlx::query_scalar(
        "SELECT to_jsonb(s) FROM store_schedules s WHERE id = ANY($1) ORDER BY id",
    )
    .bind(vec![gone1, gone2])
    .fetch_all(pool)
    .await
    .unwrap();

    let req = request("week 48 v1", ImportMode::Replace);
    let out = import(pool, &req, plan(week(101, "Ann Lee"), vec![])).await;

    assert_eq!(out.status, ImportStatus::Succeeded);
    assert_eq!(out.rows_imported, 5);
    assert_eq!(out.rows_replaced, 2);
    let k = keys(pool).await;
    let names_101: Vec<(NaiveDate, &str)> = k
        .iter()
        .filter(|(s, _, _)| *s == 101)
        .map(|(_, d, n)| (*d, n.as_str()))
        .collect();
    assert_eq!(
        names_101,
        vec![
            (date("2025-11-23"), "Old Before"),
            (date("2025-11-24"), "Ann Lee"),
            (date("2025-11-25"), "Ann Lee"),
            (date("2025-11-26"), "Ann Lee"),
            (date("2025-11-27"), "Ann Lee"),
            (date("2025-11-28"), "Ann Lee"),
            (date("2025-11-29"), "Old After"),
        ]
    );
    assert!(k.contains(&(102, date("2025-11-25"), "Other Store".into())));

    // The replaced rows' full before-images are in the history.
    let snap: Vec<Value> = sqlx::query_scalar(
        "SELECT before FROM import_history
         WHERE import_id = $1 AND action = 'replaced' ORDER BY schedule_id",
    )
    .bind(out.import_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(snap, before_gone);

    let (status, stores_col, from, to, total, imported): (
        String,
        Vec<i32>,
        NaiveDate,
        NaiveDate,
        i32,
        i32,
    ) = sqlx::query_as(
        "SELECT status, store_numbers, date_from, date_to, rows_total, rows_imported
         FROM document_imports WHERE id = $1",
    )
    .bind(out.import_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(status, "succeeded");
    assert_eq!(stores_col, vec![101]);
    assert_eq!((from, to), (date("2025-11-24"), date("2025-11-28")));
    assert_eq!((total, imported), (5, 5));
    // Every inserted shift carries its import and source cell; no history row per shift (the
    // lean audit), one store-day record per day instead.
    let inserted: Vec<(String, Uuid)> = sqlx::query_as(
        "SELECT s.source_cell, s.id FROM store_schedules s
         WHERE s.import_id = $1 ORDER BY s.source_cell",
    )
    .bind(out.import_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(inserted.len(), 5);
    assert_eq!(inserted[0].0, "Week!A5");
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM import_history WHERE action = 'inserted'"
        )
        .await,
        0
    );
    let days: Vec<(NaiveDate, i32, i32)> = sqlx::query_as(
        "SELECT schedule_date, inserted, replaced FROM import_store_dates
         WHERE import_id = $1 ORDER BY schedule_date",
    )
    .bind(out.import_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(days.iter().map(|d| d.1).sum::<i32>(), 5);
    assert_eq!(
        days.iter().map(|d| d.2).sum::<i32>() as usize,
        before_gone.len()
    );
}

#[tokio::test]
async fn append_keeps_stored_shifts_and_skips_identical_ones() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let first = import(
        pool,
        &request("a", ImportMode::Append),
        plan(week(101, "Ann Lee"), vec![]),
    )
    .await;
    assert_eq!(first.rows_imported, 5);
    let mut shifts = week(101, "ANN  lee"); // same employee, other spelling: identical shifts
    shifts.push(shift(101, "Bo Chen", "2025-11-24", "12:00", "20:00", 30));
    let second = import(
        pool,
        &request("b", ImportMode::Append),
        plan(shifts, vec![]),
    )
    .await;
    assert_eq!(second.status, ImportStatus::Succeeded);
    assert_eq!(second.rows_imported, 1);
    assert_eq!(second.rows_replaced, 0);
    assert_eq!(count(pool, "SELECT count(*) FROM store_schedules").await, 6);
    let skipped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM import_history WHERE import_id = $1 AND action = 'skipped'",
    )
    .bind(second.import_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(skipped, 5);
}

#[tokio::test]
async fn same_content_is_a_duplicate_unless_forced() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let req = request("same bytes", ImportMode::Replace);
    let first = import(pool, &req, plan(week(101, "Ann Lee"), vec![])).await;
    let ids_after_first: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM store_schedules ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();

    let second = import(pool, &req, plan(week(101, "Ann Lee"), vec![])).await;
    assert_eq!(second.status, ImportStatus::Duplicate);
    assert_eq!(second.rows_imported, 0);
    assert!(
        second
            .error
            .as_deref()
            .unwrap()
            .contains(&first.import_id.to_string())
    );
    let ids_after_second: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM store_schedules ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        ids_after_first, ids_after_second,
        "a duplicate writes no shift"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM document_imports WHERE id = $1")
        .bind(second.import_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "duplicate");

    let mut forced = req.clone();
    forced.force = true;
    let third = import(pool, &forced, plan(week(101, "Ann Lee"), vec![])).await;
    assert_eq!(third.status, ImportStatus::Succeeded);
    assert_eq!(third.rows_replaced, 5);
    assert_eq!(count(pool, "SELECT count(*) FROM store_schedules").await, 5);

    // Content whose import failed is not a duplicate basis.
    let bad = request("failed bytes", ImportMode::Replace);
    let mut tx = pool.begin().await.unwrap();
    let failed = write_import(&mut tx, &bad, Err::<Plan, _>("no template fits"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(failed.status, ImportStatus::Failed);
    let retry = import(pool, &bad, plan(week(101, "Ann Lee"), vec![])).await;
    assert_eq!(retry.status, ImportStatus::Succeeded);
}

#[tokio::test]
async fn a_file_naming_only_unknown_stores_is_refused_whole() {
    // (A file naming a known store as well imports that store's rows: see
    // identity::a_multi_store_file_imports_the_known_stores_and_reports_the_unknown_once.)
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101]).await;
    seed_shift(pool, stores[&101], "Kept", "2025-11-24", "keep").await;
    let before = all_rows(pool).await;
    let mut shifts = week(999, "Ann Lee");
    shifts.push(shift(999, "Bo Chen", "2025-11-24", "09:00", "17:00", 40));
    let out = import(
        pool,
        &request("x", ImportMode::Replace),
        plan(shifts, vec![]),
    )
    .await;
    assert_eq!(out.status, ImportStatus::Failed);
    let err = out.error.unwrap();
    assert!(err.contains("store number 999"), "{err}");
    assert_eq!(out.rows_imported, 0);
    assert_eq!(
        all_rows(pool).await,
        before,
        "nothing written, nothing replaced"
    );
    let (status, error, rejected): (String, String, i32) =
        sqlx::query_as("SELECT status, error, rows_rejected FROM document_imports WHERE id = $1")
            .bind(out.import_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("999"));
    assert_eq!(rejected, 6);
    let cell: String = sqlx::query_scalar(
        "SELECT cell_ref FROM import_history WHERE import_id = $1 AND code = 'unknown_store'",
    )
    .bind(out.import_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(cell, "Week!A5", "the first row naming the store");
}

#[tokio::test]
async fn store_override_applies_to_every_shift() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let mut req = request("override", ImportMode::Replace);
    req.store_number = Some(101);
    let out = import(pool, &req, plan(week(7, "Ann Lee"), vec![])).await;
    assert_eq!(out.status, ImportStatus::Succeeded);
    assert!(keys(pool).await.iter().all(|(s, _, _)| *s == 101));
}

#[tokio::test]
async fn a_refused_plan_is_recorded_as_failed() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let req = request("garbage", ImportMode::Replace);
    let mut tx = pool.begin().await.unwrap();
    let out = write_import(
        &mut tx,
        &req,
        Err::<Plan, _>("no processing template fits this file"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(out.status, ImportStatus::Failed);
    let (status, error, format): (String, String, String) =
        sqlx::query_as("SELECT status, error, format FROM document_imports WHERE id = $1")
            .bind(out.import_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert_eq!(error, "no processing template fits this file");
    assert_eq!(format, "csv");
    let history: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT action, message FROM import_history WHERE import_id = $1")
            .bind(out.import_id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        history,
        vec![(
            "rejected".to_string(),
            Some("no processing template fits this file".to_string())
        )]
    );
}

#[tokio::test]
async fn rejected_rows_make_a_partial_import_with_their_cells() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let issues = vec![
        Issue::error(
            "unreadable_time",
            Some(cell(9, 3)),
            "expected a time such as 9a-5p",
        ),
        Issue::warning(
            "long_shift",
            Some(cell(4, 3)),
            "the shift is longer than 14 hours",
        ),
    ];
    let out = import(
        pool,
        &request("partial", ImportMode::Replace),
        plan(week(101, "Ann Lee"), issues),
    )
    .await;
    assert_eq!(out.status, ImportStatus::Partial);
    assert_eq!((out.rows_imported, out.rows_rejected), (5, 1));
    // the long shift plus the employee not in contacts
    assert_eq!(out.warnings, 2);
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, code, cell_ref FROM import_history
         WHERE import_id = $1 AND action IN ('rejected', 'warning') ORDER BY cell_ref",
    )
    .bind(out.import_id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "warning".into(),
                "unknown_employee".into(),
                "Week!A5".into()
            ),
            (
                "rejected".into(),
                "unreadable_time".into(),
                "Week!D10".into()
            ),
            ("warning".into(), "long_shift".into(), "Week!D5".into()),
        ]
    );
}

#[tokio::test]
async fn employees_link_to_contacts_by_phone_then_name() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let mut contact = HashMap::new();
    for (name, phone) in [
        ("Ann Lee", "+1 (555) 010-0001"),
        ("Bo Chen", "5550100002"),
        ("Twin Name", "5550100003"),
        ("twin name", "5550100004"),
    ] {
        let id: Uuid =
            sqlx::query_scalar("INSERT INTO contacts (name, phone) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(phone)
                .fetch_one(pool)
                .await
                .unwrap();
        contact.insert(name, id);
    }
    let mut by_phone = shift(101, "A. Lee", "2025-11-24", "09:00", "17:00", 1);
    by_phone.employee_phone = Some("555.010.0001".into());
    let by_name = shift(101, "BO CHEN", "2025-11-24", "09:00", "17:00", 2);
    let unknown = shift(101, "Cy Dunn", "2025-11-24", "09:00", "17:00", 3);
    let unknown_again = shift(101, "Cy Dunn", "2025-11-25", "09:00", "17:00", 4);
    let ambiguous = shift(101, "Twin Name", "2025-11-24", "09:00", "17:00", 5);
    let out = import(
        pool,
        &request("contacts", ImportMode::Replace),
        plan(
            vec![by_phone, by_name, unknown, unknown_again, ambiguous],
            vec![],
        ),
    )
    .await;
    assert_eq!(out.status, ImportStatus::Succeeded);
    let linked: Vec<(String, Option<Uuid>, Option<String>)> = sqlx::query_as(
        "SELECT s.source_cell, s.contact_id, s.employee_phone FROM store_schedules s
         ORDER BY s.source_cell",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        linked,
        vec![
            (
                "Week!A2".into(),
                Some(contact["Ann Lee"]),
                Some("+1 (555) 010-0001".into())
            ),
            (
                "Week!A3".into(),
                Some(contact["Bo Chen"]),
                Some("5550100002".into())
            ),
            ("Week!A4".into(), None, None),
            ("Week!A5".into(), None, None),
            ("Week!A6".into(), None, None),
        ]
    );
    // One warning per unknown employee (at the first cell naming them), one for the
    // ambiguous name; none quotes the name.
    let warnings: Vec<Issue> = out
        .issues
        .iter()
        .filter(|i| i.code == "unknown_employee")
        .cloned()
        .collect();
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0].cell, Some(cell(3, 0)));
    assert!(warnings[1].message.contains("matches 2 contacts"));
    assert!(
        warnings
            .iter()
            .all(|w| !w.message.contains("Cy") && !w.message.contains("Twin"))
    );
}

/// A small import runs its statements on generic plans (the contact lookup was planned afresh
/// for every small file), for its own transaction only: the connection goes back to the pool
/// with PostgreSQL's default.
#[tokio::test]
async fn a_small_import_plans_generically_for_its_transaction_only() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[101]).await;
    let mut conn = db.pool().acquire().await.unwrap();
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    let planned = plan(week(101, "Ann Lee"), vec![]);
    let req = request("small", ImportMode::Replace);
    let out = write_import(&mut tx, &req, Ok::<_, String>(planned))
        .await
        .unwrap();
    assert_eq!(out.status, ImportStatus::Succeeded);
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(mode, "force_generic_plan");
    tx.commit().await.unwrap();
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "auto");
}

#[tokio::test]
async fn an_error_mid_write_leaves_nothing() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let stores = seed_stores(pool, &[101]).await;
    seed_shift(pool, stores[&101], "Kept", "2025-11-24", "keep").await;
    let before = all_rows(pool).await;
    // Warnings are written after the shifts: make that statement fail.
    sqlx::query(
        "ALTER TABLE import_history ADD CONSTRAINT test_no_warnings CHECK (action <> 'warning')",
    )
    .execute(pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let err = write_import(
        &mut tx,
        &request("boom", ImportMode::Replace),
        Ok::<_, String>(plan(week(101, "Ann Lee"), vec![])),
    )
    .await
    .unwrap_err();
    assert!(
        !err.is_retryable(),
        "a constraint violation is not retryable"
    );
    tx.rollback().await.unwrap();
    assert_eq!(all_rows(pool).await, before);
    assert_eq!(
        count(pool, "SELECT count(*) FROM document_imports").await,
        0
    );
    assert_eq!(count(pool, "SELECT count(*) FROM import_history").await, 0);
}

#[tokio::test]
async fn commit_notifies_the_import_id() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let mut listener = sqlx::postgres::PgListener::connect(db.url()).await.unwrap();
    listener.listen("schedule_imports").await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let out = write_import(
        &mut tx,
        &request("notify", ImportMode::Replace),
        Ok::<_, String>(plan(week(101, "Ann Lee"), vec![])),
    )
    .await
    .unwrap();
    // Nothing is delivered before the commit.
    let early = tokio::time::timeout(std::time::Duration::from_millis(300), listener.recv()).await;
    assert!(early.is_err(), "notified before commit");
    tx.commit().await.unwrap();
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.payload(), out.import_id.to_string());
}

#[tokio::test]
async fn bulk_path_writes_twelve_thousand_shifts() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101, 102, 103]).await;
    let start = date("2025-01-01");
    let mut shifts = Vec::new();
    for i in 0..12_000u32 {
        let store = 101 + (i % 3) as i32;
        let d = start + chrono::Duration::days((i / 60) as i64);
        shifts.push(Shift {
            store_number: store,
            employee_name: format!("Employee {}", i % 60).into(),
            employee_phone: None,
            date: d,
            start: time("08:00"),
            end: time("16:00"),
            position: None,
            notes: None,
            source: cell(i, 0),
        });
    }
    let out = import(
        pool,
        &request("bulk", ImportMode::Replace),
        plan(shifts, vec![]),
    )
    .await;
    assert_eq!(out.rows_imported, 12_000);
    assert_eq!(
        count(pool, "SELECT count(*) FROM store_schedules").await,
        12_000
    );
    assert_eq!(
        count(pool, "SELECT sum(inserted) FROM import_store_dates").await,
        12_000
    );
    // Importing it again (forced) replaces all of them in one go.
    let mut again = request("bulk", ImportMode::Replace);
    again.force = true;
    let mut shifts2 = Vec::new();
    for i in 0..12_000u32 {
        shifts2.push(Shift {
            store_number: 101 + (i % 3) as i32,
            employee_name: format!("Employee {}", i % 60).into(),
            employee_phone: None,
            date: start + chrono::Duration::days((i / 60) as i64),
            start: time("09:00"),
            end: time("17:00"),
            position: None,
            notes: None,
            source: cell(i, 0),
        });
    }
    let out2 = import(pool, &again, plan(shifts2, vec![])).await;
    assert_eq!(out2.rows_replaced, 12_000);
    assert_eq!(
        count(pool, "SELECT count(*) FROM store_schedules").await,
        12_000
    );
}

/// A file with thousands of issues keeps every one, in file order, though they are written
/// in several statements (each bounded, so a huge file does not hold them all in one).
#[tokio::test]
async fn thousands_of_issues_are_all_recorded_in_order() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    let shift = Shift {
        store_number: 101,
        employee_name: "Kim Lee".into(),
        employee_phone: None,
        date: date("2025-01-06"),
        start: time("08:00"),
        end: time("16:00"),
        position: None,
        notes: None,
        source: cell(1, 0),
    };
    let issues: Vec<Issue> = (0..12_345u32)
        .map(|i| Issue::warning("open_shift", Some(cell(i + 2, 0)), "an open shift"))
        .collect();
    let out = import(
        pool,
        &request("many issues", ImportMode::Replace),
        plan(vec![shift], issues),
    )
    .await;
    // The open shifts and the one unknown employee.
    assert_eq!(out.warnings, 12_346);
    let cells: Vec<String> = sqlx::query_scalar(
        "SELECT cell_ref FROM import_history WHERE import_id = $1 AND code = 'open_shift'
         ORDER BY id",
    )
    .bind(out.import_id)
    .fetch_all(pool)
    .await
    .unwrap();
    let expected: Vec<String> = (0..12_345u32).map(|i| cell(i + 2, 0).to_string()).collect();
    assert_eq!(cells, expected);
}

/// The error a statement raising `SQLSTATE code` produces, wrapped as a write error.
async fn raised(pool: &PgPool, code: &'static str) -> WriteError {
    let sql = match code {
        "40001" => "DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '40001'; END $$",
        "40P01" => "DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '40P01'; END $$",
        "08006" => "DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '08006'; END $$",
        "23505" => "DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '23505'; END $$",
        "23514" => "DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '23514'; END $$",
        _ => unreachable!(),
    };
    WriteError::Database(sqlx::query(sql).execute(pool).await.unwrap_err())
}

#[tokio::test]
async fn database_blinks_are_retryable_and_bad_data_is_not() {
    let db = TestDb::new().await;
    let pool = db.pool();
    for code in ["40001", "40P01", "08006"] {
        assert!(raised(pool, code).await.is_retryable(), "{code}");
    }
    for code in ["23505", "23514"] {
        assert!(!raised(pool, code).await.is_retryable(), "{code}");
    }
    // A connection killed by the server (admin shutdown, then a closed socket).
    let mut conn = pool.acquire().await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(pool)
        .await
        .unwrap();
    let err = sqlx::query("SELECT 1")
        .execute(&mut *conn)
        .await
        .unwrap_err();
    assert!(WriteError::Database(err).is_retryable());
}

fn fixture(name: &str) -> String {
    format!("{}/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The import id printed by `import` (`import <uuid>: <status> …`).
fn printed_id(stdout: &str) -> String {
    stdout
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_string()
}

#[tokio::test]
async fn the_import_command_exit_status_tells_success_rejected_rows_or_failure() {
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[101]).await;
    sqlx::query("INSERT INTO contacts (name, phone) VALUES ('Dana Whitfield', '+15550100101')")
        .execute(pool)
        .await
        .unwrap();

    let ok = db.run_bin(&["import", &fixture("week48_store101.csv")]);
    assert_eq!(ok.status.code(), Some(0), "{}\n{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("succeeded (10 imported, 0 rejected"),
        "{}",
        ok.stdout
    );
    let first_id = printed_id(&ok.stdout);
    let linked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM store_schedules WHERE contact_id IS NOT NULL")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(linked, 5, "Dana's shifts link to her contact by phone");

    let dup = db.run_bin(&["import", &fixture("week48_store101.csv")]);
    assert_eq!(dup.status.code(), Some(0), "{}", dup.stderr);
    assert!(dup.stdout.contains("duplicate"), "{}", dup.stdout);

    let partial = db.run_bin(&["import", &fixture("week48_store101_bad_rows.csv")]);
    assert_eq!(
        partial.status.code(),
        Some(1),
        "{}\n{}",
        partial.stdout,
        partial.stderr
    );
    assert!(
        partial
            .stdout
            .contains("partial (8 imported, 2 rejected, 10 replaced")
    );
    assert!(partial.stdout.contains("week48_store101_bad_rows!E5"));

    let refused = db.run_bin(&["import", &fixture("week48_store999.csv")]);
    assert_eq!(refused.status.code(), Some(2), "{}", refused.stderr);
    assert!(
        refused.stdout.contains("store number 999"),
        "{}",
        refused.stdout
    );

    // The operator commands see all four.
    let list = db.run_bin(&["imports", "list", "--format", "json"]);
    assert!(list.status.success(), "{}", list.stderr);
    let rows: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        vec!["failed", "partial", "duplicate", "succeeded"]
    );
    let table = db.run_bin(&["imports", "list"]);
    assert!(table.stdout.starts_with("ID "), "{}", table.stdout);

    let partial_id = printed_id(&partial.stdout);
    let show = db.run_bin(&["imports", "show", &partial_id]);
    assert!(show.status.success(), "{}", show.stderr);
    assert!(
        show.stdout.contains("week48_store101_bad_rows!D9"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("unreadable_date"));
    let show_json = db.run_bin(&["imports", "show", &partial_id, "--format", "json"]);
    let detail: Value = serde_json::from_str(&show_json.stdout).unwrap();
    assert_eq!(detail["rows_rejected"], 2);
    assert_eq!(detail["file_kept"], true);

    // Revert the partial import: the first import's ten shifts come back.
    let rev = db.run_bin(&["imports", "revert", &partial_id]);
    assert!(rev.status.success(), "{}", rev.stderr);
    assert!(
        rev.stdout
            .contains("8 shift(s) it inserted deleted, 10 shift(s) it replaced restored")
    );
    let from_first: i64 =
        sqlx::query_scalar("SELECT count(*) FROM store_schedules WHERE import_id = $1::uuid")
            .bind(&first_id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(from_first, 10);
    let again = db.run_bin(&["imports", "revert", &partial_id]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        again.stderr.contains("already reverted"),
        "{}",
        again.stderr
    );

    // Reprocess the first import from its stored file.
    let re = db.run_bin(&["imports", "reprocess", &first_id]);
    assert!(re.status.success(), "{}\n{}", re.stdout, re.stderr);
    assert!(re.stdout.contains("reprocessed as import"), "{}", re.stdout);
    let sources: Vec<String> =
        sqlx::query_scalar("SELECT source FROM document_imports WHERE reprocess_of = $1::uuid")
            .bind(&first_id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(sources, vec!["reprocess"]);
    assert_eq!(
        count(pool, "SELECT count(*) FROM store_schedules").await,
        10
    );
}

#[tokio::test]
async fn concurrent_imports_of_the_same_content_import_once() {
    let db = TestDb::new().await;
    let pool = db.pool().clone();
    seed_stores(&pool, &[101]).await;
    let req = request("same content, two workers", ImportMode::Replace);
    let mut tx1 = pool.begin().await.unwrap();
    let first = write_import(
        &mut tx1,
        &req,
        Ok::<_, String>(plan(week(101, "Ann Lee"), vec![])),
    )
    .await
    .unwrap();
    // The second writer waits on the first one's content lock…
    let (p2, r2) = (pool.clone(), req.clone());
    let second = tokio::spawn(async move {
        let mut tx2 = p2.begin().await.unwrap();
        let out = write_import(
            &mut tx2,
            &r2,
            Ok::<_, String>(plan(week(101, "Ann Lee"), vec![])),
        )
        .await
        .unwrap();
        tx2.commit().await.unwrap();
        out
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second writer must wait");
    tx1.commit().await.unwrap();
    // …and then sees the first as already imported.
    let second = second.await.unwrap();
    assert_eq!(first.status, ImportStatus::Succeeded);
    assert_eq!(second.status, ImportStatus::Duplicate);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM store_schedules").await,
        5
    );
}

/// A 20-hour shift points at its start-time cell and a far-off date at its date cell, not at
/// the row's first cell (issue 12: "point at the cell that is wrong").
#[test]
fn a_long_shift_and_a_far_date_point_at_their_cells() {
    use pharmacy_ingest::pipeline::plan::{PlanOptions, plan_bytes};
    let csv = "Store #,Employee Name,Phone,Date,Start Time,End Time,Position\n\
               101,Dana Whitfield,(555) 010-0101,11/24/2025,9:00 AM,5:30 PM,Pharmacist\n\
               101,Dana Whitfield,(555) 010-0101,11/25/2025,6:00 AM,2:00 AM,Pharmacist\n\
               101,Dana Whitfield,(555) 010-0101,11/26/2026,9:00 AM,5:30 PM,Pharmacist\n";
    let opts = PlanOptions {
        templates: pharmacy_ingest::template::set::TemplateSet::embedded().unwrap(),
        today: chrono::NaiveDate::from_ymd_opt(2025, 11, 20),
        ..PlanOptions::default()
    };
    let plan = plan_bytes("week.csv", csv.as_bytes(), &opts).unwrap();
    let at = |code: &str| {
        plan.issues
            .iter()
            .find(|i| i.code == code)
            .unwrap_or_else(|| panic!("no {code}: {:?}", plan.issues))
            .cell
            .as_ref()
            .unwrap()
            .a1()
    };
    assert_eq!(at("shift_too_long"), "E3", "the start time of row 3");
    assert_eq!(at("date_far_from_week"), "D4", "the date of row 4");
}

/// Three million bytes that do not repeat for a long while (`mul` picks the sequence).
fn noise(mul: u32) -> Vec<u8> {
    (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(mul) >> 24) as u8)
        .collect()
}

/// How many `import_files` rows hold `bytes`' sha256, and whether all hold exactly `bytes`.
pub async fn kept_copies(pool: &PgPool, bytes: &[u8]) -> (i64, bool) {
    sqlx::query_as(
        "SELECT count(*), coalesce(bool_and(bytes = $1 AND size = $2), false)
         FROM import_files WHERE sha256 = $3",
    )
    .bind(bytes)
    .bind(bytes.len() as i64)
    .bind(sha256_hex(bytes))
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A large file (over 1 MiB: streamed by `COPY`) is stored once, byte for byte, and storing
/// the same content again (a forced re-import) leaves the one row as it was.
#[tokio::test]
async fn a_large_file_is_stored_once_byte_for_byte() {
    let db = TestDb::new().await;
    let pool = db.pool();
    let bytes = noise(2_654_435_761);
    let sha = sha256_hex(&bytes);
    for _ in 0..2 {
        let mut tx = pool.begin().await.unwrap();
        pharmacy_ingest::import::files::save_and_lock(&mut tx, Content::Bytes(&bytes), &sha)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(kept_copies(pool, &bytes).await, (1, true));
}

/// A large file read where it lies (`Content::File`) is stored byte for byte, hashed as it is
/// sent; a file whose bytes no longer match the sha256 taken when it was opened (something
/// wrote it since) is refused and nothing is stored, also when that sha256's content is stored
/// already.
#[tokio::test]
async fn a_file_read_where_it_lies_is_stored_exactly_and_a_changed_one_is_refused() {
    use std::io::Write;
    let db = TestDb::new().await;
    let pool = db.pool();
    let bytes = noise(2_246_822_519);
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(&bytes).unwrap();
    let content = Content::File {
        file: &file,
        len: bytes.len() as u64,
    };
    let sha = pharmacy_ingest::import::files::sha256_of(content).unwrap();
    assert_eq!(sha, sha256_hex(&bytes));
    let mut tx = pool.begin().await.unwrap();
    pharmacy_ingest::import::files::save_and_lock(&mut tx, content, &sha)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(kept_copies(pool, &bytes).await, (1, true));

    let before: &[u8] = b"what the file held when it was opened";
    refused_as_changed(pool, content, &sha256_hex(before)).await;
    assert_eq!(kept_copies(pool, before).await.0, 0);

    // Content already stored is not sent again, but the file must still be what was hashed.
    let text = b"a file that was rewritten after it was hashed";
    let mut other = tempfile::tempfile().unwrap();
    other.write_all(text).unwrap();
    let rewritten = Content::File {
        file: &other,
        len: text.len() as u64,
    };
    refused_as_changed(pool, rewritten, &sha).await;
}

/// Storing `content` under `sha256` fails: the file is not what was hashed.
async fn refused_as_changed(pool: &PgPool, content: Content<'_>, sha256: &str) {
    let mut tx = pool.begin().await.unwrap();
    let err = pharmacy_ingest::import::files::save_and_lock(&mut tx, content, sha256)
        .await
        .unwrap_err();
    let err = err.to_string();
    assert!(err.contains("changed while it was being imported"), "{err}");
}

/// An xlsx imported from its open file (as `import` does from 8 MiB on) writes what the same
/// bytes in memory write, and keeps the file byte for byte.
#[tokio::test]
async fn an_xlsx_imported_from_its_open_file_imports_like_its_bytes() {
    use pharmacy_ingest::import::run::import_now_with_progress;
    use pharmacy_ingest::pipeline::plan::PlanOptions;
    use pharmacy_ingest::read::content::Owned;
    let db = TestDb::new().await;
    let pool = db.pool();
    seed_stores(pool, &[2207]).await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/schedules/grid_weekly.xlsx");
    let bytes = std::fs::read(&path).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let content = Owned::File {
        file,
        len: bytes.len() as u64,
    };
    let mut req = request("unused", ImportMode::Replace);
    req.file_name = "grid_weekly.xlsx".into();
    req.sha256 = sha256_hex(&bytes);
    req.file_size = bytes.len() as i64;
    let opts = PlanOptions {
        templates: pharmacy_ingest::template::set::TemplateSet::embedded().unwrap(),
        today: NaiveDate::from_ymd_opt(2025, 11, 20),
        ..PlanOptions::default()
    };
    let out = import_now_with_progress(pool, req, content, opts, std::sync::Arc::new(|_| {}))
        .await
        .unwrap();
    assert_eq!(out.status, ImportStatus::Succeeded, "{:?}", out.error);
    assert_eq!(out.rows_imported, 21);
    assert_eq!(kept_copies(pool, &bytes).await, (1, true));
}
