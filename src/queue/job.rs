//! One row of `import_jobs` and the states a job goes through.
//!
//! ```text
//! available ──claim──> running ──complete──> succeeded | failed
//!     ^                  │  │
//!     │                  │  └─transient error / lease expired──> retryable ──(run_at)──> claim
//!     └──release─────────┘          (after max_attempts: failed)
//! any unfinished state ──cancel──> cancelled;   failed | cancelled ──retry──> available
//! ```
//!
//! A finished job also has an [`Outcome`] (`imported`, `partial`, `duplicate`, `failed`,
//! `cancelled`) with the import's counts, set by a trigger (migration 0300) whenever the state
//! becomes finished, which also sends `NOTIFY pharmacy_ingest_job_done` (see
//! [`super::JOB_DONE_CHANNEL`]).

use crate::schedule::{ImportMode, ImportSource};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use uuid::Uuid;

/// Where a job is in its life (`import_jobs.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting to be claimed.
    Available,
    /// Claimed by a worker holding a lease.
    Running,
    /// Failed for a transient reason; claimed again once `run_at` has passed.
    Retryable,
    /// Done: the import ran (its own status may still be failed rows or a duplicate).
    Succeeded,
    /// Done: the file was refused, or transient failures used up every attempt.
    Failed,
    /// Stopped by an operator.
    Cancelled,
}

impl JobState {
    /// Every state, in life order (for metrics and listings).
    pub const ALL: [JobState; 6] = [
        JobState::Available,
        JobState::Running,
        JobState::Retryable,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Available => "available",
            JobState::Running => "running",
            JobState::Retryable => "retryable",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Whether the job will not run again unless an operator retries it.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Failed | JobState::Cancelled
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobState {
    type Err = super::QueueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| super::QueueError::BadRow {
                column: "state",
                value: s.to_string(),
            })
    }
}

impl TryFrom<String> for JobState {
    type Error = super::QueueError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// How a finished job ended (`import_jobs.outcome`), as upstream services see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every row imported.
    Imported,
    /// Imported, but some rows were rejected.
    Partial,
    /// The same content had already been imported; nothing changed.
    Duplicate,
    /// A risky replace waits for an operator's approval (`imports approve`); nothing changed
    /// yet.
    Held,
    /// Nothing imported: the file was refused or every attempt failed.
    Failed,
    /// Stopped by an operator or a service before it finished.
    Cancelled,
}

impl Outcome {
    /// Every outcome, in the order listings use.
    pub const ALL: [Outcome; 6] = [
        Outcome::Imported,
        Outcome::Partial,
        Outcome::Duplicate,
        Outcome::Held,
        Outcome::Failed,
        Outcome::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Imported => "imported",
            Outcome::Partial => "partial",
            Outcome::Duplicate => "duplicate",
            Outcome::Held => "held",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Outcome {
    type Err = super::QueueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| super::QueueError::BadRow {
                column: "outcome",
                value: s.to_string(),
            })
    }
}

/// Read from the `text` column (so `Option<Outcome>` reads a nullable one).
impl sqlx::Type<sqlx::Postgres> for Outcome {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <String as sqlx::Type<sqlx::Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Outcome {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
        Ok(text.parse()?)
    }
}

/// What a running attempt is doing (`import_jobs.stage`), as its worker publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    /// Claimed; the work has not started.
    #[default]
    Claimed,
    /// Reading the file.
    Reading,
    /// Reading the schedule out of the file.
    Planning,
    /// Writing the import (rows done / total published).
    Writing,
}

impl Stage {
    /// The value stored in `import_jobs.stage` (`done` and `released` are written by the
    /// completion and the release statements themselves).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Claimed => "claimed",
            Stage::Reading => "reading",
            Stage::Planning => "planning",
            Stage::Writing => "writing",
        }
    }
}

/// A job as stored, without the file's bytes.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    /// Higher runs first.
    pub priority: i32,
    /// Not claimed before this time.
    pub run_at: DateTime<Utc>,
    /// Claims so far (the running attempt's number while running).
    pub attempt: i32,
    pub max_attempts: i32,
    /// The current claim's token; `None` unless running.
    #[serde(skip)]
    pub lease_token: Option<Uuid>,
    pub leased_until: Option<DateTime<Utc>>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub worker_id: Option<String>,
    pub file_name: String,
    /// Where the file is, for jobs that name a path (inbox files, `enqueue_import` by path).
    pub file_path: Option<String>,
    /// Size of the stored bytes, for jobs that carry the file.
    pub file_size: Option<i64>,
    pub file_sha256: Option<String>,
    pub template: Option<String>,
    pub store_number: Option<i32>,
    #[sqlx(try_from = "String")]
    pub mode: ImportMode,
    pub force: bool,
    #[sqlx(try_from = "String")]
    pub source: ImportSource,
    /// What the running attempt is doing: `claimed`, `reading`, `planning`, `writing`, `done`.
    pub stage: Option<String>,
    pub rows_done: Option<i64>,
    pub rows_total: Option<i64>,
    pub last_error: Option<String>,
    /// One entry per failed attempt: `{attempt, at, error}`.
    pub errors: Option<serde_json::Value>,
    pub import_id: Option<Uuid>,
    /// How the job ended; `None` while unfinished.
    pub outcome: Option<Outcome>,
    /// The import's counts, once finished.
    pub rows_imported: Option<i64>,
    pub rows_rejected: Option<i64>,
    pub rows_replaced: Option<i64>,
    pub warnings: Option<i64>,
    /// Where an inbox job's file was moved when the job ended (`processed/…`, `failed/…`).
    pub file_moved_to: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The select list that reads a [`Job`] (types pinned so column widths can change safely),
/// as a macro so statements stay `&'static str` through `concat!`.
#[macro_export]
#[doc(hidden)]
macro_rules! job_columns {
    () => {
        "id, state::text AS state, priority::int4 AS priority, run_at, \
         attempt::int4 AS attempt, max_attempts::int4 AS max_attempts, lease_token, \
         leased_until, heartbeat_at, worker_id, file_name, file_path, \
         octet_length(file_bytes)::int8 AS file_size, file_sha256, template, \
         store_number::int4 AS store_number, mode::text AS mode, force, source::text AS source, \
         stage, rows_done::int8 AS rows_done, rows_total::int8 AS rows_total, last_error, \
         errors, import_id, outcome, rows_imported::int8 AS rows_imported, \
         rows_rejected::int8 AS rows_rejected, rows_replaced::int8 AS rows_replaced, \
         warnings::int8 AS warnings, file_moved_to, created_at, updated_at, finished_at"
    };
}

/// The claim a worker holds on a running job: enough to prove it still owns the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub job_id: Uuid,
    pub lease_token: Uuid,
    pub attempt: i32,
}

impl Job {
    /// The claim this row represents, when it is running.
    pub fn claim(&self) -> Option<Claim> {
        match (self.state, self.lease_token) {
            (JobState::Running, Some(t)) => Some(Claim {
                job_id: self.id,
                lease_token: t,
                attempt: self.attempt,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_text() {
        for s in JobState::ALL {
            assert_eq!(s.as_str().parse::<JobState>().unwrap(), s);
        }
        assert!("done".parse::<JobState>().is_err());
    }

    #[test]
    fn finished_states() {
        let finished: Vec<_> = JobState::ALL
            .into_iter()
            .filter(|s| s.is_finished())
            .collect();
        assert_eq!(
            finished,
            [JobState::Succeeded, JobState::Failed, JobState::Cancelled]
        );
    }
}
