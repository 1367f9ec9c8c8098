//! `pharmacy-ingest templates list|check|test FILE|alias`: the processing templates — the
//! built-in ones plus `--templates-dir`, or with `--db` the database's active ones (what the
//! worker uses, operators' edits and aliases included).
//!
//! - `list`: name, layout, priority, origin and description of each template;
//! - `check`: load and check every template (exit 2 on the first broken one, naming it);
//! - `test FILE`: score every template against a file and say which one wins, or why each
//!   does not fit;
//! - `alias add|remove TEMPLATE FIELD ALIAS`: one more (or one fewer) header text a template
//!   accepts for a field, in the database.

use super::Context;
use super::preview::offline_templates;
use crate::read::ReadOptions;
use crate::template::{aliases, matcher};
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
        Action::Test { file } => {
            let read = ReadOptions {
                limits: ctx.config.read.clone(),
                password: None,
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
    let db = crate::db::connect(&ctx.config).await?;
    crate::db::migrations::prepare(&db).await?;
    let set = super::import::plan_options(ctx, db.pool())
        .await
        .map(|o| o.templates);
    db.close().await?;
    set
}

async fn alias(action: &AliasAction, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = crate::db::connect(&ctx.config).await?;
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
