//! The import sink's write path against a real PostgreSQL: `write_import` (UNNEST bulk
//! statements) side by side with a statement-per-row baseline, for 1 000 and 10 000 shifts,
//! plus a `replace` of 10 000 stored shifts. Each iteration runs in a transaction that is
//! rolled back, so every iteration sees the same database.
//!
//! `DATABASE_URL` names the server (default `postgres://postgres@127.0.0.1:5432/postgres`); a
//! private database `pi_bench_import_<pid>` is created, migrated and dropped.
//! Run: `cargo bench --bench import_write`.

use chrono::{NaiveDate, NaiveTime};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pharmacy_ingest::import::write::write_import;
use pharmacy_ingest::import::{ImportMode, ImportRequest, ImportSource};
use pharmacy_ingest::read::grid::{CellRef, SourceFormat};
use pharmacy_ingest::schedule::{Plan, Shift};
use sqlx::{Connection, PgConnection};
use std::time::Duration;

fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_db(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{url}/{name}"),
    }
}

fn plan(n: usize, start_hour: u32) -> Plan {
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date");
    let shifts = (0..n)
        .map(|i| Shift {
            store_number: 101 + (i % 3) as i32,
            employee_name: format!("Employee {}", i % 60).into(),
            employee_phone: None,
            date: first + chrono::Duration::days((i / 60) as i64),
            start: NaiveTime::from_hms_opt(start_hour, 0, 0).expect("valid time"),
            end: NaiveTime::from_hms_opt(start_hour + 8, 0, 0).expect("valid time"),
            position: Some("Technician".into()),
            notes: None,
            source: CellRef {
                sheet: "Week".into(),
                row: i as u32,
                col: 0,
                page: None,
            },
        })
        .collect();
    Plan {
        template: "bench".into(),
        format: SourceFormat::Csv,
        shifts,
        issues: vec![],
    }
}

fn request(force: bool) -> ImportRequest {
    ImportRequest {
        file_name: "bench.csv".into(),
        file_size: 1,
        sha256: "0".repeat(64),
        source: ImportSource::Cli,
        mode: ImportMode::Replace,
        force,
        template: None,
        store_number: None,
        job_id: None,
        created_by: "bench".into(),
        hold_risky_replace: false,
        inbox_store: None,
    }
}

/// The baseline the sink does not use: one INSERT per shift and one per history row.
async fn row_by_row(conn: &mut PgConnection, plan: &Plan) {
    let import_id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO document_imports (file_name, sha256, source, status)
         VALUES ('bench.csv', $1, 'cli', 'processing') RETURNING id",
    )
    .bind("0".repeat(64))
    .fetch_one(&mut *conn)
    .await
    .expect("insert import");
    for s in &plan.shifts {
        let id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO store_schedules
                 (store_id, employee_name, schedule_date, shift_start, shift_end, position, import_id)
             SELECT id, $2, $3, $4, $5, $6, $7 FROM stores WHERE store_number = $1
             RETURNING id",
        )
        .bind(s.store_number)
        .bind(&*s.employee_name)
        .bind(s.date)
        .bind(s.start)
        .bind(s.end)
        .bind(s.position.as_deref())
        .bind(import_id)
        .fetch_one(&mut *conn)
        .await
        .expect("insert shift");
        sqlx::query(
            "INSERT INTO import_history (import_id, action, cell_ref, schedule_id, after)
             SELECT $1, 'inserted', $2, s.id, to_jsonb(s) FROM store_schedules s WHERE s.id = $3",
        )
        .bind(import_id)
        .bind(s.source.to_string())
        .bind(id)
        .execute(&mut *conn)
        .await
        .expect("insert history");
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let admin_url = server_url();
    let name = format!("pi_bench_import_{}", std::process::id());
    let url = with_db(&admin_url, &name);
    let mut conn = rt.block_on(async {
        pharmacy_ingest::db::ensure_database(&admin_url, &name)
            .await
            .expect("create the bench database");
        let mut conn = PgConnection::connect(&url).await.expect("connect");
        pharmacy_ingest::db::migrations::up(&mut conn, None)
            .await
            .expect("migrate");
        for n in [101, 102, 103] {
            sqlx::query(
                "INSERT INTO stores (store_number, address, city, state, zip_code)
                 VALUES ($1, '1 Main St', 'Springfield', 'IL', '62701')",
            )
            .bind(n)
            .execute(&mut conn)
            .await
            .expect("seed store");
        }
        conn
    });

    let mut g = c.benchmark_group("import_write");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(2));
    for n in [1_000usize, 10_000] {
        let p = plan(n, 8);
        g.bench_with_input(BenchmarkId::new("unnest", n), &p, |b, p| {
            b.iter(|| {
                rt.block_on(async {
                    let mut tx = conn.begin().await.expect("begin");
                    write_import(&mut tx, &request(false), Ok::<_, String>(p.clone()))
                        .await
                        .expect("write");
                    tx.rollback().await.expect("rollback");
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("row_by_row", n), &p, |b, p| {
            b.iter(|| {
                rt.block_on(async {
                    let mut tx = conn.begin().await.expect("begin");
                    row_by_row(&mut tx, p).await;
                    tx.rollback().await.expect("rollback");
                })
            })
        });
    }
    // Replace: 10 000 stored shifts, the same store-dates imported again.
    rt.block_on(async {
        let mut tx = conn.begin().await.expect("begin");
        write_import(&mut tx, &request(false), Ok::<_, String>(plan(10_000, 8)))
            .await
            .expect("seed write");
        tx.commit().await.expect("commit");
    });
    let p = plan(10_000, 9);
    g.bench_function(BenchmarkId::new("unnest_replace", 10_000), |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut tx = conn.begin().await.expect("begin");
                write_import(&mut tx, &request(true), Ok::<_, String>(p.clone()))
                    .await
                    .expect("write");
                tx.rollback().await.expect("rollback");
            })
        })
    });
    g.finish();

    rt.block_on(async {
        conn.close().await.expect("close");
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect admin");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .expect("drop the bench database");
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
