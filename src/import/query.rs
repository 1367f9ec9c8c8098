//! Reading the import record for operators: the list of imports and one import in detail
//! (its row, counts by action, and its issues with cell references).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// One `document_imports` row as operators see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportRow {
    pub id: Uuid,
    pub file_name: String,
    pub file_size: Option<i64>,
    pub sha256: String,
    pub format: Option<String>,
    pub source: String,
    pub template: Option<String>,
    pub mode: String,
    pub status: String,
    pub rows_total: Option<i32>,
    pub rows_imported: Option<i32>,
    pub rows_rejected: Option<i32>,
    pub rows_replaced: Option<i32>,
    pub warnings: Option<i32>,
    pub error: Option<String>,
    pub store_numbers: Option<Vec<i32>>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub job_id: Option<Uuid>,
    pub created_by: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub reverted_at: Option<DateTime<Utc>>,
    pub reverted_by: Option<String>,
    pub reprocess_of: Option<Uuid>,
    /// Whether the file's bytes are kept (so the import can be reprocessed).
    pub file_kept: bool,
}

/// The select list of [`ImportRow`] (a macro so queries stay `&'static str`).
macro_rules! select_row {
    () => {
        "SELECT d.id, d.file_name, d.file_size, d.sha256, d.format, d.source,
        d.template, d.mode, d.status, d.rows_total, d.rows_imported, d.rows_rejected,
        d.rows_replaced, d.warnings, d.error, d.store_numbers, d.date_from, d.date_to, d.job_id,
        d.created_by, d.created_at, d.finished_at, d.reverted_at, d.reverted_by, d.reprocess_of,
        EXISTS (SELECT 1 FROM import_files f WHERE f.sha256 = d.sha256) AS file_kept
    FROM document_imports d"
    };
}

/// Which imports to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status (`succeeded`, `partial`, `failed`, `duplicate`, `reverted`, …).
    pub status: Option<String>,
    /// Only imports that touched this store number.
    pub store_number: Option<i32>,
    /// At most this many, newest first.
    pub limit: i64,
}

/// Imports, newest first.
pub async fn list_imports(db: &PgPool, f: &ListFilter) -> Result<Vec<ImportRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        select_row!(),
        " WHERE ($1::text IS NULL OR d.status = $1)
            AND ($2::int IS NULL OR $2 = ANY (d.store_numbers))
          ORDER BY d.created_at DESC, d.id
          LIMIT $3"
    ))
    .bind(&f.status)
    .bind(f.store_number)
    .bind(f.limit)
    .fetch_all(db)
    .await
}

/// One history entry that is not a per-shift record: an issue, a refusal, a duplicate note.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HistoryIssue {
    pub attempt: i32,
    pub action: String,
    pub code: Option<String>,
    pub cell_ref: Option<String>,
    pub message: Option<String>,
}

/// How many history rows of one action.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ActionCount {
    pub action: String,
    pub count: i64,
}

/// One import in detail.
#[derive(Debug, Clone, Serialize)]
pub struct ImportDetail {
    #[serde(flatten)]
    pub import: ImportRow,
    /// Rows by action: shifts `inserted` (from `import_store_dates`), and history rows
    /// (`replaced`, `rejected`, …).
    pub actions: Vec<ActionCount>,
    /// Rejected rows, warnings, skips and notes, in sheet order.
    pub issues: Vec<HistoryIssue>,
    /// Imports that reprocessed this one.
    pub reprocessed_by: Vec<Uuid>,
}

/// One import with its counts and issues; `None` when there is no such import.
pub async fn show_import(db: &PgPool, id: Uuid) -> Result<Option<ImportDetail>, sqlx::Error> {
    let Some(import) = sqlx::query_as::<_, ImportRow>(concat!(select_row!(), " WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
    else {
        return Ok(None);
    };
    let actions = sqlx::query_as(
        "SELECT action, count FROM (
             SELECT action, count(*) AS count FROM import_history
             WHERE import_id = $1 AND action <> 'inserted' GROUP BY action
             UNION ALL
             SELECT 'inserted', sum(inserted)::bigint FROM import_store_dates
             WHERE import_id = $1 HAVING sum(inserted) > 0
         ) AS a ORDER BY action",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let issues = sqlx::query_as(
        "SELECT attempt, action, code, cell_ref, message FROM import_history
         WHERE import_id = $1 AND action IN ('rejected', 'warning', 'skipped', 'duplicate')
         ORDER BY attempt, (action <> 'rejected'), id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let reprocessed_by = sqlx::query_scalar(
        "SELECT id FROM document_imports WHERE reprocess_of = $1 ORDER BY created_at",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(Some(ImportDetail {
        import,
        actions,
        issues,
        reprocessed_by,
    }))
}
