//! `pharmacy-ingest jobs list|show|retry|cancel`: the import queue, for operators.

use super::Context;
use super::ids::{IdArg, IdKind, resolve};
use crate::queue::{Job, JobState, Outcome, admin};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    #[command(subcommand)]
    pub action: Action,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Jobs, newest first.
    List {
        /// Only jobs in these states (available, running, retryable, succeeded, failed,
        /// cancelled); repeat or separate with commas.
        #[arg(long, value_delimiter = ',')]
        state: Vec<String>,
        /// Only finished jobs with these outcomes (imported, partial, duplicate, failed,
        /// cancelled); repeat or separate with commas.
        #[arg(long, value_delimiter = ',')]
        outcome: Vec<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One job: its progress, attempts and errors.
    Show {
        /// The job id, or a unique prefix of it.
        id: IdArg,
    },
    /// Run a failed or cancelled job again (or a retryable one now).
    Retry {
        /// The job id, or a unique prefix of it.
        id: IdArg,
    },
    /// Cancel a job that has not finished (a running one stops at its next heartbeat).
    Cancel {
        /// The job id, or a unique prefix of it.
        id: IdArg,
    },
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    let res = act(&opts, db.pool()).await;
    db.close().await?;
    res
}

async fn act(opts: &Opts, pool: &sqlx::PgPool) -> anyhow::Result<ExitCode> {
    match &opts.action {
        Action::List {
            state,
            outcome,
            limit,
        } => {
            let states = parse_all::<JobState>(state).map_err(|_| {
                anyhow::anyhow!(
                    "--state takes available, running, retryable, succeeded, failed or cancelled"
                )
            })?;
            let outcomes = parse_all::<Outcome>(outcome).map_err(|_| {
                anyhow::anyhow!("--outcome takes imported, partial, duplicate, failed or cancelled")
            })?;
            let jobs = admin::list_with_outcomes(pool, &states, &outcomes, *limit).await?;
            match opts.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&jobs)?),
                Format::Table => print!("{}", table(&jobs)),
            }
        }
        Action::Show { id } => {
            let id = resolve(pool, IdKind::Job, id).await?;
            let job = admin::show(pool, id).await?;
            print_one(&job, opts.format)?;
        }
        Action::Retry { id } => {
            let id = resolve(pool, IdKind::Job, id).await?;
            let job = admin::retry(pool, id).await?;
            print_one(&job, opts.format)?;
        }
        Action::Cancel { id } => {
            let id = resolve(pool, IdKind::Job, id).await?;
            let job = admin::cancel(pool, id).await?;
            print_one(&job, opts.format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_all<T: std::str::FromStr>(values: &[String]) -> Result<Vec<T>, T::Err> {
    values.iter().map(|s| s.trim().parse::<T>()).collect()
}

fn print_one(job: &Job, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(job)?),
        Format::Table => print!("{}", detail(job)),
    }
    Ok(())
}

/// One line per job.
pub fn table(jobs: &[Job]) -> String {
    let header = [
        "ID", "STATE", "OUTCOME", "ATTEMPT", "PRIO", "STAGE", "ROWS", "SOURCE", "FILE", "CREATED",
    ];
    let rows: Vec<[String; 10]> = jobs
        .iter()
        .map(|j| {
            [
                j.id.to_string(),
                j.state.to_string(),
                j.outcome.map(|o| o.to_string()).unwrap_or_default(),
                attempt_cell(j),
                j.priority.to_string(),
                j.stage.clone().unwrap_or_default(),
                rows_cell(j),
                j.source.as_str().to_string(),
                j.file_name.clone(),
                j.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in &rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    if rows.is_empty() {
        out.push_str("(no jobs)\n");
    }
    out
}

/// `2/5` while attempts may follow; a finished job shows how many it took (a bad file that
/// failed at once is `1`, not `1/5`, because it is never retried).
fn attempt_cell(j: &Job) -> String {
    if j.state.is_finished() {
        j.attempt.to_string()
    } else {
        format!("{}/{}", j.attempt, j.max_attempts)
    }
}

fn rows_cell(j: &Job) -> String {
    match (j.rows_done, j.rows_total) {
        (Some(d), Some(t)) => format!("{d}/{t}"),
        (None, Some(t)) => format!("0/{t}"),
        (Some(d), None) => d.to_string(),
        (None, None) => String::new(),
    }
}

/// Where the job's file is now: where it was moved when the job ended, else where it was read.
fn current_path(j: &Job) -> String {
    match (&j.file_moved_to, &j.file_path) {
        (Some(to), Some(from)) if to != from => format!("{to} (read from {from})"),
        (Some(to), _) => to.clone(),
        (None, Some(from)) => from.clone(),
        (None, None) => "-".into(),
    }
}

fn attempt_text(j: &Job) -> String {
    if j.state.is_finished() {
        let n = j.attempt;
        format!(
            "{n} ({})",
            if n == 1 {
                "one attempt"
            } else {
                "attempts made"
            }
        )
    } else {
        format!("{} of {}", j.attempt, j.max_attempts)
    }
}

fn counts(j: &Job) -> String {
    match (
        j.rows_imported,
        j.rows_rejected,
        j.rows_replaced,
        j.warnings,
    ) {
        (Some(i), Some(r), Some(p), Some(w)) => {
            format!("{i} imported, {r} rejected, {p} replaced, {w} warnings")
        }
        _ => "-".into(),
    }
}

/// Every field of one job, one per line.
pub fn detail(j: &Job) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let ts = |v: Option<chrono::DateTime<chrono::Utc>>| {
        v.map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
    };
    let mut out = String::new();
    for (k, v) in [
        ("id", j.id.to_string()),
        ("state", j.state.to_string()),
        ("outcome", opt(j.outcome.map(|o| o.to_string()))),
        ("counts", counts(j)),
        ("file", j.file_name.clone()),
        ("path", current_path(j)),
        ("size", opt(j.file_size.map(|s| format!("{s} bytes")))),
        ("sha256", opt(j.file_sha256.clone())),
        ("source", j.source.as_str().to_string()),
        ("template", opt(j.template.clone())),
        ("store", opt(j.store_number.map(|s| s.to_string()))),
        ("mode", j.mode.as_str().to_string()),
        ("force", j.force.to_string()),
        ("priority", j.priority.to_string()),
        ("attempt", attempt_text(j)),
        ("run at", opt(ts(Some(j.run_at)))),
        ("stage", opt(j.stage.clone())),
        ("rows", rows_cell(j)),
        ("worker", opt(j.worker_id.clone())),
        ("heartbeat", opt(ts(j.heartbeat_at))),
        ("leased until", opt(ts(j.leased_until))),
        ("import", opt(j.import_id.map(|i| i.to_string()))),
        ("created", opt(ts(Some(j.created_at)))),
        ("finished", opt(ts(j.finished_at))),
        ("last error", opt(j.last_error.clone())),
    ] {
        out.push_str(&format!("{k:<13} {v}\n"));
    }
    if let Some(serde_json::Value::Array(errors)) = &j.errors {
        for e in errors {
            let attempt = e.get("attempt").map(|a| a.to_string()).unwrap_or_default();
            let at = e.get("at").and_then(|a| a.as_str()).unwrap_or("");
            let msg = e.get("error").and_then(|a| a.as_str()).unwrap_or("");
            out.push_str(&format!("  attempt {attempt} at {at}: {msg}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: JobState) -> Job {
        let t = chrono::DateTime::parse_from_rfc3339("2025-11-24T09:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        Job {
            id: uuid::Uuid::nil(),
            state,
            priority: 0,
            run_at: t,
            attempt: 2,
            max_attempts: 5,
            lease_token: None,
            leased_until: None,
            heartbeat_at: None,
            worker_id: Some("host:1".into()),
            file_name: "week48.xlsx".into(),
            file_path: None,
            file_size: Some(1234),
            file_sha256: None,
            template: None,
            store_number: Some(1042),
            mode: crate::schedule::ImportMode::Replace,
            force: false,
            source: crate::schedule::ImportSource::Inbox,
            stage: Some("writing".into()),
            rows_done: Some(10),
            rows_total: Some(35),
            last_error: Some("connection reset".into()),
            errors: Some(serde_json::json!([
                {"attempt": 1, "at": "2025-11-24T09:31:00Z", "error": "connection reset"}
            ])),
            import_id: None,
            outcome: None,
            rows_imported: None,
            rows_rejected: None,
            rows_replaced: None,
            warnings: None,
            file_moved_to: None,
            created_at: t,
            updated_at: t,
            finished_at: None,
        }
    }

    #[test]
    fn table_aligns_columns_and_says_when_empty() {
        let text = table(&[job(JobState::Running), job(JobState::Failed)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("ID"));
        assert!(
            lines[1].contains("running") && lines[1].contains("2/5") && lines[1].contains("10/35")
        );
        let col = |l: &str| l.find("inbox").unwrap();
        assert_eq!(col(lines[1]), col(lines[2]), "columns line up");
        assert!(table(&[]).ends_with("(no jobs)\n"));
    }

    #[test]
    fn detail_lists_every_attempt_error() {
        let text = detail(&job(JobState::Retryable));
        assert!(text.contains("state         retryable\n"));
        assert!(text.contains("attempt       2 of 5\n"));
        assert!(text.contains("  attempt 1 at 2025-11-24T09:31:00Z: connection reset\n"));
    }
}
