//! Importing a file: the pure plan (file → shifts + issues), the transactional write, revert.
//!
//! The contract between the queue runner and the sink is in this file:
//! the runner (or the foreground `import` command) builds an [`ImportRequest`], plans the file
//! (`plan::plan_bytes`, pure, in `spawn_blocking`), opens a transaction, stores the file's bytes
//! with [`files::save_file`] (so the import can be reprocessed later), and calls
//! [`write::write_import`]`(&mut tx, &request, planned)`, which records the `document_imports`
//! row, the shifts and the `import_history` rows and returns an [`ImportOutcome`]. The runner
//! marks its job complete in the same transaction and commits. A refused plan is an outcome
//! (`Failed`), not an error; `Err(WriteError)` means the database failed, and
//! [`write::WriteError::is_retryable`] says whether to retry. [`report::errors_txt`] renders
//! the `NAME.errors.txt` a store manager reads beside a file in `failed/`.
//!
//! Modules: [`write`] (the transaction), [`copy`] (binary `COPY` of shifts), [`revert`], [`run`] (plan + write for the CLI and
//! reprocess), [`files`] (stored file bytes), [`query`] (list/show), [`report`].

pub mod copy;
pub mod files;
pub mod plan;
pub mod query;
pub mod report;
pub mod revert;
pub mod run;
pub mod write;

use serde::Serialize;
use uuid::Uuid;

/// How the shifts of a file meet the shifts already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// The shifts of each store for the dates the file covers are replaced (default).
    #[default]
    Replace,
    /// The shifts are added beside what is there.
    Append,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Replace => "replace",
            ImportMode::Append => "append",
        }
    }
}

/// Where an import came from (`document_imports.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportSource {
    Inbox,
    Cli,
    Sql,
    Reprocess,
}

impl ImportSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportSource::Inbox => "inbox",
            ImportSource::Cli => "cli",
            ImportSource::Sql => "sql",
            ImportSource::Reprocess => "reprocess",
        }
    }
}

/// Everything the sink needs to know about one file besides its plan.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file's name as the store manager gave it (no directories).
    pub file_name: String,
    pub file_size: i64,
    /// Hex sha256 of the file's bytes (duplicate detection, stored-file key).
    pub sha256: String,
    pub source: ImportSource,
    pub mode: ImportMode,
    /// Import even when the same content was already imported successfully.
    pub force: bool,
    /// The template the caller asked for (`None`: auto-detect).
    pub template: Option<String>,
    /// Store number given by the caller, overriding the file's.
    pub store_number: Option<i32>,
    /// The queue job this import runs for, if any.
    pub job_id: Option<Uuid>,
    /// Who asked (`worker:<id>`, the OS user of the CLI, a database role).
    pub created_by: String,
}

/// The final state of one import (`document_imports.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// Every row imported.
    Succeeded,
    /// Imported, but some rows were rejected.
    Partial,
    /// Nothing imported: the file could not be read or was refused (see `error`).
    Failed,
    /// The same content was already imported successfully; nothing done.
    Duplicate,
}

impl ImportStatus {
    /// The value stored in `document_imports.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Succeeded => "succeeded",
            ImportStatus::Partial => "partial",
            ImportStatus::Failed => "failed",
            ImportStatus::Duplicate => "duplicate",
        }
    }
}

/// What an import did, for the job row, the CLI, metrics and the `failed/` report.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub import_id: Uuid,
    pub status: ImportStatus,
    pub template: Option<String>,
    pub rows_imported: i64,
    pub rows_rejected: i64,
    pub rows_replaced: i64,
    pub warnings: i64,
    /// Why nothing was imported, when `status` is `Failed` or `Duplicate` (one
    /// operator-readable line).
    pub error: Option<String>,
    /// Every row issue, with cell references.
    pub issues: Vec<crate::schedule::Issue>,
}
