//! Where the worker filed an import's file, and which filed imports a later import fixed: the
//! `filed_path`, `fixed_by` and `fixed_at` columns of `document_imports` (migration 0450).
//! The file moves themselves are the intake's ([`crate::intake::fixed`]).

use sqlx::PgPool;
use std::path::Path;
use uuid::Uuid;

/// Remember where the worker left an import's file.
pub async fn record_filed(pool: &PgPool, import_id: Uuid, path: &Path) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE document_imports SET filed_path = $2 WHERE id = $1")
        .bind(import_id)
        .bind(path.to_string_lossy().as_ref())
        .execute(pool)
        .await?;
    Ok(())
}

/// A file in `failed/` or `needs-attention/` whose import a later one fixed.
#[derive(Debug, Clone)]
pub struct FixedImport {
    /// The import whose file is filed.
    pub old: Uuid,
    /// Where its file is.
    pub path: String,
    /// The import that fixed it.
    pub by: Uuid,
    /// The fixing import is its reprocess or approval (`reprocess_of`).
    pub by_reprocess: bool,
    /// The fixing import ran for the same job (a retry).
    pub by_retry: bool,
    /// The filed import was held (so its fix was an approval).
    pub was_held: bool,
}

/// The folders of one watched tree, as text: its root, `failed/` and `needs-attention/`.
pub struct FiledFolders {
    pub roots: Vec<String>,
    pub failed: Vec<String>,
    pub attention: Vec<String>,
}

/// Filed, unfixed imports under `folders` that a later, not reverted import fixed: its
/// reprocess or approval, a retry of its job, or a same-named inbox file under the same root.
pub async fn fixed_imports(
    pool: &PgPool,
    folders: &FiledFolders,
) -> Result<Vec<FixedImport>, sqlx::Error> {
    type Row = (Uuid, String, Uuid, bool, bool, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.id, o.filed_path, f.id, f.reprocess_of IS NOT DISTINCT FROM o.id,
                f.job_id IS NOT DISTINCT FROM o.job_id, o.status = 'held'
         FROM document_imports o
         JOIN UNNEST($1::text[], $2::text[], $3::text[]) AS r(root, failed, attention)
           ON starts_with(o.filed_path, r.failed || '/')
           OR starts_with(o.filed_path, r.attention || '/')
         CROSS JOIN LATERAL (
             SELECT f.id, f.reprocess_of, f.job_id FROM document_imports f
             WHERE f.id <> o.id AND f.created_at > o.created_at AND f.reverted_at IS NULL
               AND (f.status = 'succeeded'
                    OR (f.status = 'partial' AND o.status IN ('failed', 'held')))
               AND (f.reprocess_of = o.id
                    OR (o.job_id IS NOT NULL AND f.job_id = o.job_id)
                    OR (f.source = 'inbox' AND o.source = 'inbox' AND f.file_name = o.file_name
                        AND starts_with(f.filed_path, r.root || '/')))
             ORDER BY f.created_at LIMIT 1
         ) f
         WHERE o.filed_path IS NOT NULL AND o.fixed_by IS NULL
           AND o.status IN ('failed', 'partial', 'held', 'reverted')",
    )
    .bind(&folders.roots)
    .bind(&folders.failed)
    .bind(&folders.attention)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(old, path, by, by_reprocess, by_retry, was_held)| FixedImport {
                old,
                path,
                by,
                by_reprocess,
                by_retry,
                was_held,
            },
        )
        .collect())
}

/// Claim a fixed import for its move (so two workers never both move it); `false`: another
/// worker has it.
pub async fn claim_fixed(pool: &PgPool, old: Uuid, by: Uuid) -> Result<bool, sqlx::Error> {
    let res = sqlx::query(
        "UPDATE document_imports SET fixed_by = $2, fixed_at = now()
         WHERE id = $1 AND fixed_by IS NULL",
    )
    .bind(old)
    .bind(by)
    .execute(pool)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Give a claim back when the move failed, so the next rescan tries again.
pub async fn release_fixed(pool: &PgPool, old: Uuid, by: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE document_imports SET fixed_by = NULL, fixed_at = NULL
         WHERE id = $1 AND fixed_by = $2",
    )
    .bind(old)
    .bind(by)
    .execute(pool)
    .await?;
    Ok(())
}
