//! Process metrics for `/metrics` in the Prometheus text format: imports by outcome, import
//! durations, rows imported and rejected, job failures, files taken from the watched folders.
//! Jobs by state are read from the database at scrape time (they are shared by every worker).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the import-duration histogram buckets.
const BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// How a job attempt ended, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEnd {
    /// The import committed; every row imported.
    Succeeded,
    /// The import committed; some rows rejected.
    Partial,
    /// The content was imported before; nothing done.
    Duplicate,
    /// A risky replace held for an operator's approval; nothing written yet.
    Held,
    /// The file was refused (recorded as a failed import).
    Refused,
    /// A transient failure; the job will be retried.
    Retrying,
    /// A permanent failure outside the import (unreadable job, crash in a reader, attempts used up).
    Failed,
    /// The lease was lost; the work was thrown away.
    LeaseLost,
    /// Released at shutdown.
    Released,
}

impl JobEnd {
    const ALL: [JobEnd; 9] = [
        JobEnd::Succeeded,
        JobEnd::Partial,
        JobEnd::Duplicate,
        JobEnd::Held,
        JobEnd::Refused,
        JobEnd::Retrying,
        JobEnd::Failed,
        JobEnd::LeaseLost,
        JobEnd::Released,
    ];

    fn label(self) -> &'static str {
        match self {
            JobEnd::Succeeded => "succeeded",
            JobEnd::Partial => "partial",
            JobEnd::Duplicate => "duplicate",
            JobEnd::Held => "held",
            JobEnd::Refused => "refused",
            JobEnd::Retrying => "retrying",
            JobEnd::Failed => "failed",
            JobEnd::LeaseLost => "lease_lost",
            JobEnd::Released => "released",
        }
    }

    fn index(self) -> usize {
        JobEnd::ALL
            .iter()
            .position(|e| *e == self)
            .expect("every JobEnd is in ALL")
    }
}

/// Counters shared by the runner, the intake and the HTTP server.
#[derive(Debug, Default)]
pub struct Metrics {
    ends: [AtomicU64; JobEnd::ALL.len()],
    rows_imported: AtomicU64,
    rows_rejected: AtomicU64,
    files_taken: AtomicU64,
    /// Cumulative bucket counts (`BUCKETS.len()` + the `+Inf` bucket).
    duration_buckets: [AtomicU64; 13],
    duration_sum_micros: AtomicU64,
}

impl Metrics {
    /// Count one job attempt's end.
    pub fn job_ended(&self, end: JobEnd) {
        self.ends[end.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Record a committed import: its duration (claim to commit) and row counts.
    pub fn import_committed(&self, took: Duration, rows_imported: i64, rows_rejected: i64) {
        self.rows_imported
            .fetch_add(u64::try_from(rows_imported).unwrap_or(0), Ordering::Relaxed);
        self.rows_rejected
            .fetch_add(u64::try_from(rows_rejected).unwrap_or(0), Ordering::Relaxed);
        let secs = took.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.duration_buckets[i].fetch_add(1, Ordering::Relaxed);
        self.duration_sum_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Count a file taken from a watched folder.
    pub fn file_taken(&self) {
        self.files_taken.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with `jobs` (state, count) from the database.
    pub fn render(&self, jobs: &[(crate::queue::JobState, i64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP pharmacy_ingest_jobs Jobs in import_jobs by state."
        );
        let _ = writeln!(out, "# TYPE pharmacy_ingest_jobs gauge");
        for (state, n) in jobs {
            let _ = writeln!(out, "pharmacy_ingest_jobs{{state=\"{state}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP pharmacy_ingest_job_attempts_total Job attempts run by this worker, by how they ended."
        );
        let _ = writeln!(out, "# TYPE pharmacy_ingest_job_attempts_total counter");
        for e in JobEnd::ALL {
            let _ = writeln!(
                out,
                "pharmacy_ingest_job_attempts_total{{result=\"{}\"}} {}",
                e.label(),
                self.ends[e.index()].load(Ordering::Relaxed)
            );
        }
        let failures = self.ends[JobEnd::Refused.index()].load(Ordering::Relaxed)
            + self.ends[JobEnd::Failed.index()].load(Ordering::Relaxed)
            + self.ends[JobEnd::Retrying.index()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP pharmacy_ingest_import_failures_total Job attempts that did not import (refused, failed, retrying)."
        );
        let _ = writeln!(out, "# TYPE pharmacy_ingest_import_failures_total counter");
        let _ = writeln!(out, "pharmacy_ingest_import_failures_total {failures}");
        for (name, help, v) in [
            (
                "pharmacy_ingest_rows_imported_total",
                "Shifts written to store_schedules.",
                &self.rows_imported,
            ),
            (
                "pharmacy_ingest_rows_rejected_total",
                "Rows rejected by validation.",
                &self.rows_rejected,
            ),
            (
                "pharmacy_ingest_files_taken_total",
                "Files taken from the watched folders.",
                &self.files_taken,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", v.load(Ordering::Relaxed));
        }
        let name = "pharmacy_ingest_import_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} From claim to commit, for committed imports."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.duration_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        cumulative += self.duration_buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.duration_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::JobState;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.job_ended(JobEnd::Succeeded);
        m.job_ended(JobEnd::Refused);
        m.import_committed(Duration::from_millis(80), 35, 2);
        m.import_committed(Duration::from_millis(700), 10, 0);
        m.import_committed(Duration::from_secs(400), 1, 0);
        m.file_taken();
        let text = m.render(&[(JobState::Available, 3), (JobState::Failed, 1)]);
        for line in [
            "pharmacy_ingest_jobs{state=\"available\"} 3",
            "pharmacy_ingest_jobs{state=\"failed\"} 1",
            "pharmacy_ingest_job_attempts_total{result=\"succeeded\"} 1",
            "pharmacy_ingest_job_attempts_total{result=\"refused\"} 1",
            "pharmacy_ingest_import_failures_total 1",
            "pharmacy_ingest_rows_imported_total 46",
            "pharmacy_ingest_rows_rejected_total 2",
            "pharmacy_ingest_files_taken_total 1",
            "pharmacy_ingest_import_duration_seconds_bucket{le=\"0.05\"} 0",
            "pharmacy_ingest_import_duration_seconds_bucket{le=\"0.1\"} 1",
            "pharmacy_ingest_import_duration_seconds_bucket{le=\"1\"} 2",
            "pharmacy_ingest_import_duration_seconds_bucket{le=\"300\"} 2",
            "pharmacy_ingest_import_duration_seconds_bucket{le=\"+Inf\"} 3",
            "pharmacy_ingest_import_duration_seconds_count 3",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
