//! pharmacy-ingest: imports pharmacy staff schedules (spreadsheets, CSV, PDF) into PostgreSQL.
//!
//! Code map, top layer first; a module uses only those below it (see `ARCHITECTURE.md`,
//! "Layers"; `tests/it/layers.rs` refuses an import cycle):
//!
//! - [`commands`] — the clap command line ([`commands::cli`]) and one module per subcommand.
//! - [`config`] — typed settings from `pharmacy-ingest.toml`, environment and flags.
//! - [`worker`] — the queue's work for import jobs: read, plan, one transaction, file moves.
//! - [`intake`] — the watched folders: events, rescan, settle check, file moves.
//! - [`ops`] — `/healthz`, `/metrics`, logging, signals and shutdown.
//! - [`queue`] — `import_jobs`: enqueue, claim + lease, rescue, the generic runner loop.
//! - [`import`] — the import job service, the one-transaction write, revert, reports.
//! - [`pipeline`] — file → plan (pure): read, choose a template, extract, validate.
//! - [`validate`] — row issues with cell references.
//! - [`extract`] — Grid + template → shifts (rows and grid layouts).
//! - [`template`] — processing templates as data: model, checked set, sync to the database.
//! - [`values`] — dates, shift times, names and phones as cells write them.
//! - [`schedule`] — the domain types: `Shift`, `Issue`, `Plan`, import mode and source.
//! - [`read`] — file → [`read::grid::Grid`] (xlsx/xls/xlsb/ods, CSV, PDF); pure, synchronous.
//! - [`db`] — pool, migrations, advisory locks, the embedded PostgreSQL cluster.

pub mod commands;
pub mod config;
pub mod db;
pub mod extract;
pub mod import;
pub mod intake;
pub mod ops;
pub mod pipeline;
pub mod queue;
pub mod read;
pub mod schedule;
pub mod template;
pub mod validate;
pub mod values;
pub mod worker;
