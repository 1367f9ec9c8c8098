//! Typed settings. Sources, weakest first: built-in defaults, `pharmacy-ingest.toml` (or
//! `--config FILE`), environment variables, command-line flags.
//!
//! Environment: `PHARMACY_INGEST_<SECTION>_<KEY>` sets `[section] key` of the file (for
//! example `PHARMACY_INGEST_DATABASE_MAX_CONNECTIONS=20`, `PHARMACY_INGEST_WORKER_CONCURRENCY=4`),
//! `PHARMACY_INGEST_<KEY>` a top-level key; values are read as TOML (`20`, `true`,
//! `["a", "b"]`) and otherwise as text. `DATABASE_URL` and `PHARMACY_INGEST_DATA_DIR` are also
//! flags (`--database-url`, `--data-dir`), which beat the environment.
//!
//! Each section's struct lives with the code it configures; a new key added there is settable
//! from the file and the environment without touching this module (a new section must be
//! added to [`SECTIONS`]). Secrets are redacted in `Debug`.

use crate::cli::Cli;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Default configuration file, looked up in the working directory.
pub const DEFAULT_FILE: &str = "pharmacy-ingest.toml";

/// Prefix of the environment variables read.
pub const ENV_PREFIX: &str = "PHARMACY_INGEST_";

/// Sections of the file, i.e. the fields of [`Config`] that are tables.
pub const SECTIONS: &[&str] = &["database", "read", "worker", "intake", "http"];

/// Environment variables that are command-line flags (handled by clap), not settings.
const FLAG_VARS: &[&str] = &["CONFIG", "DATA_DIR"];

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

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML or has unknown or mistyped keys.
    #[error("configuration file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key.
        message: String,
    },
    /// An environment variable names an unknown setting or has a value of the wrong type.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Load defaults, the file, the process environment, then the flags of `cli`.
    pub fn load(cli: &Cli) -> Result<Config, ConfigError> {
        Config::load_from(cli, std::env::vars())
    }

    /// As [`Config::load`], with the environment given (for tests).
    pub fn load_from(
        cli: &Cli,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (mut table, file) = match &cli.config {
            Some(path) => (read_file(path)?, Some(path.clone())),
            None if Path::new(DEFAULT_FILE).is_file() => (
                read_file(Path::new(DEFAULT_FILE))?,
                Some(PathBuf::from(DEFAULT_FILE)),
            ),
            None => (toml::Table::new(), None),
        };
        if let Some(path) = &file {
            // Check the file alone first, so its errors name the file.
            decode(&table).map_err(|message| ConfigError::File {
                path: path.clone(),
                message,
            })?;
        }
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| {
                k.strip_prefix(ENV_PREFIX)
                    .is_some_and(|rest| !rest.is_empty() && !FLAG_VARS.contains(&rest))
            })
            .collect();
        vars.sort();
        for (var, raw) in vars {
            let path = env_key(&var[ENV_PREFIX.len()..]);
            let typed = parse_env_value(&raw);
            let mut attempt = table.clone();
            set_path(&mut attempt, &path, typed);
            if decode(&attempt).is_err() {
                // Maybe a text setting whose value looks like a number or a boolean.
                let mut as_text = table.clone();
                set_path(&mut as_text, &path, toml::Value::String(raw.clone()));
                match decode(&as_text) {
                    Ok(_) => attempt = as_text,
                    Err(message) => return Err(ConfigError::Env { var, message }),
                }
            }
            table = attempt;
        }
        let mut cfg = decode(&table).map_err(|message| ConfigError::Env {
            var: "(combined)".into(),
            message,
        })?;
        if let Some(d) = &cli.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(u) = &cli.database_url
            && !u.is_empty()
        {
            cfg.database.url = Some(u.clone());
        }
        Ok(cfg)
    }
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<toml::Table>().map_err(|e| ConfigError::File {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    })
}

fn decode(table: &toml::Table) -> Result<Config, String> {
    Config::deserialize(toml::Value::Table(table.clone())).map_err(|e| e.to_string())
}

/// `DATABASE_MAX_CONNECTIONS` → `["database", "max_connections"]`; `DATA_DIR` → `["data_dir"]`.
fn env_key(rest: &str) -> Vec<String> {
    let lower = rest.to_ascii_lowercase();
    for section in SECTIONS {
        if let Some(key) = lower
            .strip_prefix(section)
            .and_then(|r| r.strip_prefix('_'))
            && !key.is_empty()
        {
            return vec![section.to_string(), key.to_string()];
        }
    }
    vec![lower]
}

/// A TOML value (`20`, `true`, `["a"]`, `"x"`), or the text itself.
fn parse_env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [key] => {
            table.insert(key.clone(), value);
        }
        [head, rest @ ..] => {
            let entry = table
                .entry(head.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = entry {
                set_path(t, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        let mut all = vec!["pharmacy-ingest"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["db", "status"]);
        let mut cli = Cli::try_parse_from(all).unwrap();
        // clap also reads the real process environment (DATABASE_URL in CI): only the flags
        // given here count.
        if !args.contains(&"--database-url") {
            cli.database_url = None;
        }
        if !args.contains(&"--data-dir") {
            cli.data_dir = None;
        }
        if !args.contains(&"--config") {
            cli.config = None;
        }
        cli
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn layers_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(
            &file,
            "data_dir = \"/srv/file\"\n[database]\nmax_connections = 3\nurl = \"postgres://file/db\"\n\
             [worker]\nconcurrency = 7\n",
        )
        .unwrap();
        let path = file.to_str().unwrap();

        let c = Config::load_from(&cli(&["--config", path]), env(&[])).unwrap();
        assert_eq!(c.database.max_connections, 3);
        assert_eq!(c.worker.concurrency, 7);
        assert_eq!(c.data_dir, PathBuf::from("/srv/file"));
        assert_eq!(c.database.url.as_deref(), Some("postgres://file/db"));
        assert_eq!(c.database.acquire_timeout_secs, 30, "default kept");

        let c = Config::load_from(
            &cli(&["--config", path]),
            env(&[
                ("PHARMACY_INGEST_DATABASE_MAX_CONNECTIONS", "9"),
                (
                    "PHARMACY_INGEST_DATABASE_DIRECT_URL",
                    "postgres://direct/db",
                ),
                ("PHARMACY_INGEST_HTTP_LISTEN", "127.0.0.1:1"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database.max_connections, 9, "env beats file");
        assert_eq!(
            c.database.direct_url.as_deref(),
            Some("postgres://direct/db")
        );
        assert_eq!(c.http.listen, "127.0.0.1:1");

        let c = Config::load_from(
            &cli(&[
                "--config",
                path,
                "--database-url",
                "postgres://flag/db",
                "--data-dir",
                "/srv/flag",
            ]),
            env(&[("PHARMACY_INGEST_DATABASE_URL", "postgres://env/db")]),
        )
        .unwrap();
        assert_eq!(
            c.database.url.as_deref(),
            Some("postgres://flag/db"),
            "flag beats env"
        );
        assert_eq!(c.data_dir, PathBuf::from("/srv/flag"));
    }

    #[test]
    fn text_values_that_look_like_numbers_stay_text() {
        let c =
            Config::load_from(&cli(&[]), env(&[("PHARMACY_INGEST_HTTP_LISTEN", "9187")])).unwrap();
        assert_eq!(c.http.listen, "9187");
    }

    #[test]
    fn unknown_or_mistyped_settings_are_reported_with_their_source() {
        let err = Config::load_from(&cli(&[]), env(&[("PHARMACY_INGEST_DATABASE_NOPE", "1")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("PHARMACY_INGEST_DATABASE_NOPE"),
            "{err}"
        );
        let err = Config::load_from(
            &cli(&[]),
            env(&[("PHARMACY_INGEST_WORKER_CONCURRENCY", "many")]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("PHARMACY_INGEST_WORKER_CONCURRENCY"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[database]\nmax_conections = 3\n").unwrap();
        let err =
            Config::load_from(&cli(&["--config", file.to_str().unwrap()]), env(&[])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("bad.toml") && msg.contains("max_conections"),
            "{msg}"
        );

        let err =
            Config::load_from(&cli(&["--config", "/nonexistent/p.toml"]), env(&[])).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
    }
}
