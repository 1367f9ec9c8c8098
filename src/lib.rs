//! pharmacy-ingest: imports pharmacy staff schedules (spreadsheets, CSV, PDF) into PostgreSQL.
//!
//! Code map (see `ARCHITECTURE.md` for the why):
//!
//! - [`cli`] — the clap command line; [`commands`] — one module per subcommand.
//! - [`config`] — typed settings from `pharmacy-ingest.toml`, environment and flags.
//! - [`db`] — pool, migrations, the embedded PostgreSQL cluster.
//! - [`read`] — file → [`read::grid::Grid`] (xlsx/xls/xlsb/ods, CSV, PDF); pure, synchronous.
//! - [`template`] — processing templates: model, matching, sync to the database.
//! - [`extract`] — Grid + template → shifts (rows and grid layouts, the shift-time grammar).
//! - [`validate`] — row issues with cell references.
//! - [`schedule`] — the domain types: `Shift`, `Issue`, `Plan`.
//! - [`import`] — plan (pure: file → plan), write (one transaction), revert.
//! - [`queue`] — `import_jobs`: enqueue, claim + lease, rescue, the runner loop.
//! - [`intake`] — the watched folders: events, rescan, settle check, file moves.
//! - [`ops`] — `/healthz`, `/metrics`, signals and shutdown.

pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod extract;
pub mod import;
pub mod intake;
pub mod ops;
pub mod queue;
pub mod read;
pub mod schedule;
pub mod template;
pub mod validate;
