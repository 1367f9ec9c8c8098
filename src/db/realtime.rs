//! Supabase Realtime: live updates of schedules, imports and jobs.
//!
//! Realtime streams the changes of the tables in the `supabase_realtime` publication to
//! subscribed clients (it does not relay NOTIFY). `enable` adds [`TABLES`] to it and `disable`
//! removes them; Realtime checks each change against the table's RLS policies with the
//! subscriber's JWT, so an employee still only hears of their own shifts. Plain PostgreSQL has
//! no such publication: both report that and change nothing.

use sqlx::PgConnection;

/// Supabase's publication for Realtime's `postgres_changes`.
pub const PUBLICATION: &str = "supabase_realtime";

/// The tables whose changes are published.
pub const TABLES: [&str; 3] = ["store_schedules", "document_imports", "import_jobs"];

/// Which of [`TABLES`] are published, or `None` when the publication does not exist.
pub async fn published(conn: &mut PgConnection) -> Result<Option<Vec<String>>, sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)")
            .bind(PUBLICATION)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(None);
    }
    let tables = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_publication_tables
         WHERE pubname = $1 AND schemaname = 'public' AND tablename = ANY($2)
         ORDER BY tablename",
    )
    .bind(PUBLICATION)
    .bind(&TABLES[..])
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(tables))
}

/// Add (`on`) or remove the tables not yet in that state. Returns the tables changed, or
/// `None` when the publication does not exist.
pub async fn set(conn: &mut PgConnection, on: bool) -> Result<Option<Vec<String>>, sqlx::Error> {
    let Some(current) = published(&mut *conn).await? else {
        return Ok(None);
    };
    let changed: Vec<String> = TABLES
        .iter()
        .filter(|t| current.iter().any(|c| c == *t) != on)
        .map(|t| t.to_string())
        .collect();
    if changed.is_empty() {
        return Ok(Some(changed));
    }
    let list: Vec<String> = changed.iter().map(|t| format!("public.{t}")).collect();
    // Table names come from TABLES (constants), never from input.
    let sql = format!(
        "ALTER PUBLICATION {PUBLICATION} {} TABLE {}",
        if on { "ADD" } else { "DROP" },
        list.join(", ")
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(Some(changed))
}
