//! What `db status` reports: schema version, pending migrations, and every table of the
//! `public` schema with its row count. Counts only, never row contents.

use super::migrations::{self, SchemaError};
use sqlx::PgConnection;

/// One table and its row count.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCount {
    /// Table name (schema `public`).
    pub name: String,
    /// Exact row count (as seen by the connecting role).
    pub rows: i64,
}

/// The schema's state.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchemaStatus {
    /// Highest applied migration (0: never migrated).
    pub version: i64,
    /// Highest migration this binary knows.
    pub latest_known: i64,
    /// Known migrations not applied yet.
    pub pending: Vec<i64>,
    /// Tables of `public`, by name, sqlx's bookkeeping table excluded.
    pub tables: Vec<TableCount>,
}

/// Read the schema's state.
pub async fn schema_status(conn: &mut PgConnection) -> Result<SchemaStatus, SchemaError> {
    let version = migrations::current_version(&mut *conn).await?;
    let pending = migrations::pending(&mut *conn).await?;
    let names: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, format('public.%I', c.relname)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_sqlx_migrations'
         ORDER BY c.relname",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = Vec::with_capacity(names.len());
    for (name, quoted) in names {
        // The identifier comes from the catalog, quoted by format('%I').
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {quoted}"
        )))
        .fetch_one(&mut *conn)
        .await?;
        tables.push(TableCount { name, rows });
    }
    Ok(SchemaStatus {
        version,
        latest_known: migrations::latest_known(),
        pending,
        tables,
    })
}
