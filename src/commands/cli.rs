//! The command line (clap derive). Each subcommand's options live beside its code in
//! [`crate::commands`].

use crate::commands;
use crate::config::Overrides;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Imports pharmacy staff schedules (xlsx, xls, xlsb, ods, csv, pdf) into PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "pharmacy-ingest", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./pharmacy-ingest.toml when present).
    #[arg(long, global = true, env = "PHARMACY_INGEST_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data folder: embedded database cluster, inbox and processed files.
    #[arg(long, global = true, env = "PHARMACY_INGEST_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL; without one an embedded cluster under the data folder is used.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
    /// Who is running the command, recorded on imports and reverts (default: SUDO_USER,
    /// USER, LOGNAME, then the OS account).
    #[arg(
        long = "as",
        global = true,
        env = "PHARMACY_INGEST_OPERATOR",
        value_name = "NAME"
    )]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The flags that override the configuration file and the environment.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations (or revert them).
    Migrate(commands::migrate::Opts),
    /// Database information.
    Db(commands::db::Opts),
    /// Load sample stores and contacts (a small chain) into the database in use.
    DemoData(commands::demo_data::Opts),
    /// Add and list stores.
    Stores(commands::stores::Opts),
    /// Read a schedule file and print what would be imported (needs no database).
    Preview(commands::preview::Opts),
    /// List, check and test processing templates.
    Templates(commands::templates::Opts),
    /// Run the worker: watched folders and the job queue.
    Run(commands::run::Opts),
    /// Queue a file for import.
    Enqueue(commands::enqueue::Opts),
    /// Import one file now, in the foreground.
    Import(commands::import::Opts),
    /// Inspect and manage import jobs.
    Jobs(commands::jobs::Opts),
    /// Inspect, revert and reprocess imports.
    Imports(commands::imports::Opts),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
