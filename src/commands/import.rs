//! `pharmacy-ingest import FILE`: the import pipeline once, in the foreground, for operators
//! and scripts. Exit status: 0 imported (or the same content was already imported), 1 imported
//! but some rows were rejected, 2 the file was refused or the import failed.

use super::Context;
use crate::import::run::{Stage, import_now_with_head, import_now_with_progress};
use crate::import::{ImportMode, ImportOutcome, ImportRequest, ImportSource, ImportStatus};
use crate::intake::safe_read::Loaded;
use crate::pipeline::plan::{PlanOptions, read_head};
use crate::read::ReadOptions;
use crate::read::content::IN_PLACE_BYTES;
use crate::template::TemplateSet;
use anyhow::Context as _;
use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Files at least this big get a progress line (when stderr is a terminal).
const PROGRESS_FILE_SIZE: u64 = 512 * 1024;
/// Writes of at least this many shifts get a progress line (when stderr is a terminal).
const PROGRESS_ROWS: usize = 5_000;

#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The schedule file (xlsx, xls, xlsb, ods, csv, pdf).
    pub file: PathBuf,
    /// Processing template to use (default: the best match).
    #[arg(long)]
    pub template: Option<String>,
    /// Store number for every shift, overriding the file's.
    #[arg(long)]
    pub store: Option<i32>,
    /// `replace`: the file's shifts replace the stored ones of each store for the dates the
    /// file covers; `append`: they are added.
    #[arg(long, value_enum, default_value_t = ModeArg::Replace)]
    pub mode: ModeArg,
    /// Import even when the same content was already imported.
    #[arg(long)]
    pub force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = super::imports::Format::Table)]
    pub format: super::imports::Format,
}

/// `--mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    Replace,
    Append,
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let Loaded { content, sha256 } = load_input(&opts.file, ctx.config.read.max_file_bytes)?;
    let file_name = opts
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| opts.file.display().to_string());
    let req = ImportRequest {
        file_name: file_name.clone(),
        file_size: i64::try_from(content.len()).unwrap_or(i64::MAX),
        sha256,
        source: ImportSource::Cli,
        mode: match opts.mode {
            ModeArg::Replace => ImportMode::Replace,
            ModeArg::Append => ImportMode::Append,
        },
        force: opts.force,
        template: opts.template,
        store_number: opts.store,
        job_id: None,
        created_by: ctx.operator(),
        hold_risky_replace: false,
        inbox_store: None,
    };
    // The file's head needs no template: it is read while the database is opened and the
    // templates are loaded.
    let (name, read) = (file_name.clone(), read_options(ctx));
    let reading = tokio::task::spawn_blocking(move || {
        // A panic is left to the import's planning, which reads again and records it.
        let head = std::panic::catch_unwind(AssertUnwindSafe(|| {
            read_head(&name, content.content(), &read)
        }));
        (content, head.ok())
    });
    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    let plan_options = plan_options(ctx, db.pool()).await?;
    let (content, head) = reading.await.context("reading the file")?;
    let progress = progress_line(content.len());
    let pool = db.pool();
    let result = match head {
        Some(head) => import_now_with_head(pool, req, content, head, plan_options, progress).await,
        None => import_now_with_progress(pool, req, content, plan_options, progress).await,
    };
    clear_progress_line();
    db.close().await?;
    let outcome = result.with_context(|| format!("importing {file_name}"))?;
    if opts.format == super::imports::Format::Json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", outcome_text(&outcome, "import"));
    }
    Ok(exit_code(&outcome))
}

/// A file named on the command line: a regular file (symlinks followed), no larger than
/// `limit` (checked before a byte is read, so an over-limit file never reaches the database).
pub fn read_input(path: &std::path::Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let real = path
        .canonicalize()
        .with_context(|| format!("cannot find {}", path.display()))?;
    Ok(crate::intake::safe_read::read_limited(&real, limit)?.bytes)
}

/// [`read_input`] for `import`: a file of [`IN_PLACE_BYTES`] or more stays an open file (the
/// same checks, made on the opened descriptor), a smaller one is read; with its sha256.
pub fn load_input(path: &std::path::Path, limit: u64) -> anyhow::Result<Loaded> {
    let real = path
        .canonicalize()
        .with_context(|| format!("cannot find {}", path.display()))?;
    Ok(crate::intake::safe_read::load_limited(
        &real,
        limit,
        IN_PLACE_BYTES,
    )?)
}

/// The pipeline's options for a command with a database: the shipped templates synced into
/// `processing_templates` (as the worker does at start-up), then the active ones loaded from
/// there, so operators' database templates and alias edits apply; read limits from the
/// configuration.
pub async fn plan_options(ctx: &Context, pool: &sqlx::PgPool) -> anyhow::Result<PlanOptions> {
    let shipped = TemplateSet::embedded().context("loading the built-in templates")?;
    // One connection for both: a second acquire right after the first one's release would
    // often open a new connection while the first is still on its way back to the pool.
    let mut conn = pool.acquire().await?;
    crate::template::sync::sync_file_templates(&mut *conn, &shipped)
        .await
        .context("syncing the built-in templates into the database")?;
    let templates = crate::template::sync::load_active(&mut *conn)
        .await
        .context("loading the processing templates from the database")?;
    Ok(PlanOptions {
        template: None,
        templates,
        read: read_options(ctx),
        store: None,
        fallback_store: None,
        today: None,
    })
}

/// How a command reads files: the configured limits.
fn read_options(ctx: &Context) -> ReadOptions {
    ReadOptions {
        limits: ctx.config.read.clone(),
        password: None,
        head_rows: None,
    }
}

/// 0 imported or duplicate, 1 imported with rejected rows, 2 refused.
pub fn exit_code(outcome: &ImportOutcome) -> ExitCode {
    match outcome.status {
        ImportStatus::Succeeded | ImportStatus::Duplicate => ExitCode::SUCCESS,
        ImportStatus::Partial | ImportStatus::Held => ExitCode::from(1),
        ImportStatus::Failed => ExitCode::from(2),
    }
}

/// The summary printed after an import: status and counts, then the issues (errors first).
pub fn outcome_text(o: &ImportOutcome, what: &str) -> String {
    let mut out = format!(
        "{what} {}: {} ({} imported, {} rejected, {} replaced, {} warnings)\n",
        o.import_id,
        o.status.as_str(),
        o.rows_imported,
        o.rows_rejected,
        o.rows_replaced,
        o.warnings
    );
    if let Some(t) = &o.template {
        out.push_str(&format!("template: {t}\n"));
    }
    if let Some(e) = &o.error {
        out.push_str(&format!("reason: {e}\n"));
    }
    let mut issues: Vec<_> = o.issues.iter().collect();
    issues.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.cell.cmp(&b.cell)));
    const SHOWN: usize = 50;
    for i in issues.iter().take(SHOWN) {
        out.push_str(&format!("  {i}\n"));
    }
    if issues.len() > SHOWN {
        out.push_str(&format!(
            "  … and {} more (pharmacy-ingest imports show {})\n",
            issues.len() - SHOWN,
            o.import_id
        ));
    }
    out
}

static PROGRESS_SHOWN: AtomicBool = AtomicBool::new(false);

/// A progress callback drawing one line on stderr when it is a terminal and the work is big:
/// a file of at least [`PROGRESS_FILE_SIZE`] bytes (`file_size` 0: always when a terminal),
/// or a write of at least [`PROGRESS_ROWS`] shifts.
pub fn progress_line(file_size: u64) -> Arc<dyn Fn(Stage) + Send + Sync> {
    let terminal = std::io::stderr().is_terminal();
    let big_file = file_size == 0 || file_size >= PROGRESS_FILE_SIZE;
    Arc::new(move |stage| {
        if !terminal {
            return;
        }
        let line = match stage {
            Stage::Planning if big_file => "reading and checking the file…".to_string(),
            Stage::Writing(w) if big_file || w.rows_total >= PROGRESS_ROWS => {
                let pct = (w.rows_done * 100).checked_div(w.rows_total).unwrap_or(100);
                format!("writing shifts: {}/{} ({pct}%)", w.rows_done, w.rows_total)
            }
            Stage::Committing if PROGRESS_SHOWN.load(Ordering::Relaxed) => {
                "committing…".to_string()
            }
            _ => return,
        };
        PROGRESS_SHOWN.store(true, Ordering::Relaxed);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
    })
}

/// Erase the progress line, if one was drawn.
pub fn clear_progress_line() {
    if PROGRESS_SHOWN.swap(false, Ordering::Relaxed) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}
