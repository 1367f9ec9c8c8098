//! The database test harness: a real PostgreSQL, an isolated database per test.
//!
//! # API
//!
//! ```ignore
//! use crate::support::{self, TestDb};
//!
//! #[tokio::test]
//! async fn my_test() {
//!     let db = TestDb::new().await;          // fresh database, all migrations applied
//!     sqlx::query("SELECT 1").execute(db.pool()).await.unwrap();
//!     let url: &str = db.url();              // its URL (e.g. for a second pool or LISTEN)
//!
//!     // the real binary against this database (cwd and data folder: a private temp dir)
//!     let out = db.run_bin(&["db", "status"]);
//!     assert!(out.status.success(), "{}", out.stderr);
//!     let mut cmd = db.command();            // or build the std::process::Command yourself
//!
//!     // a transaction under an RLS role with JWT claims (SET LOCAL ROLE + request.jwt.claims)
//!     let mut tx = support::begin_as(db.pool(), "authenticated",
//!                                    Some(serde_json::json!({"phone": "+15550100"}))).await;
//! }
//! ```
//!
//! - [`TestDb::new`]: a uniquely named database (`pi_test_<pid>_<n>`), migrated with the
//!   binary's own migrator. [`TestDb::empty`]: the same without migrations.
//! - The database is dropped (`WITH (FORCE)`) when the `TestDb` is dropped; databases left by
//!   a crashed test process (its pid no longer alive) are dropped at the next start.
//! - The server: `DATABASE_URL` when set (any database on that server; the role needs
//!   CREATEDB), else one embedded cluster for the whole test process under
//!   `target/tmp/it-pg/` (the same code as the binary's embedded default, tuned for speed),
//!   stopped by a watchdog when the test process exits.
//! - [`bin`] runs the binary without a database; [`server_url`] names a database on the
//!   test server (for admin work such as creating another database); [`work_dir`] makes a
//!   temporary folder an embedded cluster can live under.
//! - [`folders`]: watched folders (drop a file, wait until it is filed, read its receipt) and
//!   an intake of the test process on a folder.
//!
//! Tests use `#[tokio::test]` (each has its own runtime; nothing here is shared across
//! runtimes but plain URLs).

#![allow(dead_code)]

pub mod folders;
pub mod sources;

use pharmacy_ingest::db::{embedded, migrations};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Postgres, Transaction};
use std::process::{Command, Output};
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Prefix of every test database name.
const PREFIX: &str = "pi_test_";

/// The test server: a URL pointing at an admin database of it.
static SERVER: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);
static CLEANED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// A URL of the test server's admin database (`DATABASE_URL`, or the embedded cluster's
/// `postgres` database).
pub fn server_url() -> &'static str {
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("it-pg");
            let cluster = embedded::Cluster::start_or_reuse(
                &dir,
                &embedded::ClusterOptions { ephemeral: true },
            )
            .expect("start the embedded test cluster");
            let url = cluster.url("postgres");
            cluster
                .stop_when_process_exits()
                .expect("arrange for the test cluster to stop");
            url
        }
    })
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn admin_conn() -> PgConnection {
    PgConnectOptions::from_str(server_url())
        .expect("test server URL")
        .disable_statement_logging()
        .connect()
        .await
        .expect("connect to the test server")
}

/// Drop test databases whose test process is gone.
async fn drop_stale(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1")
            .bind(format!("{PREFIX}%"))
            .fetch_all(&mut *conn)
            .await
            .expect("list test databases");
    for name in names {
        let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
        let alive = !pid.is_empty() && std::path::Path::new("/proc").join(pid).exists();
        if !alive {
            drop_database(conn, &name).await;
        }
    }
}

async fn drop_database(conn: &mut PgConnection, name: &str) {
    let quoted: String = sqlx::query_scalar("SELECT quote_ident($1)")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .expect("quote");
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"
    )))
    .execute(&mut *conn)
    .await;
}

static FIRST_MIGRATION: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

/// Apply every migration (as [`TestDb::new`] does). The first migration of the test process
/// runs alone: it may create and alter the cluster-wide roles, and PostgreSQL refuses two
/// sessions altering one role at once ("tuple concurrently updated"). Use this rather than
/// `migrations::up` for a test's first migration of a database made with [`TestDb::empty`].
pub async fn migrate_up(conn: &mut PgConnection) -> Vec<i64> {
    let mut done = FIRST_MIGRATION.lock().await;
    if *done {
        drop(done);
        migrations::up(conn, None).await.expect("migrate up")
    } else {
        let applied = migrations::up(conn, None).await.expect("migrate up");
        *done = true;
        applied
    }
}

/// An isolated database for one test; dropped when this value is dropped.
pub struct TestDb {
    name: String,
    url: String,
    pool: PgPool,
    work_dir: tempfile::TempDir,
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn new() -> TestDb {
        let db = TestDb::empty().await;
        let mut conn = db.pool.acquire().await.expect("connection");
        migrate_up(&mut conn).await;
        drop(conn);
        db
    }

    /// A fresh, empty database (no migrations).
    pub async fn empty() -> TestDb {
        let mut admin = admin_conn().await;
        CLEANED
            .get_or_init(|| async {
                let mut c = admin_conn().await;
                drop_stale(&mut c).await;
                let _ = c.close().await;
            })
            .await;
        let name = format!(
            "{PREFIX}{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create the test database (does the role have CREATEDB?)");
        let _ = admin.close().await;
        let url = with_database(server_url(), &name);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect_with(
                PgConnectOptions::from_str(&url)
                    .expect("test database URL")
                    .disable_statement_logging(),
            )
            .await
            .expect("connect to the test database");
        TestDb {
            name,
            url,
            pool,
            work_dir: work_dir(),
        }
    }

    /// The pool (superuser / owner role: RLS does not apply; see [`begin_as`]).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A private temporary folder for this test (the binary's cwd and data folder parent).
    pub fn work_dir(&self) -> &std::path::Path {
        self.work_dir.path()
    }

    /// The real binary, pointed at this database: `DATABASE_URL` set, cwd = [`Self::work_dir`],
    /// data folder `<work_dir>/var`, no configuration file.
    pub fn command(&self) -> Command {
        let mut cmd = bin_command(self.work_dir.path());
        cmd.env("DATABASE_URL", &self.url);
        cmd
    }

    /// Run the binary with `args` against this database and collect its output.
    pub fn run_bin(&self, args: &[&str]) -> BinOutput {
        BinOutput::from(self.command().args(args).output().expect("run the binary"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Async work cannot run in Drop: use a private runtime on a plain thread.
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let mut admin = admin_conn().await;
                drop_database(&mut admin, &name).await;
                let _ = admin.close().await;
            });
        });
        let _ = handle.join();
    }
}

/// A private temporary folder that the unprivileged database user can traverse (when the
/// tests run as root, an embedded cluster below it runs as `postgres`).
pub fn work_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod temp dir");
    dir
}

/// The binary's output, as text.
#[derive(Debug)]
pub struct BinOutput {
    /// Exit status.
    pub status: std::process::ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for BinOutput {
    fn from(o: Output) -> Self {
        BinOutput {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The binary under test: `PHARMACY_INGEST_TEST_BIN` when set, else cargo's. Worktrees that
/// share one target folder overwrite each other's `target/debug/pharmacy-ingest`; each keeps
/// its own `target/debug/deps/pharmacy_ingest-<hash>`, which this variable can name.
fn bin_path() -> std::ffi::OsString {
    std::env::var_os("PHARMACY_INGEST_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_pharmacy-ingest").into())
}

fn bin_command(work_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(bin_path());
    cmd.current_dir(work_dir)
        .env_remove("DATABASE_URL")
        .env_remove("PHARMACY_INGEST_CONFIG")
        .env("PHARMACY_INGEST_DATA_DIR", work_dir.join("var"))
        .env("RUST_LOG", "warn");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PHARMACY_INGEST_") && k != "PHARMACY_INGEST_DATA_DIR" {
            cmd.env_remove(k);
        }
    }
    cmd.env("PHARMACY_INGEST_DATA_DIR", work_dir.join("var"));
    cmd
}

/// The real binary with no database configured, cwd `work_dir` (its data folder is
/// `<work_dir>/var`, so a database command would start an embedded cluster there).
pub fn bin(work_dir: &std::path::Path) -> Command {
    bin_command(work_dir)
}

/// Begin a transaction acting as `role` (`SET LOCAL ROLE`) with the JWT `claims` a request
/// through PostgREST/Supabase would carry (`request.jwt.claims`). Roll back or drop it when
/// done.
pub async fn begin_as(
    pool: &PgPool,
    role: &str,
    claims: Option<serde_json::Value>,
) -> Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("SELECT set_config('role', $1, true)")
        .bind(role)
        .execute(&mut *tx)
        .await
        .expect("set role");
    sqlx::query("SELECT set_config('request.jwt.claims', $1, true)")
        .bind(claims.map(|c| c.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await
        .expect("set claims");
    tx
}
