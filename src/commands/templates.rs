//! `pharmacy-ingest templates list|check|test FILE|alias`: the processing templates — the
//! built-in ones plus `--templates-dir`, or with `--db` the database's active ones (what the
//! worker uses, operators' edits and aliases included).
//!
//! - `list`: name, layout, priority, origin and description of each template;
//! - `check`: load and check every template (exit 2 on the first broken one, naming it);
//! - `test FILE`: score every template against a file and say which one wins, or why each
//!   does not fit;
//! - `suggest FILE [--name N] [--save]`: print a template TOML that reads a file (header
//!   aliases, date order, layout), "did you mean" lines for near-miss headers and what it would
//!   import; `--save` stores it in `processing_templates`;
//! - `alias add|remove TEMPLATE FIELD ALIAS`: one more (or one fewer) header text a template
//!   accepts for a field, in the database.

use super::Context;
use super::preview::offline_templates;
use crate::pipeline::matcher;
use crate::read::ReadOptions;
use crate::template::aliases;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    #[command(subcommand)]
    pub action: Action,
    /// Read templates from this folder as well (a template there replaces the built-in one of
    /// the same name).
    #[arg(long, global = true, conflicts_with = "db")]
    pub templates_dir: Option<PathBuf>,
    /// Use the database's active templates, as the worker does (the shipped ones are synced
    /// into it first).
    #[arg(long, global = true)]
    pub db: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// List the templates.
    List,
    /// Load and check every template.
    Check,
    /// Score every template against a file.
    Test {
        /// The schedule file.
        file: PathBuf,
    },
    /// Propose a template for a file (typically one no template reads).
    Suggest {
        /// The schedule file.
        file: PathBuf,
        /// The template's name (default: `suggested-<file name>`).
        #[arg(long)]
        name: Option<String>,
        /// Store the template in the database (`processing_templates`, source `database`).
        #[arg(long)]
        save: bool,
    },
    /// Add or remove a column alias of a template in the database.
    #[command(subcommand)]
    Alias(AliasAction),
}

#[derive(Debug, clap::Subcommand)]
pub enum AliasAction {
    /// Accept one more header text for a field (`templates alias add weekly-grid
    /// employee_name "Team member"`).
    Add {
        /// The template's name.
        template: String,
        /// The field (store_number, employee_name, first_name, last_name, employee_phone,
        /// date, start, end, shift, start_datetime, end_datetime, position, notes,
        /// total_hours).
        field: String,
        /// The header text.
        alias: String,
    },
    /// Stop accepting a header text for a field.
    Remove {
        /// The template's name.
        template: String,
        /// The field.
        field: String,
        /// The header text (compared ignoring case, spacing and punctuation).
        alias: String,
    },
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let loaded = if opts.db {
        database_templates(ctx).await
    } else {
        offline_templates(opts.templates_dir.as_deref())
    };
    let set = match loaded {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    match opts.action {
        Action::Alias(a) => alias(&a, ctx).await,
        Action::List => {
            for t in set.iter() {
                println!(
                    "{:<24} {:<5} priority {:>3}  {:<32} {}",
                    t.name(),
                    t.def.layout.as_str(),
                    t.def.priority,
                    t.origin,
                    t.def.description
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Check => {
            println!("{} templates load and check cleanly:", set.len());
            for t in set.iter() {
                println!(
                    "  {} ({}, checksum {})",
                    t.name(),
                    t.origin,
                    &t.checksum[..12]
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Suggest { file, name, save } => suggest(&file, name, save, &set, ctx).await,
        Action::Test { file } => {
            let read = ReadOptions {
                limits: ctx.config.read.clone(),
                password: None,
                head_rows: None,
            };
            let grid = match crate::read::read_path(&file, &read) {
                Ok(g) => g,
                Err(e) => {
                    eprintln!("error: {}: {e}", file.display());
                    return Ok(ExitCode::from(2));
                }
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let today = chrono::Local::now().date_naive();
            for t in set.iter() {
                match matcher::evaluate(t, &grid, &name, today) {
                    Ok(fit) => println!(
                        "{:<24} fits, score {} on {} sheet(s)",
                        t.name(),
                        fit.score,
                        fit.sheets.len()
                    ),
                    Err(why) => println!("{:<24} does not fit: {why}", t.name()),
                }
            }
            match matcher::choose(&set, &grid, &name, today) {
                Ok(fit) => {
                    println!("chosen: {}", fit.template.name());
                    Ok(ExitCode::SUCCESS)
                }
                Err(_) => {
                    println!("chosen: none — no template fits this file");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

/// The database's active templates after syncing the shipped ones (what the worker plans with).
async fn database_templates(ctx: &Context) -> anyhow::Result<crate::template::TemplateSet> {
    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    let set = super::import::plan_options(ctx, db.pool())
        .await
        .map(|o| o.templates);
    db.close().await?;
    set
}

async fn alias(action: &AliasAction, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    // The shipped templates must be rows before an alias can be added to one.
    let synced = super::import::plan_options(ctx, db.pool()).await;
    let result = match (synced, action) {
        (Err(e), _) => Err(e),
        (
            Ok(_),
            AliasAction::Add {
                template,
                field,
                alias,
            },
        ) => aliases::add(db.pool(), template, field, alias)
            .await
            .map(|now| (template, field, now))
            .map_err(anyhow::Error::from),
        (
            Ok(_),
            AliasAction::Remove {
                template,
                field,
                alias,
            },
        ) => aliases::remove(db.pool(), template, field, alias)
            .await
            .map(|now| (template, field, now))
            .map_err(anyhow::Error::from),
    };
    db.close().await?;
    let (template, field, now) = result?;
    println!(
        "{template}.{field} accepts: {} (running workers pick this up within \
         worker.template_reload_secs)",
        now.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// `templates suggest`: the TOML on stdout (with `#` comment lines for "did you mean", notes
/// and what it would import, so the output stays a loadable template); exit 2 when nothing can
/// be suggested or the file cannot be read.
async fn suggest(
    file: &std::path::Path,
    name: Option<String>,
    save: bool,
    set: &crate::template::TemplateSet,
    ctx: &Context,
) -> anyhow::Result<ExitCode> {
    use crate::pipeline::suggest;
    let read = ReadOptions {
        limits: ctx.config.read.clone(),
        password: None,
        head_rows: None,
    };
    let grid = match crate::read::read_path(file, &read) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.unwrap_or_else(|| suggest::name_for(&file_name));
    let today = chrono::Local::now().date_naive();
    let already = matcher::choose(set, &grid, &file_name, today)
        .ok()
        .map(|f| f.template.name().to_string());
    let s = match suggest::suggest(&grid, &file_name, &name) {
        Ok(s) => s,
        Err(why) => {
            eprintln!("error: {file_name}: no template can be suggested: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut out = s.toml.clone();
    if let Some(t) = already {
        out.push_str(&format!(
            "# note: the template {t} already reads this file\n"
        ));
    }
    for d in &s.did_you_mean {
        out.push_str(&format!("# did you mean: {d}\n"));
    }
    for n in &s.notes {
        out.push_str(&format!("# check: {n}\n"));
    }
    out.push_str(&format!(
        "# would import: {}\n",
        would_import(&s, &grid, &file_name, today)
    ));
    print!("{out}");
    if save {
        let db = ctx.config.connect().await?;
        crate::db::migrations::prepare(&db).await?;
        let saved = crate::template::sync::save_database_template(db.pool(), &s.template).await;
        db.close().await?;
        match saved? {
            Some(id) => eprintln!("saved as processing template {name} ({id})"),
            None => {
                eprintln!("error: a template named {name} already exists: choose another --name");
                return Ok(ExitCode::from(2));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What the suggested template would import: counts, dates and issue codes (no names).
fn would_import(
    s: &crate::pipeline::suggest::Suggestion,
    grid: &crate::read::grid::Grid,
    file_name: &str,
    today: chrono::NaiveDate,
) -> String {
    use crate::pipeline::plan::{PlanOptions, plan_grid};
    let Ok(templates) = crate::template::TemplateSet::new(vec![s.template.clone()]) else {
        return "nothing (the template does not load)".into();
    };
    let opts = PlanOptions {
        template: Some(s.template.name().to_string()),
        templates,
        today: Some(today),
        ..PlanOptions::default()
    };
    match plan_grid(file_name, grid, &opts) {
        Err(e) => format!("nothing: {e}"),
        Ok(plan) => {
            let people: std::collections::BTreeSet<&str> =
                plan.shifts.iter().map(|x| &*x.employee_name).collect();
            let first = plan.shifts.iter().map(|x| x.date).min();
            let last = plan.shifts.iter().map(|x| x.date).max();
            let mut codes: std::collections::BTreeMap<&str, usize> = Default::default();
            for i in &plan.issues {
                *codes.entry(i.code).or_default() += 1;
            }
            let span = match (first, last) {
                (Some(a), Some(b)) => format!(", {a} to {b}"),
                _ => String::new(),
            };
            let issues: Vec<String> = codes.iter().map(|(c, n)| format!("{c} x{n}")).collect();
            format!(
                "{} shifts of {} employees{span} from sheet {:?} (header row {}); issues: {}",
                plan.shifts.len(),
                people.len(),
                s.sheet,
                s.header_row,
                if issues.is_empty() {
                    "none".to_string()
                } else {
                    issues.join(", ")
                }
            )
        }
    }
}
