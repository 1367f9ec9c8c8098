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
    /// A setting's value does not work (alone or with another setting).
    #[error("setting {setting} {message}")]
    Invalid {
        /// The setting, as `section.key`.
        setting: String,
        /// What is wrong and what to do.
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

/// What the command line says about the configuration (the flags that beat the file and the
/// environment). Filled by `commands::cli::Cli`; this module does not know the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config FILE`.
    pub config: Option<PathBuf>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url` (or `DATABASE_URL`); empty counts as not given.
    pub database_url: Option<String>,
}

impl Config {
    /// Load defaults, the file, the process environment, then the flags in `cli`; check the
    /// combination.
    pub fn load(cli: &Overrides) -> Result<Config, ConfigError> {
        Config::load_from(cli, std::env::vars())
    }

    /// As [`Config::load`], with the environment given (for tests).
    pub fn load_from(
        cli: &Overrides,
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
        cfg.check()?;
        Ok(cfg)
    }

    /// Settings that each parse but do not work together, refused at load with the setting to
    /// change (a heartbeat slower than the lease would let every long job be rescued mid-way).
    pub fn check(&self) -> Result<(), ConfigError> {
        let w = &self.worker;
        let invalid = |setting: &str, message: String| {
            Err(ConfigError::Invalid {
                setting: setting.to_string(),
                message,
            })
        };
        if w.concurrency == 0 {
            return invalid("worker.concurrency", "must be at least 1".into());
        }
        if w.batch_max == 0 {
            return invalid("worker.batch_max", "must be at least 1".into());
        }
        if w.busy_at_once == 0 {
            return invalid("worker.busy_at_once", "must be at least 1".into());
        }
        if w.large_at_once == 0 {
            return invalid("worker.large_at_once", "must be at least 1".into());
        }
        if w.lease_secs == 0 {
            return invalid("worker.lease_secs", "must be at least 1".into());
        }
        if w.heartbeat().as_millis() * 2 > w.lease().as_millis() {
            return invalid(
                "worker.heartbeat_ms",
                format!(
                    "is {} ms, but at least two heartbeats must fit in worker.lease_secs ({} s): \
                     lower the heartbeat or raise the lease",
                    w.heartbeat_ms, w.lease_secs
                ),
            );
        }
        if w.max_attempts < 1 {
            return invalid("worker.max_attempts", "must be at least 1".into());
        }
        if !(w.backoff_base_secs.is_finite() && w.backoff_base_secs >= 0.0) {
            return invalid("worker.backoff_base_secs", "must be 0 or more".into());
        }
        if !(w.prune_after_hours.is_finite() && w.prune_after_hours >= 0.0) {
            return invalid("worker.prune_after_hours", "must be 0 or more".into());
        }
        if w.job_timeout_secs == 0 {
            return invalid("worker.job_timeout_secs", "must be at least 1".into());
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections", "must be at least 1".into());
        }
        Ok(())
    }

    /// Open the database these settings name (see [`crate::db::connect`]).
    pub async fn connect(&self) -> Result<crate::db::Database, crate::db::DbError> {
        crate::db::connect(&self.database, &self.data_dir).await
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

    /// The overrides of flags given as `--flag value` pairs.
    fn cli(args: &[&str]) -> Overrides {
        let mut o = Overrides::default();
        for pair in args.chunks(2) {
            let value = pair[1].to_string();
            match pair[0] {
                "--config" => o.config = Some(value.into()),
                "--data-dir" => o.data_dir = Some(value.into()),
                "--database-url" => o.database_url = Some(value),
                other => panic!("no such flag in these tests: {other}"),
            }
        }
        o
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

    #[test]
    fn settings_that_do_not_work_together_are_refused_at_load() {
        let err = Config::load_from(
            &cli(&[]),
            env(&[
                ("PHARMACY_INGEST_WORKER_LEASE_SECS", "2"),
                ("PHARMACY_INGEST_WORKER_HEARTBEAT_MS", "1500"),
            ]),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("worker.heartbeat_ms") && msg.contains("lease"),
            "{msg}"
        );
        let err = Config::load_from(
            &cli(&[]),
            env(&[("PHARMACY_INGEST_WORKER_CONCURRENCY", "0")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("worker.concurrency"), "{err}");
        Config::load_from(&cli(&[]), env(&[])).expect("the defaults work together");
    }
}
