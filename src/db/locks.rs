//! Every advisory lock the program takes, with its key, in one place: a write and a revert
//! must compute the same key for a store, or their mutual exclusion silently breaks.
//!
//! Keys are text hashed by `hashtextextended(key, 0)` on the server. Transaction-scoped locks
//! ([`xact_lock`]) work through a transaction pooler; the session-level migrate lock needs a
//! direct connection (`database.direct_url`).

use sqlx::PgConnection;
use uuid::Uuid;

/// Prefix of a store's key (`pharmacy-ingest:store:<store uuid>`): taken by every import
/// writing shifts of the store and by every revert of an import that touched it, in store-id
/// order.
pub const STORE_PREFIX: &str = "pharmacy-ingest:store:";

/// Serialises template syncs: workers started together on a fresh database would otherwise
/// race to insert the same template names.
pub const TEMPLATE_SYNC: &str = "pharmacy-ingest:template-sync";

/// Held (session level) while migrations are applied or reverted, so concurrent `migrate`
/// runs take turns and each reports only what it applied itself.
pub const MIGRATE: &str = "pharmacy-ingest:migrate";

/// The key of one store's lock.
pub fn store(id: Uuid) -> String {
    format!("{STORE_PREFIX}{id}")
}

/// The key of a file content's lock (its sha256): every write of that content takes it first,
/// so the same file imported twice at once ends as one import and one duplicate.
pub fn content(sha256: &str) -> String {
    format!("pharmacy-ingest:file:{sha256}")
}

/// Take the transaction-scoped lock `key` (re-entrant within one transaction; released at
/// commit or rollback).
pub async fn xact_lock(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Take the session-level lock `key` (held until [`session_unlock`] or the connection ends).
pub async fn session_lock(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Release a lock taken with [`session_lock`].
pub async fn session_unlock(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
