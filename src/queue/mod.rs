//! The job queue in `import_jobs`: enqueue, claim with a lease, heartbeats, rescue, retries.

use serde::Deserialize;

/// `[worker]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Jobs run at once by one worker process.
    pub concurrency: usize,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings { concurrency: 2 }
    }
}
