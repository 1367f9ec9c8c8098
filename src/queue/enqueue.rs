//! New jobs. Every enqueue goes through the `enqueue_import` SQL function, the same one
//! upstream services call, so the checks (path under a configured root, mode, one file) and the
//! wake-up NOTIFY are the same for everyone. It runs in the caller's transaction when given one.

use super::QueueError;
use crate::schedule::{ImportMode, ImportSource};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where the job's file is.
#[derive(Debug, Clone)]
pub enum JobFile {
    /// The file's content travels in the job row.
    Bytes(Vec<u8>),
    /// An absolute path under a configured root (read by the worker when the job runs).
    Path(String),
    /// The content travels in the row; the path says where the file sits (an inbox file's
    /// `processing/` copy, moved on when the job ends).
    BytesAt(Vec<u8>, String),
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The file's name as given (no folders).
    pub file_name: String,
    pub file: JobFile,
    pub template: Option<String>,
    pub store_number: Option<i32>,
    pub mode: ImportMode,
    pub force: bool,
    /// Higher runs first.
    pub priority: i32,
    /// Not before this time (`None`: now).
    pub run_at: Option<DateTime<Utc>>,
    pub source: ImportSource,
}

impl NewJob {
    /// A job with defaults for everything but the file.
    pub fn new(file_name: impl Into<String>, file: JobFile, source: ImportSource) -> Self {
        NewJob {
            file_name: file_name.into(),
            file,
            template: None,
            store_number: None,
            mode: ImportMode::Replace,
            force: false,
            priority: 0,
            run_at: None,
            source,
        }
    }
}

/// Bytes from which a job's file is sent on a connection of its own, closed afterwards.
const OWN_CONNECTION_BYTES: usize = 1 << 20;

/// [`enqueue`] on a pool for a long-running process (the intake): a file of a MiB or more is
/// sent on a connection that is closed afterwards, since a statement's parameters are assembled
/// whole in the connection's send buffer, which would keep the file's size for the
/// connection's life.
pub async fn enqueue_from_pool(pool: &sqlx::PgPool, job: &NewJob) -> Result<Uuid, QueueError> {
    let large = match &job.file {
        JobFile::Bytes(b) | JobFile::BytesAt(b, _) => b.len() >= OWN_CONNECTION_BYTES,
        JobFile::Path(_) => false,
    };
    if !large {
        return enqueue(pool, job).await;
    }
    let mut conn = pool.acquire().await?;
    let queued = enqueue(&mut *conn, job).await;
    // Best effort: a connection that fails to close is dropped all the same.
    let _ = conn.close().await;
    queued
}

/// Queue `job`; returns its id. `exec` may be a pool, a connection or an open transaction (the
/// job then exists only if that transaction commits).
pub async fn enqueue<'e, E>(exec: E, job: &NewJob) -> Result<Uuid, QueueError>
where
    E: sqlx::PgExecutor<'e>,
{
    let (bytes, path) = match &job.file {
        JobFile::Bytes(b) => (Some(b.as_slice()), None),
        JobFile::Path(p) => (None, Some(p.as_str())),
        JobFile::BytesAt(b, p) => (Some(b.as_slice()), Some(p.as_str())),
    };
    let res = sqlx::query_scalar::<_, Uuid>(
        "SELECT public.enqueue_import(file_name => $1, file_bytes => $2, file_path => $3, \
         template => $4, store_number => $5, mode => $6, force => $7, priority => $8, \
         run_at => $9, source => $10)",
    )
    .bind(&job.file_name)
    .bind(bytes)
    .bind(path)
    .bind(&job.template)
    .bind(job.store_number)
    .bind(job.mode.as_str())
    .bind(job.force)
    .bind(job.priority)
    .bind(job.run_at)
    .bind(job.source.as_str())
    .fetch_one(exec)
    .await;
    match res {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => Err(
            QueueError::AlreadyQueued(path.unwrap_or(&job.file_name).to_string()),
        ),
        Err(sqlx::Error::Database(db))
            if matches!(
                db.code().as_deref(),
                Some("22023") | Some("42501") | Some("54000")
            ) =>
        {
            Err(QueueError::Refused(db.message().to_string()))
        }
        Err(e) => Err(e.into()),
    }
}
