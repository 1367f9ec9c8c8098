//! After the runner recorded how an import job ended: count it, and for an inbox file, file it
//! where the store manager looks (`processed/`, `needs-attention/`, `failed/`, or back in the
//! inbox) with its receipt and reports, record where it went, and retire the files it fixed.

use super::{Committed, ImportWork};
use crate::import::{ImportOutcome, ImportSource, ImportStatus};
use crate::intake::{Destination, Finish, Layout, fixed, folders};
use crate::ops::metrics::JobEnd;
use crate::queue::job::Job;
use crate::queue::runner::Ending;
use std::path::{Path, PathBuf};

/// Count the ending and move the file on.
pub async fn settled(work: &ImportWork, job: &Job, ending: Ending<Committed>) {
    match ending {
        Ending::Committed { done, took } => {
            let outcome = done.outcome;
            tracing::Span::current()
                .record("import_id", tracing::field::display(outcome.import_id));
            work.metrics.job_ended(job_end(outcome.status));
            work.metrics
                .import_committed(took, outcome.rows_imported, outcome.rows_rejected);
            tracing::info!(
                import_id = %outcome.import_id,
                status = ?outcome.status,
                rows_imported = outcome.rows_imported,
                rows_rejected = outcome.rows_rejected,
                rows_replaced = outcome.rows_replaced,
                warnings = outcome.warnings,
                ms = took.as_millis() as u64,
                "import committed"
            );
            file_outcome(work, job, *outcome, done.bytes).await;
        }
        Ending::Failed { reason } => {
            work.metrics.job_ended(JobEnd::Failed);
            let report = crate::intake::report::plain_report(&job.file_name, job.id, &reason);
            move_file(work, job, Finish::failed(&job.file_name, report)).await;
        }
        Ending::Withdrawn => {
            work.metrics.job_ended(JobEnd::Failed);
            return_to_inbox(work, job).await;
        }
        Ending::Retrying => work.metrics.job_ended(JobEnd::Retrying),
        Ending::LeaseLost => work.metrics.job_ended(JobEnd::LeaseLost),
        Ending::Released => work.metrics.job_ended(JobEnd::Released),
    }
}

/// The metric of a committed import's status.
fn job_end(status: ImportStatus) -> JobEnd {
    match status {
        ImportStatus::Succeeded => JobEnd::Succeeded,
        ImportStatus::Partial => JobEnd::Partial,
        ImportStatus::Duplicate => JobEnd::Duplicate,
        ImportStatus::Held => JobEnd::Held,
        ImportStatus::Failed => JobEnd::Refused,
    }
}

/// Put an inbox job's `processing/` file back in its inbox (`inbox/` beside it, or its
/// per-store folder), to settle and be taken again. A watched folder with another name is not
/// known here: the file then stays and the sweep moves it to `failed/` with the job's reason.
async fn return_to_inbox(work: &ImportWork, job: &Job) {
    let Some(path) = job.file_path.clone() else {
        return;
    };
    let partial = work.partial_folder.clone();
    let res = tokio::task::spawn_blocking(move || {
        let p = Path::new(&path);
        match Layout::of_processing_file(p, &partial) {
            Some((l, store)) if l.inbox.is_dir() => {
                let dir = match store {
                    Some(s) => l.inbox.join(s),
                    None => l.inbox,
                };
                folders::move_into(p, &dir).map(|_| ())
            }
            _ => Ok(()),
        }
    })
    .await;
    if !matches!(res, Ok(Ok(()))) {
        tracing::warn!(
            "could not put the changed file back in the inbox; the next sweep will move it on"
        );
    }
}

/// An inbox job's committed import: its receipt and reports (built on a blocking thread: the
/// error workbook reads the file again), the move, and the files it fixed.
async fn file_outcome(
    work: &ImportWork,
    job: &Job,
    outcome: ImportOutcome,
    bytes: Option<Vec<u8>>,
) {
    if job.source != ImportSource::Inbox {
        return;
    }
    let to = match outcome.status {
        ImportStatus::Failed => Destination::Failed,
        ImportStatus::Partial | ImportStatus::Held => Destination::NeedsAttention,
        ImportStatus::Succeeded | ImportStatus::Duplicate => Destination::Processed,
    };
    let read = work
        .plan_options
        .read()
        .expect("plan options lock is never poisoned")
        .read
        .clone();
    let name = job.file_name.clone();
    let import_id = outcome.import_id;
    let sidecars = tokio::task::spawn_blocking(move || {
        crate::import::feedback::sidecars(&name, &outcome, bytes.as_deref(), &read)
    })
    .await
    .unwrap_or_default();
    let Some(at) = move_file(work, job, Finish { to, sidecars }).await else {
        return;
    };
    if let Err(e) = crate::import::filed::record_filed(&work.pool, import_id, &at).await {
        tracing::warn!(error = %e, "could not record where the file was filed");
        return;
    }
    retire_fixed(work, job).await;
}

/// Move the files in `needs-attention/` and `failed/` that this import fixed.
async fn retire_fixed(work: &ImportWork, job: &Job) {
    let processing = Path::new(job.file_path.as_deref().unwrap_or_default());
    let Some((layout, _)) = Layout::of_processing_file(processing, &work.partial_folder) else {
        return;
    };
    match fixed::retire_fixed(&work.pool, &[layout]).await {
        Ok(n) if n > 0 => tracing::info!(moved = n, "moved files this import fixed"),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not move the files this import fixed; the next rescan will")
        }
    }
}

/// Move an inbox job's `processing/` file on (nothing for other jobs). Returns where.
async fn move_file(work: &ImportWork, job: &Job, how: Finish) -> Option<PathBuf> {
    if job.source != ImportSource::Inbox {
        return None;
    }
    let path = job.file_path.clone()?;
    let partial = work.partial_folder.clone();
    let res =
        tokio::task::spawn_blocking(move || folders::finish(Path::new(&path), &how, &partial))
            .await;
    match res {
        Ok(Ok(Some(to))) => {
            if let Err(e) = crate::queue::admin::record_moved(&work.pool, job.id, &to).await {
                tracing::debug!(error = %e, "could not record where the job's file went");
            }
            Some(to)
        }
        Ok(Ok(None)) => {
            tracing::debug!("the job's file was not in processing/ (moved already)");
            None
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not move the job's file on; the next sweep will");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "moving the job's file panicked");
            None
        }
    }
}
