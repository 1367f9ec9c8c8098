//! The `NAME.errors.txt` written beside a file in `failed/` when the failure happened outside
//! the import itself (the file vanished, the database stayed unreachable through every attempt,
//! the job was cancelled). Refused files get the import's own report, which lists rows and cells.

use uuid::Uuid;

/// A short report a store manager can read: which file, what happened, what to do.
pub fn plain_report(file_name: &str, job_id: Uuid, reason: &str) -> String {
    format!(
        "File: {file_name}\n\
         Result: not imported\n\
         \n\
         Reason: {reason}\n\
         \n\
         Nothing from this file was written to the schedule. If the reason is about the file, fix\n\
         it and drop it into the inbox again; otherwise ask your administrator, quoting job\n\
         {job_id}.\n"
    )
}

/// The receipt of a file whose job ended while no worker could move it on (found by the
/// sweep of `processing/`): the full report is in the database under the import id.
pub fn plain_receipt(
    file_name: &str,
    job_id: Uuid,
    import: Option<&(Uuid, crate::import::StoredStatus)>,
) -> String {
    match import {
        Some((id, status)) => format!(
            "{file_name}: import finished with status {}. Ask your operator for the details \
             (`pharmacy-ingest imports show {id}`).\nImport id (for operators): {id}\n",
            status.as_str()
        ),
        None => format!("{file_name}: the job {job_id} finished.\n"),
    }
}

/// The report for a file refused before any job existed (too large, incomplete, refused by
/// the queue): which file, why, and what to do.
pub fn intake_report(file_name: &str, reason: &str) -> String {
    format!(
        "File: {file_name}\n\
         Result: not imported\n\
         \n\
         Reason: {reason}\n\
         \n\
         Nothing from this file was written to the schedule. Fix the file (or send it whole)\n\
         and drop it into the inbox again.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_the_reason_and_the_job() {
        let id = Uuid::nil();
        let r = plain_report("week48.xlsx", id, "cancelled by an operator");
        assert!(r.starts_with("File: week48.xlsx\n"));
        assert!(r.contains("Reason: cancelled by an operator\n"));
        assert!(r.contains(&id.to_string()));
    }
}
