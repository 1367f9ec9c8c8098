//! `pharmacy-ingest templates list|check|test FILE`: the processing templates without a
//! database — the built-in ones plus `--templates-dir`.
//!
//! - `list`: name, layout, priority, origin and description of each template;
//! - `check`: load and check every template (exit 2 on the first broken one, naming it);
//! - `test FILE`: score every template against a file and say which one wins, or why each
//!   does not fit.

use super::Context;
use super::preview::offline_templates;
use crate::read::ReadOptions;
use crate::template::matcher;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    #[command(subcommand)]
    pub action: Action,
    /// Read templates from this folder as well (a template there replaces the built-in one of
    /// the same name).
    #[arg(long, global = true)]
    pub templates_dir: Option<PathBuf>,
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
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let set = match offline_templates(opts.templates_dir.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    match opts.action {
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
