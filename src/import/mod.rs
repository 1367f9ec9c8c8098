//! Importing a planned file: the transactional write, revert, reprocess, reports.
//!
//! The contract between the callers and the sink is in this file and [`job`] (the import job
//! service both the worker and the foreground commands use): the caller builds an
//! [`ImportRequest`] and plans the file ([`crate::pipeline::plan::plan_bytes`], pure, in
//! `spawn_blocking` unless the file is small: [`job::plan_file`]); [`job::commit`] opens a
//! transaction, stores the file's bytes and locks their content ([`files::save_and_lock`], so
//! the import can be reprocessed later and one content is imported once), and calls
//! [`write::write_import_with_progress`], which records the `document_imports` row, the shifts
//! and the audit rows and returns an [`ImportOutcome`]. The worker completes its job in the
//! same transaction and commits. A refused plan is an outcome (`Failed`), not an error;
//! `Err(WriteError)` means the database failed, and [`write::WriteError::is_retryable`] says
//! whether to retry. [`feedback::sidecars`] makes what a store manager finds beside the file:
//! the receipt, [`report::errors_txt`] and the error workbook ([`workbook`]).
//!
//! Modules: [`job`] (plan on the blocking pool + one transaction, with the caller's hooks),
//! [`batch`] (several small imports in one transaction, the worker's group commit),
//! [`deferred`] (the shifts and ends of a batch's imports, written together),
//! [`write`] (the transaction's writes), [`copy`] (binary `COPY` of shifts), [`replace`] (what
//! a replace removes; risky replaces warned about or held), [`revert`], [`run`] (plan + write
//! for the CLI, reprocess and approve), [`files`] (stored file bytes), [`query`] (list/show),
//! [`feedback`], [`report`], [`hints`] (typo "did you mean"), [`workbook`].

pub mod batch;
mod contacts;
pub mod copy;
pub mod deferred;
pub mod feedback;
pub mod filed;
pub mod files;
pub mod hints;
pub mod job;
pub mod query;
pub mod replace;
pub mod report;
pub mod revert;
pub mod run;
pub mod workbook;
pub mod write;

use serde::Serialize;
use uuid::Uuid;

pub use crate::schedule::{ImportMode, ImportSource};

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
    /// Hold a `replace` that would leave a staffed day with nobody or drop an employee from
    /// the dates it covers: record it as `held` (nothing written) until an operator approves
    /// it (`imports approve`). `worker.hold_risky_replaces`.
    pub hold_risky_replace: bool,
    /// The store of the per-store inbox (`inbox/<store>/`) the file was dropped in: a file
    /// that names another store is refused.
    pub inbox_store: Option<i32>,
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
    /// A risky replace waits for an operator's approval (`imports approve ID`); nothing was
    /// written to the schedule yet, the file is kept.
    Held,
}

impl ImportStatus {
    /// The value stored in `document_imports.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Succeeded => "succeeded",
            ImportStatus::Partial => "partial",
            ImportStatus::Failed => "failed",
            ImportStatus::Duplicate => "duplicate",
            ImportStatus::Held => "held",
        }
    }

    /// Whether the import wrote shifts (and so can be reverted).
    pub fn wrote_shifts(self) -> bool {
        matches!(self, ImportStatus::Succeeded | ImportStatus::Partial)
    }
}

impl TryFrom<String> for ImportStatus {
    type Error = crate::schedule::UnknownValue;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        use ImportStatus::*;
        [Succeeded, Partial, Failed, Duplicate, Held]
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(crate::schedule::UnknownValue {
                what: "import status",
                value: s,
            })
    }
}

/// `document_imports.status` as stored: the import's outcome, or what became of it since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredStatus {
    /// The outcome the import ended with.
    Outcome(ImportStatus),
    /// The import's row exists but its transaction has not committed (never seen by others).
    Processing,
    /// An operator reverted it.
    Reverted,
}

impl StoredStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            StoredStatus::Outcome(s) => s.as_str(),
            StoredStatus::Processing => "processing",
            StoredStatus::Reverted => "reverted",
        }
    }

    /// Whether the import's shifts are in the schedule (and so can be reverted).
    pub fn wrote_shifts(self) -> bool {
        matches!(self, StoredStatus::Outcome(s) if s.wrote_shifts())
    }
}

impl TryFrom<String> for StoredStatus {
    type Error = crate::schedule::UnknownValue;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "processing" => Ok(StoredStatus::Processing),
            "reverted" => Ok(StoredStatus::Reverted),
            _ => ImportStatus::try_from(s).map(StoredStatus::Outcome),
        }
    }
}

/// A stored value this binary does not read, as a database decoding error.
pub fn decode_error(e: crate::schedule::UnknownValue) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
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
    /// Every row issue, with cell references (serialised in the one shape of
    /// [`query::IssueView`]).
    #[serde(serialize_with = "query::serialize_issues")]
    pub issues: Vec<crate::schedule::Issue>,
    /// The stores the file's shifts are for.
    pub store_numbers: Vec<i32>,
    /// The first and last date of the file's shifts.
    pub date_from: Option<chrono::NaiveDate>,
    pub date_to: Option<chrono::NaiveDate>,
    /// `append`: shifts already stored, so not inserted again.
    pub rows_skipped: i64,
    /// A duplicate: the earlier import of the same content and when it was made.
    pub duplicate_of: Option<(Uuid, chrono::DateTime<chrono::Utc>)>,
    /// What a `replace` removed and whom it left out (empty for `append`).
    pub replaced: replace::ReplaceEffects,
}
