//! Database access: settings, the [`Database`] handle (pool + the embedded cluster when one is
//! used), migrations ([`migrations`]), the embedded cluster ([`embedded`]) and the status
//! report ([`status`]).
//!
//! Every command that touches the database goes through [`connect`], which refuses a schema
//! newer than this binary knows. Behind a transaction-mode pooler ([`pooler`]) the pool makes
//! no named prepared statements, and LISTEN and migrations need `database.direct_url`.

pub mod embedded;
pub mod locks;
pub mod migrations;
pub mod pooler;
pub mod realtime;
pub mod retry;
pub mod status;
pub mod stores;

use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Name of the database created in the embedded cluster.
pub const EMBEDDED_DB_NAME: &str = "pharmacy_ingest";

/// `[database]` settings.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbSettings {
    /// PostgreSQL URL; `None` means the embedded cluster under the data folder.
    pub url: Option<String>,
    /// A direct (session) connection URL, for when `url` is a transaction pooler (Supabase's
    /// port 6543). Used for LISTEN and migrations.
    pub direct_url: Option<String>,
    /// What `url` points at: `transaction` (a transaction-mode pooler: no named prepared
    /// statements, no session state), `session` or `none`. Unset: guessed from the URL
    /// (port 6543, `pgbouncer=true`, a `*.pooler.supabase.com` host).
    pub pooler: Option<pooler::Pooler>,
    /// Most connections in the pool.
    pub max_connections: u32,
    /// Seconds to wait for a free connection (and for the server to answer).
    pub acquire_timeout_secs: u64,
}

impl Default for DbSettings {
    fn default() -> Self {
        DbSettings {
            url: None,
            direct_url: None,
            pooler: None,
            max_connections: 10,
            acquire_timeout_secs: 30,
        }
    }
}

impl std::fmt::Debug for DbSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSettings")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("direct_url", &self.direct_url.as_deref().map(redact_url))
            .field("pooler", &self.pooler)
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .finish()
    }
}

/// Why the database could not be reached or used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The embedded cluster could not be prepared or started.
    #[error(transparent)]
    Cluster(#[from] embedded::ClusterError),
    /// The URL is not a PostgreSQL URL sqlx understands.
    #[error("invalid database URL {url}: {source}")]
    BadUrl {
        /// The URL, password removed.
        url: String,
        /// Why it was refused.
        source: sqlx::Error,
    },
    /// The server did not accept a connection.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A query needed to prepare the database failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// The schema is newer than this binary, or could not be checked.
    #[error(transparent)]
    Schema(#[from] migrations::SchemaError),
    /// Session work (migrations, LISTEN) was asked of a transaction pooler.
    #[error(
        "database.url is a transaction pooler ({url}), which cannot run migrations or keep \
         session locks: set database.direct_url to the direct (or session pooler) connection"
    )]
    NeedsDirectUrl {
        /// The pooled URL, password removed.
        url: String,
    },
    /// A background task (starting or stopping the cluster) panicked.
    #[error("internal error while managing the embedded database: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Which server a [`Database`] talks to.
#[derive(Debug, Clone)]
pub enum Server {
    /// A server given by URL (`DATABASE_URL`, `database.url`).
    External,
    /// The embedded cluster.
    Embedded {
        /// `<data_dir>/postgres`.
        root: PathBuf,
        /// PGDATA (under `root`, or elsewhere when the database user cannot reach it).
        pgdata: PathBuf,
        /// Its loopback port.
        port: u16,
        /// Whether this process started it (and will stop it).
        started_here: bool,
    },
}

/// An open database: the pool, the URLs, and the embedded cluster when one is in use (stopped
/// when the handle is closed or dropped, if this process started it).
pub struct Database {
    pool: PgPool,
    url: String,
    direct_url: Option<String>,
    pooler: pooler::Pooler,
    server: Server,
    cluster: Option<embedded::Cluster>,
    /// The applied migration versions read when connecting.
    applied: Vec<i64>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &redact_url(&self.url))
            .field("pooler", &self.pooler)
            .field("server", &self.server)
            .finish()
    }
}

impl Database {
    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The URL in use (contains the password: print [`Database::display_url`] instead).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL in use with its password removed, for messages.
    pub fn display_url(&self) -> String {
        redact_url(&self.url)
    }

    /// The server in use.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The applied migration versions, as read when connecting.
    pub fn applied_at_connect(&self) -> &[i64] {
        &self.applied
    }

    /// What `database.url` points at (set, or guessed from the URL).
    pub fn pooler(&self) -> pooler::Pooler {
        self.pooler
    }

    /// The URL for session work (LISTEN, migrations): `database.direct_url` when set, else
    /// `database.url` unless that is a transaction pooler (then `None`).
    pub fn session_url(&self) -> Option<&str> {
        match (&self.direct_url, self.pooler) {
            (Some(direct), _) => Some(direct.as_str()),
            (None, pooler::Pooler::Transaction) => None,
            (None, _) => Some(self.url.as_str()),
        }
    }

    /// A dedicated session connection outside the pool, on `database.direct_url` when set:
    /// for LISTEN and for migrations (which need session-level advisory locks). Refused when
    /// the only URL is a transaction pooler.
    pub async fn connect_direct(&self) -> Result<PgConnection, DbError> {
        let url = self.session_url().ok_or_else(|| DbError::NeedsDirectUrl {
            url: redact_url(&self.url),
        })?;
        let opts = parse_url(url)?;
        opts.connect().await.map_err(|source| DbError::Connect {
            url: redact_url(url),
            source,
        })
    }

    /// Close the pool and stop the embedded cluster if this process started it.
    pub async fn close(mut self) -> Result<(), DbError> {
        self.pool.close().await;
        if let Some(mut cluster) = self.cluster.take() {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}

/// Open the database the configuration names: `database.url` when set, else the embedded
/// cluster under the data folder (started when not already running). Refuses a schema newer
/// than this binary knows.
pub async fn connect(settings: &DbSettings, data_dir: &Path) -> Result<Database, DbError> {
    let (url, server, cluster) = match &settings.url {
        Some(url) => (url.clone(), Server::External, None),
        None => {
            let data_dir = data_dir.to_path_buf();
            let cluster = tokio::task::spawn_blocking(move || {
                embedded::Cluster::start_or_reuse(&data_dir, &embedded::ClusterOptions::default())
            })
            .await??;
            let server = Server::Embedded {
                root: cluster.root().to_path_buf(),
                pgdata: cluster.data(),
                port: cluster.port(),
                started_here: cluster.started_here(),
            };
            ensure_database(&cluster.url("postgres"), EMBEDDED_DB_NAME).await?;
            (cluster.url(EMBEDDED_DB_NAME), server, Some(cluster))
        }
    };
    let pooler = settings.pooler.unwrap_or_else(|| pooler::detect(&url));
    let mut opts = parse_url(&url)?;
    if pooler == pooler::Pooler::Transaction {
        // No named prepared statements: with the cache off, sqlx (patched, see
        // vendor/sqlx-postgres/PATCHED.md) parses the unnamed statement with every execution.
        opts = opts.statement_cache_capacity(0);
    }
    let pool = pool_options(settings)
        .connect_with(opts)
        .await
        .map_err(|source| DbError::Connect {
            url: redact_url(&url),
            source,
        })?;
    let mut conn = pool.acquire().await?;
    let applied = migrations::ensure_not_newer(&mut conn).await?;
    drop(conn);
    Ok(Database {
        pool,
        url,
        direct_url: settings.direct_url.clone(),
        pooler,
        server,
        cluster,
        applied,
    })
}

/// A pooled connection idle at least this long is probed (an empty query) before it is handed
/// out. The pool hands out its connections in turn (first back, first out), so with jobs
/// arriving one by one every connection sits idle for the pool's size times their spacing:
/// at 1 s, an idle worker's ten connections were probed on half its jobs (one round trip each
/// on the way from the notification to the commit, jobs 0.15 s apart). A connection dropped
/// within 5 s of its last use is found by its next statement failing instead, which a job
/// takes as a transient failure and runs again.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// The pool's settings. sqlx pings every connection it takes back, to flush what a cancelled
/// call left (the vendored sqlx-postgres skips that round trip when nothing is left: see
/// `vendor/sqlx-postgres/PATCHED.md`) and, by default, again before handing it out: one more
/// round trip on every acquire, two on a queue job's way from its notification to its commit.
/// A connection back in the pool for less than [`PING_AFTER_IDLE`] was alive when it came
/// back, so only one idle longer (which the server, a pooler or a firewall may have dropped
/// meanwhile) is probed, with an empty query (a round trip whatever the connection's state);
/// a failed probe discards it and the acquire takes or opens another.
pub fn pool_options(settings: &DbSettings) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(settings.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs.max(1)))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    sqlx::raw_sql("").execute(&mut *conn).await?;
                }
                Ok(true)
            })
        })
}

/// One round trip: whether the server answers (`/healthz`).
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(pool)
        .await
        .map(|_| ())
}

/// Create database `name` on the server of `admin_url` unless it exists.
pub async fn ensure_database(admin_url: &str, name: &str) -> Result<(), DbError> {
    let mut conn = parse_url(admin_url)?
        .connect()
        .await
        .map_err(|source| DbError::Connect {
            url: redact_url(admin_url),
            source,
        })?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // Identifiers cannot be bound; quote_ident makes the name safe.
        let quoted: String = sqlx::query_scalar("SELECT quote_ident($1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
        match sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut conn)
            .await
        {
            Ok(_) => {}
            // created concurrently by another process
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("42P04") | Some("23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

fn parse_url(url: &str) -> Result<PgConnectOptions, DbError> {
    PgConnectOptions::from_str(&pooler::driver_url(url))
        .map(quiet_statement_logs)
        .map_err(|source| DbError::BadUrl {
            url: redact_url(url),
            source,
        })
}

/// sqlx logs every statement at DEBUG and slow ones at WARN with their SQL text. Statements go
/// to TRACE, and a statement slower than [`SLOW_STATEMENT`] is one INFO event (its first words
/// as `summary`, its time; the text log leaves the SQL out, the JSON log keeps it), so a WARN
/// line is always something for an operator, never a query.
fn quiet_statement_logs(opts: PgConnectOptions) -> PgConnectOptions {
    opts.log_statements(log::LevelFilter::Trace)
        .log_slow_statements(log::LevelFilter::Info, SLOW_STATEMENT)
}

/// A statement slower than this is logged (at INFO).
pub const SLOW_STATEMENT: Duration = Duration::from_secs(1);

/// A URL fit for messages: the password (in the user info or a `password=` parameter) is
/// replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| {
                if kv.to_ascii_lowercase().starts_with("password=") {
                    "password=***".to_string()
                } else {
                    kv.to_string()
                }
            })
            .collect();
        out = format!("{base}{}", query.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:s3cr%40t@db.example.com:5432/app"),
            "postgres://u:***@db.example.com:5432/app"
        );
        assert_eq!(
            redact_url("postgresql://u@h/db?sslmode=require&password=x"),
            "postgresql://u@h/db?sslmode=require&password=***"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(
            redact_url("postgres://u:p@w@h/db"),
            "postgres://u:***@h/db",
            "an unescaped @ in the password"
        );
    }

    #[test]
    fn debug_hides_urls() {
        let s = DbSettings {
            url: Some("postgres://u:topsecret@h/db".into()),
            ..Default::default()
        };
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}
