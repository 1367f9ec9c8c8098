//! Every command and the worker through a real pgbouncer in transaction mode (Supabase's
//! transaction pooler behaves the same): no named prepared statement may be made, since the
//! next transaction may run on another client's server connection. The test starts its own
//! pgbouncer on a free loopback port (`pool_mode = transaction`, two server connections, and
//! `max_prepared_statements = 0` where the installed version knows the key) in front of the
//! test database. `.ci/run` installs pgbouncer; elsewhere the test is skipped when it is
//! missing.

use crate::support::TestDb;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A pgbouncer child process and its folder (config and log).
struct Bouncer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pgbouncer_binary() -> Option<PathBuf> {
    [
        "/usr/sbin/pgbouncer",
        "/usr/bin/pgbouncer",
        "/usr/local/bin/pgbouncer",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// `(major, minor)` of `pgbouncer --version` ("PgBouncer 1.18.0").
fn version(bin: &Path) -> (u32, u32) {
    let out = Command::new(bin).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text.split_whitespace().nth(1).expect("pgbouncer --version");
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// `user`, `password`, `host`, `port` of a `postgres://user[:password]@host:port/db` URL.
fn server_parts(url: &str) -> (String, Option<String>, String, u16) {
    let rest = url.split_once("://").unwrap().1;
    let (auth, host_db) = rest.rsplit_once('@').unwrap();
    let (user, password) = match auth.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (auth.to_string(), None),
    };
    let host_port = host_db.split('/').next().unwrap();
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
    (user, password, host.to_string(), port.parse().unwrap())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// pgbouncer refuses to run as root: run it as `postgres` then (Debian's server user).
fn unprivileged(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let id = |args: &[&str]| -> u32 {
        let out = Command::new("id").args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    if id(&["-u"]) != 0 {
        return;
    }
    cmd.uid(id(&["-u", "postgres"]))
        .gid(id(&["-g", "postgres"]));
}

impl Bouncer {
    /// Start pgbouncer in front of `db`'s server, or `None` when it is not installed (a
    /// failure under CI, where `.ci/run` installs it).
    fn start(db: &TestDb) -> Option<Bouncer> {
        let Some(bin) = pgbouncer_binary() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "pgbouncer is not installed (apt-get install pgbouncer)"
            );
            eprintln!("pgbouncer is not installed: skipping the transaction-pooler test");
            return None;
        };
        let (user, password, host, server_port) = server_parts(db.url());
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let prepared = if version(&bin) >= (1, 21) {
            "max_prepared_statements = 0\n"
        } else {
            "" // before 1.21 pgbouncer never tracks prepared statements
        };
        let password = password
            .map(|p| format!(" password={p}"))
            .unwrap_or_default();
        let ini = format!(
            "[databases]\n\
             * = host={host} port={server_port} user={user}{password}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = any\n\
             pool_mode = transaction\n\
             default_pool_size = 2\n\
             max_client_conn = 200\n\
             server_reset_query =\n\
             ignore_startup_parameters = extra_float_digits,options\n\
             logfile = {log}\n\
             {prepared}",
            log = dir.path().join("pgbouncer.log").display()
        );
        let cfg = dir.path().join("pgbouncer.ini");
        std::fs::write(&cfg, ini).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut cmd = Command::new(bin);
        cmd.arg(&cfg).stdout(Stdio::null()).stderr(Stdio::null());
        unprivileged(&mut cmd);
        let child = cmd.spawn().expect("start pgbouncer");
        let b = Bouncer { child, port, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(b);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "pgbouncer did not start: {}",
            std::fs::read_to_string(b.dir.path().join("pgbouncer.log")).unwrap_or_default()
        );
    }

    /// The pooled URL of `db` (no password: `auth_type = any`).
    fn url(&self, db: &TestDb) -> String {
        format!("postgres://app@127.0.0.1:{}/{}", self.port, db.name())
    }
}

fn import_fixture(name: &str) -> String {
    fixture("import", name)
}

fn worker_fixture(name: &str) -> String {
    fixture("worker", name)
}

fn fixture(dir: &str, name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir)
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The binary against the pooler (`pgbouncer=true` marks it), with `direct_url` when given.
fn pooled(db: &TestDb, url: &str, direct: bool, args: &[&str]) -> crate::support::BinOutput {
    let mut cmd = db.command();
    cmd.env("DATABASE_URL", format!("{url}?pgbouncer=true"));
    if direct {
        cmd.env("PHARMACY_INGEST_DATABASE_DIRECT_URL", db.url());
    }
    cmd.args(args).output().expect("run the binary").into()
}

/// Named prepared statements on the pooler's server connections: two transactions at once
/// through the pooler occupy both of them.
async fn prepared_statements_on_the_servers(url: &str) -> Vec<String> {
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)
        .unwrap()
        .statement_cache_capacity(0);
    let mut a = opts.connect().await.unwrap();
    let mut b = opts.connect().await.unwrap();
    let mut ta = a.begin().await.unwrap();
    let mut tb = b.begin().await.unwrap();
    let sql = "SELECT name FROM pg_prepared_statements ORDER BY name";
    let mut names: Vec<String> = sqlx::raw_sql(sql)
        .fetch_all(&mut *ta)
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::get(r, 0))
        .collect();
    names.extend(
        sqlx::raw_sql(sql)
            .fetch_all(&mut *tb)
            .await
            .unwrap()
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, 0)),
    );
    names
}

#[tokio::test]
async fn every_command_and_the_worker_run_through_a_transaction_pooler() {
    let db = TestDb::empty().await;
    let Some(bouncer) = Bouncer::start(&db) else {
        return;
    };
    let url = bouncer.url(&db);

    // Session work needs the direct connection, and says so.
    let out = pooled(&db, &url, false, &["migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("direct_url"), "{}", out.stderr);
    let out = pooled(&db, &url, true, &["migrate"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("applied"), "{}", out.stdout);

    let out = pooled(&db, &url, false, &["demo-data"]);
    assert!(out.status.success(), "{}", out.stderr);
    let out = pooled(
        &db,
        &url,
        false,
        &[
            "stores",
            "add",
            "101",
            "--address",
            "1 Main St",
            "--city",
            "Springfield",
            "--state",
            "IL",
            "--zip",
            "62701",
        ],
    );
    assert!(out.status.success(), "{}", out.stderr);
    let out = pooled(
        &db,
        &url,
        false,
        &["import", &import_fixture("week48_store101.csv")],
    );
    assert!(out.status.success(), "import: {}{}", out.stdout, out.stderr);
    let out = pooled(&db, &url, false, &["imports", "list", "--format", "json"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("week48_store101.csv"), "{}", out.stdout);

    // A job queued through the pooler, imported by a worker that reads the queue through it
    // (and LISTENs on the direct connection).
    let out = pooled(
        &db,
        &url,
        false,
        &["enqueue", &worker_fixture("week-1042.csv"), "--json"],
    );
    assert!(out.status.success(), "{}", out.stderr);
    let job: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let job_id = job["job_id"].as_str().unwrap().to_string();
    let mut worker = db.command();
    worker
        .env("DATABASE_URL", format!("{url}?pgbouncer=true"))
        .env("PHARMACY_INGEST_DATABASE_DIRECT_URL", db.url())
        .env("PHARMACY_INGEST_WORKER_POLL_INTERVAL_MS", "200")
        .args(["run", "--no-intake", "--listen", ""])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(db.work_dir().join("worker.log")).unwrap());
    let mut child = worker.spawn().unwrap();
    let mut state = String::new();
    for _ in 0..150 {
        state = sqlx::query_scalar("SELECT state::text FROM import_jobs WHERE id = $1::uuid")
            .bind(&job_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        if matches!(state.as_str(), "succeeded" | "failed" | "cancelled") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(db.work_dir().join("worker.log")).unwrap();
    assert_eq!(state, "succeeded", "{log}");
    assert!(status.success(), "worker exit {status:?}: {log}");
    assert!(!log.contains("prepared statement"), "{log}");

    let out = pooled(&db, &url, false, &["jobs", "list", "--format", "json"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains(&job_id), "{}", out.stdout);

    let left = prepared_statements_on_the_servers(&url).await;
    assert!(
        left.is_empty(),
        "named statements left on the server connections: {left:?}"
    );
}
