//! The seed tables keep the seed's columns exactly (type, nullability, default), the
//! required indexes exist, `updated_at` is kept current, and RLS is on for every table.

use crate::support::TestDb;

/// (column, data type, nullable, default contains)
type Col = (&'static str, &'static str, bool, Option<&'static str>);

async fn columns(db: &TestDb, table: &str) -> Vec<(String, String, bool, Option<String>)> {
    sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_nullable = 'YES', column_default::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(db.pool())
    .await
    .unwrap()
}

/// The seed columns are exactly as seeded; `added` lists columns later migrations add.
async fn assert_columns(db: &TestDb, table: &str, seed: &[Col], added: &[&str]) {
    let actual = columns(db, table).await;
    for (name, ty, nullable, default) in seed {
        let col = actual
            .iter()
            .find(|c| c.0 == *name)
            .unwrap_or_else(|| panic!("{table}.{name} is missing"));
        assert_eq!(col.1, *ty, "{table}.{name} type");
        assert_eq!(col.2, *nullable, "{table}.{name} nullability");
        match default {
            Some(d) => assert!(
                col.3.as_deref().is_some_and(|x| x.contains(d)),
                "{table}.{name} default {:?}, expected {d}",
                col.3
            ),
            None => assert_eq!(col.3, None, "{table}.{name} has no default"),
        }
    }
    // Columns may be added (never dropped or renamed); those this test knows must be there.
    for name in added {
        assert!(
            actual.iter().any(|c| c.0 == *name),
            "{table}.{name} (added by a migration) is missing"
        );
    }
}

const TZ: &str = "timestamp with time zone";

#[tokio::test]
async fn seed_tables_have_exactly_the_seed_columns() {
    let db = TestDb::new().await;
    assert_columns(
        &db,
        "stores",
        &[
            ("id", "uuid", false, Some("gen_random_uuid()")),
            ("store_number", "integer", false, None),
            ("address", "text", false, None),
            ("city", "text", false, None),
            ("state", "text", false, None),
            ("zip_code", "text", false, None),
            ("phone", "text", true, None),
            ("pharmacy_hours", "jsonb", true, None),
            ("store_hours", "jsonb", true, None),
            ("latitude", "numeric", true, None),
            ("longitude", "numeric", true, None),
            ("is_active", "boolean", true, Some("true")),
            ("created_at", TZ, true, Some("now()")),
            ("updated_at", TZ, true, Some("now()")),
        ],
        &[],
    )
    .await;
    assert_columns(
        &db,
        "contacts",
        &[
            ("id", "uuid", false, Some("gen_random_uuid()")),
            ("name", "text", false, None),
            ("phone", "text", false, None),
            ("email", "text", true, None),
            ("status", "text", true, Some("'active'")),
            ("priority", "text", true, Some("'medium'")),
            ("notes", "text", true, None),
            ("total_messages", "integer", true, Some("0")),
            ("total_appointments", "integer", true, Some("0")),
            ("ai_enabled", "boolean", true, Some("true")),
            ("created_at", TZ, true, Some("now()")),
            ("updated_at", TZ, true, Some("now()")),
        ],
        &[],
    )
    .await;
    assert_columns(
        &db,
        "store_schedules",
        &[
            ("id", "uuid", false, Some("gen_random_uuid()")),
            ("store_id", "uuid", true, None),
            ("employee_name", "text", false, None),
            ("employee_phone", "text", true, None),
            ("schedule_date", "date", false, None),
            ("shift_start", "time without time zone", true, None),
            ("shift_end", "time without time zone", true, None),
            ("position", "text", true, None),
            ("notes", "text", true, None),
            ("created_at", TZ, true, Some("now()")),
            ("updated_at", TZ, true, Some("now()")),
        ],
        &["import_id"],
    )
    .await;
}

#[tokio::test]
async fn seed_constraints_hold() {
    let db = TestDb::new().await;
    let p = db.pool();
    // status / priority domains
    let bad_status =
        sqlx::query("INSERT INTO contacts (name, phone, status) VALUES ('A', '+1', 'gone')")
            .execute(p)
            .await;
    assert!(bad_status.is_err());
    let bad_priority =
        sqlx::query("INSERT INTO contacts (name, phone, priority) VALUES ('A', '+1', 'urgent')")
            .execute(p)
            .await;
    assert!(bad_priority.is_err());
    // unique phone and email
    sqlx::query("INSERT INTO contacts (name, phone, email) VALUES ('A', '+1', 'a@x')")
        .execute(p)
        .await
        .unwrap();
    assert!(
        sqlx::query("INSERT INTO contacts (name, phone) VALUES ('B', '+1')")
            .execute(p)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("INSERT INTO contacts (name, phone, email) VALUES ('B', '+2', 'a@x')")
            .execute(p)
            .await
            .is_err()
    );
    // unique store number; schedules cascade with their store
    let store: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO stores (store_number, address, city, state, zip_code)
         VALUES (1, '1 Main St', 'Springfield', 'IL', '62701') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();
    assert!(sqlx::query("INSERT INTO stores (store_number, address, city, state, zip_code) VALUES (1, 'x', 'y', 'z', '0')").execute(p).await.is_err());
    sqlx::query("INSERT INTO store_schedules (store_id, employee_name, schedule_date) VALUES ($1, 'E', '2025-11-24')")
        .bind(store)
        .execute(p)
        .await
        .unwrap();
    sqlx::query("DELETE FROM stores WHERE id = $1")
        .bind(store)
        .execute(p)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM store_schedules")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn required_indexes_exist() {
    let db = TestDb::new().await;
    let defs: Vec<String> =
        sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'")
            .fetch_all(db.pool())
            .await
            .unwrap();
    for wanted in [
        "ON public.contacts USING btree (phone)",
        "ON public.contacts USING btree (status)",
        "ON public.store_schedules USING btree (schedule_date)",
        "ON public.store_schedules USING btree (store_id)",
        "ON public.messages USING btree (contact_id)",
        "ON public.messages USING btree (created_at)",
        "ON public.document_imports USING btree (sha256)",
        "ON public.document_imports USING btree (created_at)",
        "ON public.import_history USING btree (import_id)",
        "ON public.import_jobs USING btree (priority DESC, run_at, created_at) WHERE",
    ] {
        assert!(
            defs.iter().any(|d| d.contains(wanted)),
            "missing index {wanted}"
        );
    }
}

#[tokio::test]
async fn updated_at_is_kept_current_by_trigger() {
    let db = TestDb::new().await;
    let p = db.pool();
    let id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO stores (store_number, address, city, state, zip_code, updated_at)
         VALUES (7, 'a', 'b', 'c', 'd', now() - interval '1 day') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();
    let fresh: bool = sqlx::query_scalar(
        "UPDATE stores SET city = 'e' WHERE id = $1 RETURNING updated_at > now() - interval '1 minute'",
    )
    .bind(id)
    .fetch_one(p)
    .await
    .unwrap();
    assert!(fresh);
    // Every table with an updated_at gets the trigger, except these (documented) ones:
    // - queue_path_roots (migration 0100, src/queue): bookkeeping rows whose updated_at the
    //   worker's own upsert writes at start-up; not data anyone edits.
    // - queue_file_limits (migration 0260, src/queue/roots.rs): the same kind of bookkeeping,
    //   each worker host's read limit, upserted at start-up.
    let exempt = ["queue_path_roots", "queue_file_limits"];
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.table_name::text FROM information_schema.columns c
         WHERE c.table_schema = 'public' AND c.column_name = 'updated_at'
           AND c.table_name::text <> ALL ($1)
           AND NOT EXISTS (SELECT 1 FROM information_schema.triggers t
                           WHERE t.event_object_table = c.table_name
                             AND t.action_statement LIKE '%set_updated_at%')",
    )
    .bind(&exempt[..])
    .fetch_all(p)
    .await
    .unwrap();
    assert!(
        tables.is_empty(),
        "tables without an updated_at trigger: {tables:?}"
    );
}

#[tokio::test]
async fn row_level_security_is_enabled_on_every_table() {
    let db = TestDb::new().await;
    let without: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert!(without.is_empty(), "tables without RLS: {without:?}");
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_sqlx_migrations'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert!(n >= 11, "the eleven foundation tables, found {n}");
}

/// A store and a finished import, for shifts to name.
async fn store_and_import(p: &sqlx::PgPool) -> (uuid::Uuid, uuid::Uuid) {
    let store = sqlx::query_scalar(
        "INSERT INTO stores (store_number, address, city, state, zip_code)
         VALUES (7, '1 Main St', 'Springfield', 'IL', '62701') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();
    let import = sqlx::query_scalar(
        "INSERT INTO document_imports (file_name, sha256, source, status)
         VALUES ('week.csv', repeat('a', 64), 'cli', 'succeeded') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();
    (store, import)
}

/// A shift's `import_id` and `contact_id` name an import and a contact or nothing (statement
/// triggers since 0500, in place of foreign keys checked row by row): a shift naming no import
/// or no contact is refused like a foreign key violation, on insert and on update, and
/// deleting an import or a contact leaves its shifts without it.
#[tokio::test]
async fn a_shift_names_an_existing_import_and_contact_or_none() {
    let db = TestDb::new().await;
    let p = db.pool();
    let (store, import) = store_and_import(p).await;
    let insert = |import_id: Option<uuid::Uuid>| {
        sqlx::query(
            "INSERT INTO store_schedules (store_id, employee_name, schedule_date, import_id)
             SELECT $1, 'E' || i, '2025-11-24', $2 FROM generate_series(1, 3) AS i",
        )
        .bind(store)
        .bind(import_id)
        .execute(p)
    };
    insert(Some(import)).await.unwrap();
    insert(None).await.unwrap();
    let code = |e: sqlx::Error| {
        e.as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.to_string())
    };
    let stray = insert(Some(uuid::Uuid::new_v4())).await.unwrap_err();
    assert_eq!(code(stray).as_deref(), Some("23503"));
    let moved = sqlx::query("UPDATE store_schedules SET import_id = $1 WHERE import_id IS NULL")
        .bind(uuid::Uuid::new_v4())
        .execute(p)
        .await
        .unwrap_err();
    assert_eq!(code(moved).as_deref(), Some("23503"));
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(p)
            .await
            .unwrap()
    };
    assert_eq!(count("SELECT count(*) FROM store_schedules").await, 6);
    assert_eq!(
        count("SELECT count(*) FROM store_schedules WHERE import_id IS NOT NULL").await,
        3
    );
    sqlx::query("DELETE FROM document_imports WHERE id = $1")
        .bind(import)
        .execute(p)
        .await
        .unwrap();
    assert_eq!(
        count("SELECT count(*) FROM store_schedules WHERE import_id IS NOT NULL").await,
        0
    );
    assert_eq!(count("SELECT count(*) FROM store_schedules").await, 6);

    let contact: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO contacts (name, phone) VALUES ('E1', '+12175550101') RETURNING id",
    )
    .fetch_one(p)
    .await
    .unwrap();
    let link = |id: uuid::Uuid| {
        sqlx::query("UPDATE store_schedules SET contact_id = $1 WHERE employee_name = 'E1'")
            .bind(id)
            .execute(p)
    };
    let stray = link(uuid::Uuid::new_v4()).await.unwrap_err();
    assert_eq!(code(stray).as_deref(), Some("23503"));
    link(contact).await.unwrap();
    let linked = "SELECT count(*) FROM store_schedules WHERE contact_id IS NOT NULL";
    assert_eq!(count(linked).await, 2);
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(contact)
        .execute(p)
        .await
        .unwrap();
    assert_eq!(count(linked).await, 0);
    assert_eq!(count("SELECT count(*) FROM store_schedules").await, 6);
}

/// As with a foreign key, an import that uncommitted shifts name cannot be deleted under them:
/// the delete waits for their transaction (here it gives up at its lock timeout).
#[tokio::test]
async fn an_import_is_locked_while_new_shifts_name_it() {
    let db = TestDb::new().await;
    let p = db.pool();
    let (store, import) = store_and_import(p).await;
    let mut writer = p.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO store_schedules (store_id, employee_name, schedule_date, import_id)
         VALUES ($1, 'E', '2025-11-24', $2)",
    )
    .bind(store)
    .bind(import)
    .execute(&mut *writer)
    .await
    .unwrap();
    let mut deleter = p.begin().await.unwrap();
    sqlx::query("SET LOCAL lock_timeout = '300ms'")
        .execute(&mut *deleter)
        .await
        .unwrap();
    let err = sqlx::query("DELETE FROM document_imports WHERE id = $1")
        .bind(import)
        .execute(&mut *deleter)
        .await
        .unwrap_err();
    let code = err
        .as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("55P03"), "{err}");
    deleter.rollback().await.unwrap();
    writer.commit().await.unwrap();
}

#[tokio::test]
async fn stored_files_are_compressed_with_lz4_where_the_server_has_it() {
    let db = TestDb::new().await;
    let lz4: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_settings
                        WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let set: Vec<String> = sqlx::query_scalar(
        "SELECT attcompression::text FROM pg_attribute
         WHERE (attrelid, attname) IN (('public.import_files'::regclass, 'bytes'),
                                       ('public.import_jobs'::regclass, 'file_bytes'))",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let want = if lz4 { "l" } else { "" };
    assert_eq!(set, vec![want.to_string(); 2]);
    // A large, compressible file as an import stores it.
    let csv = "5000,Employee,01/05/2026,9:00 AM,5:00 PM\n".repeat(20_000);
    sqlx::query("INSERT INTO import_files (sha256, bytes, size) VALUES (repeat('a', 64), $1, $2)")
        .bind(csv.as_bytes())
        .bind(csv.len() as i64)
        .execute(db.pool())
        .await
        .unwrap();
    let how: Option<String> = sqlx::query_scalar(
        "SELECT pg_column_compression(bytes) FROM import_files WHERE sha256 = repeat('a', 64)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(how.as_deref(), Some(if lz4 { "lz4" } else { "pglz" }));
}
