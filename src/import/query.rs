//! Reading the import record for operators: the list of imports and one import in detail
//! (its row, counts by action, and its issues with cell references).
//!
//! Issues have one JSON shape everywhere ([`IssueView`]: `severity`, `code`, `cell`,
//! `message`), whether they come from a fresh import's outcome or from the stored history; a
//! long list is cut at a limit and summarised per code ([`IssueSummary`]), so a 43,679-row
//! flood of one kind is one line, not 43,679.

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
    pub status: Option<super::StoredStatus>,
    /// Only imports that touched this store number.
    pub store_number: Option<i32>,
    /// Only failed imports that nothing fixed since: no later import of the same content, of
    /// a file of the same name, or reprocessing it, succeeded (partly) or found a duplicate.
    pub unresolved: bool,
    /// At most this many, newest first.
    pub limit: i64,
}

/// Imports, newest first.
pub async fn list_imports(db: &PgPool, f: &ListFilter) -> Result<Vec<ImportRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        select_row!(),
        " WHERE ($1::text IS NULL OR d.status = $1)
            AND ($2::int IS NULL OR $2 = ANY (d.store_numbers))
            AND (NOT $4 OR (d.status = 'failed' AND d.fixed_by IS NULL AND NOT EXISTS (
                SELECT 1 FROM document_imports later
                WHERE later.created_at > d.created_at
                  AND later.status IN ('succeeded', 'partial', 'duplicate')
                  AND (later.sha256 = d.sha256 OR later.file_name = d.file_name
                       OR later.reprocess_of = d.id
                       OR (d.job_id IS NOT NULL AND later.job_id = d.job_id)))))
          ORDER BY d.created_at DESC, d.id
          LIMIT $3"
    ))
    .bind(f.status.map(super::StoredStatus::as_str))
    .bind(f.store_number)
    .bind(f.limit)
    .bind(f.unresolved)
    .fetch_all(db)
    .await
}

/// One issue as operators and scripts see it, the same from `import` and `imports show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct IssueView {
    /// `error` (the row was rejected), `warning` (kept, worth a look), `notice` (an open shift,
    /// from a fresh import; history records it as a warning) or `note` (a skipped identical
    /// shift, a duplicate file).
    pub severity: String,
    /// Stable machine-readable code (`unreadable_time`, `unknown_store`, …).
    pub code: Option<String>,
    /// Where: `Sheet!D6`, `page 2, C7`.
    pub cell: Option<String>,
    pub message: Option<String>,
}

impl From<&crate::schedule::Issue> for IssueView {
    fn from(i: &crate::schedule::Issue) -> Self {
        IssueView {
            severity: i.severity.to_string(),
            code: Some(i.code.to_string()),
            cell: i.cell.as_ref().map(|c| c.to_string()),
            message: Some(i.message.to_string()),
        }
    }
}

/// Serialise an outcome's issues as [`IssueView`]s (`#[serde(serialize_with)]`).
pub fn serialize_issues<S: serde::Serializer>(
    issues: &[crate::schedule::Issue],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(issues.iter().map(IssueView::from))
}

/// How many issues of one kind, and the first of them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct IssueSummary {
    pub severity: String,
    pub code: Option<String>,
    pub count: i64,
    pub first_cell: Option<String>,
    pub first_message: Option<String>,
}

/// The severity of a history action that is an issue (a macro so queries stay `&'static str`).
macro_rules! issue_severity {
    () => {
        "CASE action WHEN 'rejected' THEN 'error' WHEN 'warning' THEN 'warning' ELSE 'note' END"
    };
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
    /// Rejected rows, warnings, skips and notes, errors first, in sheet order; at most the
    /// limit asked for.
    pub issues: Vec<IssueView>,
    /// How many issues there are in all (`issues` may hold fewer).
    pub issues_total: i64,
    /// Issues per severity and code, largest first.
    pub issue_summary: Vec<IssueSummary>,
    /// Imports that reprocessed this one.
    pub reprocessed_by: Vec<Uuid>,
}

/// One import with its counts and all its issues; `None` when there is no such import.
pub async fn show_import(db: &PgPool, id: Uuid) -> Result<Option<ImportDetail>, sqlx::Error> {
    show_import_limited(db, id, i64::MAX).await
}

/// One import with its counts and at most `limit` issues (all are summarised).
pub async fn show_import_limited(
    db: &PgPool,
    id: Uuid,
    limit: i64,
) -> Result<Option<ImportDetail>, sqlx::Error> {
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
    let issues = sqlx::query_as(concat!(
        "SELECT ",
        issue_severity!(),
        " AS severity, code, cell_ref AS cell, message FROM import_history
         WHERE import_id = $1 AND action IN ('rejected', 'warning', 'skipped', 'duplicate')
         ORDER BY attempt, (action <> 'rejected'), id
         LIMIT $2"
    ))
    .bind(id)
    .bind(limit.max(0))
    .fetch_all(db)
    .await?;
    let issue_summary: Vec<IssueSummary> = sqlx::query_as(concat!(
        "SELECT severity, code, count(*) AS count,
                (array_agg(cell_ref ORDER BY id))[1] AS first_cell,
                (array_agg(message ORDER BY id))[1] AS first_message
         FROM (SELECT ",
        issue_severity!(),
        " AS severity, code, cell_ref, message, id
               FROM import_history
               WHERE import_id = $1 AND action IN ('rejected', 'warning', 'skipped', 'duplicate')) i
         GROUP BY severity, code
         ORDER BY count(*) DESC, severity, code"
    ))
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
        issues_total: issue_summary.iter().map(|s| s.count).sum(),
        issue_summary,
        reprocessed_by,
    }))
}

/// What reprocessing needs of a stored import.
#[derive(Debug, Clone)]
pub struct StoredImport {
    pub file_name: String,
    pub file_size: i64,
    pub sha256: String,
    pub mode: super::ImportMode,
    pub status: super::StoredStatus,
    pub requested_template: Option<String>,
    pub requested_store_number: Option<i32>,
}

/// The stored import `id`, as reprocessing needs it.
pub async fn stored_import(db: &PgPool, id: Uuid) -> Result<Option<StoredImport>, sqlx::Error> {
    type Row = (
        String,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<i32>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT file_name, file_size, sha256, mode, status, requested_template,
                requested_store_number
         FROM document_imports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some((file_name, file_size, sha256, mode, status, template, store)) = row else {
        return Ok(None);
    };
    Ok(Some(StoredImport {
        file_name,
        file_size,
        sha256,
        mode: mode.try_into().map_err(super::decode_error)?,
        status: status.try_into().map_err(super::decode_error)?,
        requested_template: template,
        requested_store_number: store,
    }))
}

/// A held import's status and who approved it, if anyone.
pub async fn approval(
    db: &PgPool,
    id: Uuid,
) -> Result<Option<(super::StoredStatus, Option<String>)>, sqlx::Error> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, approved_by FROM document_imports WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(|(status, by)| Ok((status.try_into().map_err(super::decode_error)?, by)))
        .transpose()
}

/// Record who approved a held import.
pub async fn record_approval(db: &PgPool, id: Uuid, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE document_imports SET approved_by = $2 WHERE id = $1")
        .bind(id)
        .bind(by)
        .execute(db)
        .await?;
    Ok(())
}

/// Up to `limit` import ids between `lo` and `hi` (an id prefix typed by an operator).
pub async fn ids_between(
    db: &PgPool,
    lo: Uuid,
    hi: Uuid,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM document_imports WHERE id BETWEEN $1 AND $2 ORDER BY id LIMIT $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The newest import a job wrote, with its status.
pub async fn import_of_job(
    db: &PgPool,
    job_id: Uuid,
) -> Result<Option<(Uuid, super::StoredStatus)>, sqlx::Error> {
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT id, status FROM document_imports WHERE job_id = $1
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(job_id)
    .fetch_optional(db)
    .await?;
    row.map(|(id, status)| Ok((id, status.try_into().map_err(super::decode_error)?)))
        .transpose()
}
