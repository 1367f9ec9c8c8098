//! Supabase compatibility, on a database bootstrapped from Supabase's own SQL
//! (`fixtures/supabase/`, see its README): roles `anon`, `authenticated`, `service_role`,
//! `authenticator`, `supabase_admin`..., the `auth` schema with `auth.jwt()`, Supabase's
//! default privileges (ALL on new tables to the API roles) and `postgres` demoted to
//! NOSUPERUSER CREATEROLE BYPASSRLS as on a hosted project.
//!
//! The bootstrap creates cluster-wide roles, so it runs on a cluster of its own (initdb under
//! `target/tmp`, a free loopback port), never on the shared test server. As the non-superuser
//! `postgres`: migrate, revert (Supabase's objects compared with a catalog snapshot taken
//! before), migrate again; then the RLS matrix on every table through a PostgREST-exact session
//! (log in as `authenticator`, `SET LOCAL ROLE` to the JWT's `role`, `request.jwt.claims` set per
//! transaction), the worker's login role importing a file, and Realtime on and off.

use crate::security::assert_least_privilege;
use crate::support::{BinOutput, work_dir};
use pharmacy_ingest::db::embedded;
use serde_json::{Value, json};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::path::Path;
use std::str::FromStr;

/// The bootstrapped cluster: its superuser-free `postgres` URL and the password every login
/// role got.
struct Supabase {
    port: u16,
    password: String,
    _dir: tempfile::TempDir,
}

impl Supabase {
    fn url(&self, user: &str) -> String {
        format!(
            "postgres://{user}:{}@127.0.0.1:{}/postgres",
            self.password, self.port
        )
    }
}

async fn connect(url: &str) -> PgConnection {
    sqlx::postgres::PgConnectOptions::from_str(url)
        .unwrap()
        .disable_statement_logging()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"))
}

/// Start a private cluster and run Supabase's SQL on it in `manifest.txt`'s order, each file
/// as the role Supabase runs it as.
async fn bootstrap() -> Supabase {
    let dir = tempfile::Builder::new()
        .prefix("supabase-pg")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let root = dir.path().to_path_buf();
    let cluster = tokio::task::spawn_blocking(move || {
        embedded::Cluster::start_or_reuse(&root, &embedded::ClusterOptions { ephemeral: true })
    })
    .await
    .unwrap()
    .expect("start the Supabase test cluster");
    let admin_url = cluster.url("postgres");
    let port = cluster.port();
    let password = admin_url
        .split_once("://postgres:")
        .and_then(|(_, r)| r.split_once('@'))
        .map(|(p, _)| p.to_string())
        .unwrap();
    cluster.stop_when_process_exits().unwrap();
    let sb = Supabase {
        port,
        password,
        _dir: dir,
    };
    let mut pg = connect(&admin_url).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE supabase_admin SUPERUSER LOGIN PASSWORD '{}'",
        sb.password
    )))
    .execute(&mut pg)
    .await
    .unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/supabase");
    let manifest = std::fs::read_to_string(fixtures.join("manifest.txt")).unwrap();
    let mut admin = connect(&sb.url("supabase_admin")).await;
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let (file, role) = line.split_once(' ').unwrap();
        let text = std::fs::read_to_string(fixtures.join(file)).unwrap();
        let up = text.split("-- migrate:down").next().unwrap().to_string();
        let res = match role {
            "postgres" => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(up))
                    .execute(&mut pg)
                    .await
            }
            "supabase_admin" => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(up))
                    .execute(&mut admin)
                    .await
            }
            _ => {
                let sql = format!("SET ROLE {role};\n{up}\n;RESET ROLE;");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
            }
        };
        res.unwrap_or_else(|e| panic!("{file} as {role}: {e}"));
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER ROLE authenticator PASSWORD '{}'",
        sb.password
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    sb
}

/// Supabase's objects as the catalog describes them: everything outside `public` and the
/// schema this project owns (relations, functions and their ACLs and owners), schema and
/// database ACLs, default privileges, publications, event triggers, roles and memberships
/// (those of this project's own roles excepted: roles are cluster-wide and kept).
const SNAPSHOT: &str = "
WITH ours(r) AS (SELECT unnest(ARRAY['pharmacy_ingest_worker', 'pharmacy_ingest_audit', 'manager', 'ingest']))
SELECT x FROM (
  SELECT format('rel %s.%s %s owner=%s acl=%s', n.nspname, c.relname, c.relkind,
                pg_get_userbyid(c.relowner), c.relacl) AS x
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('public', 'pharmacy_ingest_private', 'pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
  UNION ALL
  SELECT format('fn %s.%s(%s) owner=%s acl=%s definer=%s', n.nspname, p.proname,
                pg_get_function_identity_arguments(p.oid), pg_get_userbyid(p.proowner), p.proacl,
                p.prosecdef)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('public', 'pharmacy_ingest_private', 'pg_catalog', 'information_schema')
  UNION ALL
  SELECT format('schema %s owner=%s acl=%s', nspname, pg_get_userbyid(nspowner), nspacl)
  FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'pharmacy_ingest_private'
  UNION ALL
  SELECT format('db acl=%s', datacl) FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT format('defacl %s %s %s %s', pg_get_userbyid(defaclrole), defaclnamespace,
                defaclobjtype, defaclacl) FROM pg_default_acl
  UNION ALL
  SELECT format('pub %s owner=%s tables=%s', p.pubname, pg_get_userbyid(p.pubowner),
                (SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY 1)
                 FROM pg_publication_tables t WHERE t.pubname = p.pubname))
  FROM pg_publication p
  UNION ALL
  SELECT format('evt %s %s %s', evtname, evtevent, evtfoid::regproc) FROM pg_event_trigger
  UNION ALL
  SELECT format('ext %s %s', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT format('role %s super=%s inherit=%s createrole=%s bypassrls=%s login=%s config=%s',
                rolname, rolsuper, rolinherit, rolcreaterole, rolbypassrls, rolcanlogin, rolconfig)
  FROM pg_roles WHERE rolname NOT IN (SELECT r FROM ours)
  UNION ALL
  SELECT format('member %s in %s admin=%s', m.member::regrole, m.roleid::regrole, m.admin_option)
  FROM pg_auth_members m
  WHERE m.member::regrole::text NOT IN (SELECT r FROM ours)
    AND m.roleid::regrole::text NOT IN (SELECT r FROM ours)
) s ORDER BY x";

async fn snapshot(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(SNAPSHOT)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

fn bin(sb: &Supabase, user: &str, args: &[&str]) -> BinOutput {
    let dir = work_dir();
    let out = crate::support::bin(dir.path())
        .env("DATABASE_URL", sb.url(user))
        .args(args)
        .output()
        .unwrap();
    BinOutput::from(out)
}

fn ok(out: BinOutput, what: &str) -> BinOutput {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        out.stdout,
        out.stderr
    );
    out
}

/// Migrate, revert and migrate as the non-superuser `postgres`; Supabase's objects are the
/// same after the revert as before the first migration.
async fn migrate_revert_migrate(sb: &Supabase) {
    let mut pg = connect(&sb.url("postgres")).await;
    let is_super: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut pg)
            .await
            .unwrap();
    assert!(!is_super, "postgres must be demoted as on a hosted project");
    let before = snapshot(&mut pg).await;
    ok(bin(sb, "postgres", &["migrate"]), "migrate");
    ok(bin(sb, "postgres", &["migrate", "--revert"]), "revert");
    let after = snapshot(&mut pg).await;
    let gone: Vec<&String> = before.iter().filter(|x| !after.contains(x)).collect();
    let added: Vec<&String> = after.iter().filter(|x| !before.contains(x)).collect();
    assert!(
        gone.is_empty() && added.is_empty(),
        "Supabase's objects changed by migrate + revert:\n- {gone:#?}\n+ {added:#?}"
    );
    let public_left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('public', 'pharmacy_ingest_private')",
    )
    .fetch_one(&mut pg)
    .await
    .unwrap();
    assert_eq!(public_left, 0, "revert left objects in public");
    ok(bin(sb, "postgres", &["migrate"]), "migrate again");
}

const ALICE: &str = "(555) 607-8617"; // stored as a manager typed it
const BOB: &str = "+15550100002";

/// Two stores, two employees with a shift at each store, a message and an appointment each,
/// an import record and a queued job.
async fn seed(pg: &mut PgConnection) {
    sqlx::raw_sql(
        "INSERT INTO stores (store_number, address, city, state, zip_code)
             VALUES (101, '1 Main St', 'Springfield', 'IL', '62701'), (102, '2 Oak St', 'Peoria', 'IL', '61602');
         INSERT INTO document_imports (file_name, sha256, source, status)
             VALUES ('week.xlsx', 'ab', 'cli', 'succeeded');
         SELECT enqueue_import(file_name => 'w.csv', file_bytes => 'x'::bytea);",
    )
    .execute(&mut *pg)
    .await
    .unwrap();
    sqlx::query("INSERT INTO contacts (name, phone) VALUES ('Alice', $1), ('Bob', $2)")
        .bind(ALICE)
        .bind(BOB)
        .execute(&mut *pg)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO store_schedules (store_id, employee_name, employee_phone, schedule_date, shift_start, shift_end)
             SELECT s.id, c.name, c.phone, DATE '2025-11-24', TIME '09:00', TIME '17:00'
             FROM stores s CROSS JOIN contacts c;
         INSERT INTO messages (contact_id, direction, body) SELECT id, 'outbound', 'hi' FROM contacts;
         INSERT INTO appointments (contact_id, starts_at) SELECT id, now() FROM contacts;",
    )
    .execute(&mut *pg)
    .await
    .unwrap();
}

/// What an identity sees of a table.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sees {
    /// Every row.
    All,
    /// This many rows (its own).
    Own(i64),
    /// No privilege: the query fails.
    Denied,
}

/// The rows of `table` visible in one PostgREST-style transaction: `authenticator` switches
/// to `role` and sets the claims, as PostgREST does per request.
async fn visible(conn: &mut PgConnection, role: &str, claims: &Value, table: &str) -> Option<i64> {
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)")
        .bind(role)
        .bind(claims.to_string())
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("switching to {role}: {e}"));
    let n = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM public.{table}"
    )))
    .fetch_one(&mut *tx)
    .await;
    let _ = tx.rollback().await;
    match n {
        Ok(n) => Some(n),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => None,
        Err(e) => panic!("{role} counting {table}: {e}"),
    }
}

/// Expected visibility per table: `[anon, employee, email-only employee, manager, service_role]`.
fn expected(table: &str) -> Option<[Sees; 5]> {
    use Sees::*;
    Some(match table {
        "stores" => [Denied, All, All, All, All],
        "contacts" => [Denied, Own(1), Own(0), All, All],
        "store_schedules" => [Denied, Own(2), Own(0), All, All],
        "messages" | "appointments" => [Denied, Own(1), Own(0), All, All],
        "processing_templates"
        | "data_mappings"
        | "document_imports"
        | "import_history"
        | "import_jobs"
        | "audit_log" => [Denied, Own(0), Own(0), All, All],
        "import_files" | "_sqlx_migrations" => [Denied, Denied, Denied, Denied, Denied],
        "queue_path_roots" => [Denied, Denied, Denied, Denied, All],
        _ => return None,
    })
}

async fn rls_matrix(sb: &Supabase) {
    let mut pg = connect(&sb.url("postgres")).await;
    seed(&mut pg).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1",
    )
    .fetch_all(&mut pg)
    .await
    .unwrap();
    let supabase_phone = json!({"role": "authenticated", "sub": "u-alice", "phone": "15556078617", "aud": "authenticated"});
    let e164_phone = json!({"role": "authenticated", "sub": "u-alice", "phone": "+15556078617"});
    let email_only =
        json!({"role": "authenticated", "sub": "u-eve", "email": "eve@example.com", "phone": ""});
    let manager_app =
        json!({"role": "authenticated", "sub": "u-m", "app_metadata": {"role": "manager"}});
    let manager_role = json!({"role": "manager", "sub": "u-m2"});
    // (who, database role, claims, column of `expected`)
    let who: [(&str, &str, &Value, usize); 7] = [
        ("anon", "anon", &json!({"role": "anon"}), 0),
        (
            "employee by phone (Supabase format)",
            "authenticated",
            &supabase_phone,
            1,
        ),
        ("employee by phone (E.164)", "authenticated", &e164_phone, 1),
        (
            "employee by email, no phone",
            "authenticated",
            &email_only,
            2,
        ),
        (
            "manager by app_metadata.role",
            "authenticated",
            &manager_app,
            3,
        ),
        ("manager by role claim", "manager", &manager_role, 3),
        (
            "service_role",
            "service_role",
            &json!({"role": "service_role"}),
            4,
        ),
    ];
    let mut api = connect(&sb.url("authenticator")).await;
    for table in &tables {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM public.{table}"
        )))
        .fetch_one(&mut pg)
        .await
        .unwrap();
        for (name, role, claims, col) in &who {
            let got = visible(&mut api, role, claims, table).await;
            match expected(table) {
                Some(row) => {
                    let want = match row[*col] {
                        Sees::All => Some(total),
                        Sees::Own(n) => Some(n),
                        Sees::Denied => None,
                    };
                    assert_eq!(got, want, "{name} on {table} ({total} rows)");
                }
                // another capability's table: employees and anon see none of it
                None if *col <= 2 => {
                    assert!(
                        matches!(got, None | Some(0)),
                        "{name} sees {got:?} of {table}"
                    )
                }
                None => {}
            }
        }
    }
    employee_cannot_write(&mut api, &supabase_phone).await;
}

async fn employee_cannot_write(api: &mut PgConnection, claims: &Value) {
    let mut tx = api.begin().await.unwrap();
    sqlx::query("SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)")
        .bind(claims.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let changed = sqlx::query("UPDATE store_schedules SET notes = 'x'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0, "an employee changed shifts");
    let truncate = sqlx::query("TRUNCATE audit_log").execute(&mut *tx).await;
    assert!(truncate.is_err(), "authenticated truncated the audit trail");
}

/// The worker's own login role (what the README tells an operator to create) starts,
/// checks the schema, imports a file and lists jobs, and reads nothing else.
async fn worker_role(sb: &Supabase) {
    let mut pg = connect(&sb.url("postgres")).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE ingest LOGIN PASSWORD '{}' IN ROLE pharmacy_ingest_worker",
        sb.password
    )))
    .execute(&mut pg)
    .await
    .unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/import/week48_store101.csv");
    let out = bin(sb, "ingest", &["import", csv.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "import as ingest: {}{}",
        out.stdout,
        out.stderr
    );
    // Past 256 shifts the write is a binary COPY, which PostgreSQL refuses into a table with
    // row security for a role the policies apply to: it goes through a staging table.
    let big = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/worker/big-3315.csv");
    let out = bin(
        sb,
        "ingest",
        &["import", big.to_str().unwrap(), "--store", "102"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a 20,000-shift import as ingest: {}{}",
        out.stdout,
        out.stderr
    );
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM store_schedules s JOIN stores st ON st.id = s.store_id
         WHERE st.store_number = 102 AND s.import_id IS NOT NULL",
    )
    .fetch_one(&mut pg)
    .await
    .unwrap();
    assert_eq!(stored, 20_000);
    // The file (1.3 MB) was streamed to `import_files` in chunks: its bytes are whole.
    let whole: bool = sqlx::query_scalar(
        "SELECT bool_and(encode(sha256(bytes), 'hex') = sha256 AND length(bytes) = size)
         FROM import_files",
    )
    .fetch_one(&mut pg)
    .await
    .unwrap();
    assert!(
        whole,
        "a stored file's bytes differ from its sha256 or size"
    );
    ok(bin(sb, "ingest", &["jobs", "list"]), "jobs list as ingest");
    ok(
        bin(sb, "ingest", &["imports", "list"]),
        "imports list as ingest",
    );
    let mut ingest = connect(&sb.url("ingest")).await;
    for table in ["messages", "appointments", "audit_log"] {
        let r = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM public.{table}"
        )))
        .fetch_one(&mut ingest)
        .await;
        assert!(r.is_err(), "the worker role reads {table}");
    }
    let by_ingest: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE db_user = 'ingest'")
            .fetch_one(&mut pg)
            .await
            .unwrap();
    assert!(
        by_ingest > 0,
        "the worker's import was not audited under its name"
    );
    // Small imports committed together (the worker's group commit), as the same role: the
    // batch's lock-and-store statement and its shifts and ends statements pass row security.
    let pool = sqlx::PgPool::connect(&sb.url("ingest")).await.unwrap();
    let files = [
        crate::batch::one_shift(101, "Batch One", "2026-01-05"),
        crate::batch::one_shift(102, "Batch Two", "2026-01-05"),
    ];
    let out = crate::batch::commit(&pool, &files, &crate::batch::pass(2))
        .await
        .unwrap();
    let done = out.iter().filter(|o| o.rows_imported == 1).count();
    assert_eq!(done, 2, "both imports of the batch, as ingest");
}

async fn published(pg: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT tablename::text FROM pg_publication_tables
         WHERE pubname = 'supabase_realtime' ORDER BY 1",
    )
    .fetch_all(pg)
    .await
    .unwrap()
}

async fn realtime(sb: &Supabase) {
    let mut pg = connect(&sb.url("postgres")).await;
    let out = ok(
        bin(sb, "postgres", &["db", "realtime", "enable"]),
        "realtime enable",
    );
    assert!(out.stdout.contains("store_schedules"), "{}", out.stdout);
    assert_eq!(
        published(&mut pg).await,
        ["document_imports", "import_jobs", "store_schedules"]
    );
    let out = ok(
        bin(sb, "postgres", &["db", "realtime", "enable"]),
        "enable twice",
    );
    assert!(out.stdout.contains("none"), "{}", out.stdout);
    ok(
        bin(sb, "postgres", &["db", "realtime", "disable"]),
        "realtime disable",
    );
    assert!(published(&mut pg).await.is_empty());
}

#[tokio::test]
async fn a_supabase_bootstrapped_database_works_as_hosted() {
    let sb = bootstrap().await;
    migrate_revert_migrate(&sb).await;
    let pool = PgPool::connect(&sb.url("postgres")).await.unwrap();
    assert_least_privilege(&pool, "on Supabase").await;
    pool.close().await;
    rls_matrix(&sb).await;
    worker_role(&sb).await;
    realtime(&sb).await;
}
