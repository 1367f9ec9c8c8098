//! Migrations: up, down to zero (an empty database), up again; on a database where Supabase's
//! roles and `auth` schema already exist; refusing a schema newer than the binary.

use crate::support::TestDb;
use pharmacy_ingest::db::migrations;
use sqlx::PgConnection;

/// Everything user-visible in the database: relations, functions, types and schemas outside
/// the system catalogs.
async fn user_objects(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT 'relation ' || n.nspname || '.' || c.relname
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
         UNION ALL
         SELECT 'function ' || n.nspname || '.' || p.proname
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
         UNION ALL
         SELECT 'schema ' || nspname FROM pg_namespace
          WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'public')
         ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn up_down_up_leaves_an_empty_database_in_between() {
    let db = TestDb::empty().await;
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(user_objects(&mut conn).await.is_empty());

    let applied = crate::support::migrate_up(&mut conn).await;
    assert_eq!(applied.last().copied(), Some(migrations::latest_known()));
    assert!(applied.contains(&1) && applied.contains(&5));
    let objects = user_objects(&mut conn).await;
    assert!(objects.contains(&"relation public.store_schedules".to_string()));
    assert!(objects.contains(&"function auth.jwt".to_string()));

    // Applying again is a no-op.
    assert!(migrations::up(&mut conn, None).await.unwrap().is_empty());

    let reverted = migrations::down(&mut conn, 0).await.unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(reverted.first(), applied.last(), "newest reverted first");
    assert_eq!(user_objects(&mut conn).await, Vec::<String>::new());

    let again = migrations::up(&mut conn, None).await.unwrap();
    assert_eq!(again, applied);
    assert_eq!(
        migrations::current_version(&mut conn).await.unwrap(),
        migrations::latest_known()
    );
}

#[tokio::test]
async fn partial_revert_to_a_target_version() {
    let db = TestDb::new().await;
    let mut conn = db.pool().acquire().await.unwrap();
    let reverted = migrations::down(&mut conn, 2).await.unwrap();
    assert!(reverted.iter().all(|v| *v > 2));
    assert_eq!(migrations::current_version(&mut conn).await.unwrap(), 2);
    let stores: bool = sqlx::query_scalar("SELECT to_regclass('public.stores') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let jobs: bool = sqlx::query_scalar("SELECT to_regclass('public.import_jobs') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(stores && !jobs);
    assert_eq!(
        migrations::pending(&mut conn).await.unwrap(),
        reverted.iter().rev().copied().collect::<Vec<_>>()
    );
    migrations::up(&mut conn, None).await.unwrap();
}

/// Supabase's own `auth.jwt()` (owned by another role, reading the same setting) and its
/// roles exist before the migrations run: they must run, leave Supabase's function alone, and
/// revert without touching it.
#[tokio::test]
async fn runs_where_supabase_roles_and_auth_schema_exist() {
    let db = TestDb::empty().await;
    let mut conn = db.pool().acquire().await.unwrap();
    sqlx::raw_sql(
        "DO $$ BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
                 CREATE ROLE supabase_auth_admin NOLOGIN;
             END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$;
         DO $$ BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$;
         CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
         CREATE TABLE auth.users (id uuid PRIMARY KEY, phone text);
         CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
             select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                             nullif(current_setting('request.jwt.claims', true), ''))::jsonb
         $$;
         CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
             select nullif(auth.jwt() ->> 'sub', '')::uuid
         $$;
         ALTER FUNCTION auth.jwt() OWNER TO supabase_auth_admin;
         GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
         GRANT EXECUTE ON FUNCTION auth.jwt() TO anon, authenticated, service_role;
         -- Supabase grants everything in public to its API roles by default.
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;",
    )
    .execute(&mut *conn)
    .await
    .unwrap();

    crate::support::migrate_up(&mut conn).await;
    let owner: String = sqlx::query_scalar(
        "SELECT pg_get_userbyid(p.proowner)::text FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'auth' AND p.proname = 'jwt'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        owner, "supabase_auth_admin",
        "Supabase's auth.jwt() is kept"
    );

    // Even with Supabase's default grants, anon reads nothing.
    let mut tx = crate::support::begin_as(db.pool(), "anon", None).await;
    let err = sqlx::query("SELECT count(*) FROM public.contacts")
        .fetch_one(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    drop(tx);

    migrations::down(&mut conn, 0).await.unwrap();
    let left: Vec<String> = user_objects(&mut conn).await;
    assert_eq!(
        left,
        vec![
            "function auth.jwt".to_string(),
            "function auth.uid".to_string(),
            "relation auth.users".to_string(),
            "relation auth.users_pkey".to_string(),
            "schema auth".to_string(),
        ],
        "Supabase's auth schema is left as it was"
    );
    migrations::up(&mut conn, None).await.unwrap();
}

#[tokio::test]
async fn refuses_a_schema_newer_than_the_binary() {
    let db = TestDb::new().await;
    let mut conn = db.pool().acquire().await.unwrap();
    let future = migrations::latest_known() + 1000;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES ($1, 'from the future', true, '\\x00'::bytea, 0)",
    )
    .bind(future)
    .execute(&mut *conn)
    .await
    .unwrap();
    let err = migrations::ensure_not_newer(&mut conn).await.unwrap_err();
    assert!(
        matches!(err, migrations::SchemaError::TooNew { db, .. } if db == future),
        "{err}"
    );
    assert!(migrations::up(&mut conn, None).await.is_err());
    assert!(migrations::down(&mut conn, 0).await.is_err());

    // Every database command of the binary refuses it too.
    let out = db.run_bin(&["db", "status"]);
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("newer than this program"),
        "{}",
        out.stderr
    );
}

/// 0500 rewrote the phone key in PL/pgSQL for speed; an expression index uses it, so it must
/// give 0150's SQL version's value for every input: formatted, international, with
/// extensions, too short, not a number, other scripts' digits, and a few thousand generated
/// strings of digits, signs, spaces and letters.
#[tokio::test]
async fn the_phone_key_keeps_its_values_across_0500() {
    let db = TestDb::new().await;
    let differing: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "WITH input(p) AS (
             SELECT unnest(ARRAY['(217) 555-0101', '+1 217.555.0101', '217-555-0101 x12',
                 '217-555-0101 ext. 12', '217 555 0101 Extension 9', '0044 20 7946 0958',
                 '+44 20 7946 0958', '12175550101', '555-0101', '', '   ', '+', 'abc',
                 '+٣٣٣٣٣٣٣٣٣٣', '2175550101x', 'x2175550101', '+1 (217) 555-0101 EXT 7',
                 '00 1 217 555 0101', '+123456789012345', '+1234567'])
             UNION ALL
             SELECT translate(substr(md5(i::text) || md5((i * 7)::text), 1, 6 + i % 20),
                              'abcdef', CASE i % 3 WHEN 0 THEN '+ x-.(' WHEN 1 THEN '  0011'
                                                   ELSE 'e xt.)' END)
             FROM generate_series(1, 5000) AS i
         ), old AS (
             SELECT p, (SELECT CASE
                     WHEN length(d) = 10 THEN '+1' || d
                     WHEN length(d) = 11 AND left(d, 1) = '1' THEN '+' || d
                     WHEN left(d, 2) = '00' AND length(d) BETWEEN 10 AND 17 THEN '+' || substr(d, 3)
                     WHEN left(btrim(p), 1) = '+' AND length(d) BETWEEN 8 AND 15 THEN '+' || d
                     ELSE NULL
                 END
                 FROM (SELECT regexp_replace(
                         regexp_replace(lower(p), '\\s*(x|ext\\.?|extension)\\s*\\d+\\s*$', ''),
                         '\\D', '', 'g') AS d) AS s) AS k
             FROM input
         )
         SELECT p, k, pharmacy_phone_e164(p) FROM old
         WHERE k IS DISTINCT FROM pharmacy_phone_e164(p)",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(differing, vec![]);
    let usable: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM unnest(ARRAY['(217) 555-0101', '217-555-0101 x12', '+44 20 7946 0958'])
         AS p WHERE pharmacy_phone_e164(p) IS NOT NULL",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(usable, 3);
}
