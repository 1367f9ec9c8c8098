//! The schema's migrations (`migrations/NNNN_name.{up,down}.sql`, embedded at build time) and
//! the checks around them: apply, revert, the schema version, and refusing a schema newer than
//! this binary knows.
//!
//! Numbering: 0001–0099 are the foundation (tables, roles, RLS, audit); later capabilities
//! add their own from 0100 up. A released migration is never edited (sqlx checks checksums).

use sqlx::PgConnection;
use sqlx::migrate::{MigrateError, Migrator};

/// All migrations this binary knows.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// sqlx's bookkeeping table.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Why the schema could not be checked or changed.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The database has migrations applied that this binary does not know: it was migrated by
    /// a newer pharmacy-ingest.
    #[error(
        "the database schema is at version {db}, newer than this program knows (up to {known}); \
         upgrade pharmacy-ingest instead of running an older one against it"
    )]
    TooNew {
        /// Highest version applied in the database.
        db: i64,
        /// Highest version this binary knows.
        known: i64,
    },
    /// A migration failed or the applied migrations do not match this binary's.
    #[error("migration failed: {0}")]
    Migrate(#[from] MigrateError),
    /// A query about the schema failed.
    #[error("cannot read the schema version: {0}")]
    Query(#[from] sqlx::Error),
    /// An external database has migrations pending; the operator applies them with an owner
    /// role (the embedded default is migrated on the spot).
    #[error(
        "the database schema is behind this program ({0} migrations pending): run `pharmacy-ingest migrate` first"
    )]
    Behind(usize),
}

/// The highest migration version this binary knows.
pub fn latest_known() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Applied migration versions, ascending (empty when the database was never migrated).
pub async fn applied_versions(conn: &mut PgConnection) -> Result<Vec<i64>, SchemaError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(MIGRATIONS_TABLE)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// The schema version: the highest applied migration, 0 for an unmigrated database.
pub async fn current_version(conn: &mut PgConnection) -> Result<i64, SchemaError> {
    Ok(applied_versions(&mut *conn)
        .await?
        .last()
        .copied()
        .unwrap_or(0))
}

/// Refuse a database migrated by a newer binary.
/// Returns the applied versions it read.
pub async fn ensure_not_newer(conn: &mut PgConnection) -> Result<Vec<i64>, SchemaError> {
    let known = latest_known();
    let applied = applied_versions(&mut *conn).await?;
    if applied.iter().any(|v| !MIGRATOR.version_exists(*v)) {
        let db = applied.last().copied().unwrap_or_default();
        return Err(SchemaError::TooNew { db, known });
    }
    Ok(applied)
}

/// Migrations this binary knows that the database has not applied yet.
pub async fn pending(conn: &mut PgConnection) -> Result<Vec<i64>, SchemaError> {
    Ok(pending_among(&applied_versions(&mut *conn).await?))
}

/// Migrations this binary knows that are not among `applied`.
fn pending_among(applied: &[i64]) -> Vec<i64> {
    let mut versions: Vec<i64> = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect();
    versions.dedup();
    versions
}

/// Take [`super::locks::MIGRATE`] on `conn` (session level: held until [`unlock`]).
async fn lock(conn: &mut PgConnection) -> Result<(), SchemaError> {
    super::locks::session_lock(conn, super::locks::MIGRATE).await?;
    Ok(())
}

/// Release [`super::locks::MIGRATE`], keeping the first error of `result`.
async fn unlock<T>(
    conn: &mut PgConnection,
    result: Result<T, SchemaError>,
) -> Result<T, SchemaError> {
    let unlocked = super::locks::session_unlock(conn, super::locks::MIGRATE).await;
    let value = result?;
    unlocked?;
    Ok(value)
}

/// Apply pending migrations, up to `target` when given. Returns the versions applied by this
/// call (a concurrent run that applied them first leaves this one an empty list).
pub async fn up(conn: &mut PgConnection, target: Option<i64>) -> Result<Vec<i64>, SchemaError> {
    lock(&mut *conn).await?;
    let result = up_locked(&mut *conn, target).await;
    unlock(conn, result).await
}

async fn up_locked(conn: &mut PgConnection, target: Option<i64>) -> Result<Vec<i64>, SchemaError> {
    ensure_not_newer(&mut *conn).await?;
    let before = applied_versions(&mut *conn).await?;
    match target {
        Some(t) => MIGRATOR.run_to(t, &mut *conn).await?,
        None => MIGRATOR.run(&mut *conn).await?,
    }
    let after = applied_versions(&mut *conn).await?;
    tighten_grants(&mut *conn).await?;
    Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
}

/// Cut the API roles' table privileges to what their policies use (migration 0200's
/// `pharmacy_ingest_tighten_grants()`), so tables added by any migration lose what the
/// platform's default privileges gave them (Supabase grants ALL, TRUNCATE included).
/// Nothing happens on a schema older than 0200.
async fn tighten_grants(conn: &mut PgConnection) -> Result<(), SchemaError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT to_regprocedure('public.pharmacy_ingest_tighten_grants()') IS NOT NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    if exists {
        sqlx::query("SELECT public.pharmacy_ingest_tighten_grants()")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Revert applied migrations newer than `target` (0 = all). Reverting to 0 also drops
/// sqlx's bookkeeping table, so the database is left as empty as it was found.
/// Returns the versions reverted, newest first.
pub async fn down(conn: &mut PgConnection, target: i64) -> Result<Vec<i64>, SchemaError> {
    lock(&mut *conn).await?;
    let result = down_locked(&mut *conn, target).await;
    unlock(conn, result).await
}

async fn down_locked(conn: &mut PgConnection, target: i64) -> Result<Vec<i64>, SchemaError> {
    ensure_not_newer(&mut *conn).await?;
    let before = applied_versions(&mut *conn).await?;
    MIGRATOR.undo(&mut *conn, target).await?;
    let after = applied_versions(&mut *conn).await?;
    if target <= 0 && after.is_empty() {
        sqlx::query("DROP TABLE IF EXISTS _sqlx_migrations")
            .execute(&mut *conn)
            .await?;
    }
    Ok(before
        .into_iter()
        .rev()
        .filter(|v| !after.contains(v))
        .collect())
}

/// Make the schema current for a command that needs it: on the embedded default apply pending
/// migrations on the spot (a newcomer's first command just works); on an external database
/// refuse to run on an old schema, since migrating is the operator's decision and needs an
/// owner role. Returns the versions applied.
///
/// The versions [`super::connect`] read decide when nothing is pending (the usual case: no
/// second read); otherwise they are read again, since another process may have migrated.
pub async fn prepare(db: &super::Database) -> Result<Vec<i64>, super::DbError> {
    if pending_among(db.applied_at_connect()).is_empty() {
        return Ok(Vec::new());
    }
    // the check reads one table: the pool will do, also through a transaction pooler
    let pending = pending(&mut *db.pool().acquire().await?).await?;
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    match db.server() {
        super::Server::Embedded { .. } => {
            let mut conn = db.connect_direct().await?;
            let applied = up(&mut conn, None).await?;
            tracing::info!(
                applied = applied.len(),
                "migrations applied to the embedded database"
            );
            Ok(applied)
        }
        super::Server::External => Err(SchemaError::Behind(pending.len()).into()),
    }
}
