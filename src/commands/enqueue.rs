//! `pharmacy-ingest enqueue FILE`: queue a file for import by the workers. The file's bytes
//! travel in the job (the worker may run on another machine), or with `--by-path` only its
//! path, which must lie under a root a worker published.

use super::Context;
use crate::import::{ImportMode, ImportSource};
use crate::queue::enqueue::{JobFile, NewJob, enqueue};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The schedule file (xlsx, xls, xlsb, ods, csv, pdf).
    pub file: PathBuf,
    /// Processing template to use (default: detected from the file).
    #[arg(long)]
    pub template: Option<String>,
    /// Store number for every shift, overriding the file's.
    #[arg(long = "store")]
    pub store_number: Option<i32>,
    /// How the shifts meet those already stored.
    #[arg(long, value_enum, default_value_t = ModeArg::Replace)]
    pub mode: ModeArg,
    /// Higher runs first.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub priority: i32,
    /// Import even if the same content was imported before.
    #[arg(long)]
    pub force: bool,
    /// Send only the absolute path (it must be under a worker's `path_roots`), not the bytes.
    #[arg(long)]
    pub by_path: bool,
    /// Print the job as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Replace each store's shifts for the dates the file covers.
    Replace,
    /// Add the shifts beside what is stored.
    Append,
}

impl From<ModeArg> for ImportMode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Replace => ImportMode::Replace,
            ModeArg::Append => ImportMode::Append,
        }
    }
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let file_name = opts
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} is not a file name", opts.file.display()))?
        .to_string();
    let file = if opts.by_path {
        let abs = opts
            .file
            .canonicalize()
            .with_context(|| format!("cannot find {}", opts.file.display()))?;
        // The worker checks again when it reads; refusing here keeps a job that can only
        // fail out of the queue.
        let limit = ctx.config.read.max_file_bytes;
        let size = crate::intake::safe_read::regular_size(&abs)?;
        if size > limit {
            return Err(crate::intake::safe_read::SafeReadError::TooLarge {
                path: abs,
                size,
                limit,
            }
            .into());
        }
        JobFile::Path(abs.to_string_lossy().into_owned())
    } else {
        JobFile::Bytes(super::import::read_input(
            &opts.file,
            ctx.config.read.max_file_bytes,
        )?)
    };
    let mut job = NewJob::new(file_name, file, ImportSource::Cli);
    job.template = opts.template;
    job.store_number = opts.store_number;
    job.mode = opts.mode.into();
    job.force = opts.force;
    job.priority = opts.priority;

    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    let res = enqueue(db.pool(), &job).await;
    db.close().await?;
    let id = res?;
    if opts.json {
        println!("{}", serde_json::json!({ "job_id": id }));
    } else {
        println!("queued job {id}");
    }
    Ok(ExitCode::SUCCESS)
}
