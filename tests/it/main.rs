//! The one integration-test binary: modules per capability, all against a real PostgreSQL
//! (see [`support`] for the harness: `TestDb::new().await` gives each test its own database).

// Test code (helpers included) may unwrap: a failure is the test's report.
#![allow(clippy::unwrap_used)]

mod support;

mod audit;
mod batch;
mod db_commands;
mod driver;
mod embedded;
mod exports;
mod families;
mod feedback;
mod folders;
mod fuzz;
mod hostile;
mod identity;
mod import;
mod intake;
mod job_results;
mod layers;
mod migrations;
mod operator;
mod pdf;
mod pooler;
mod preview;
mod queue;
mod readers;
mod reliability;
mod revert;
mod rls;
mod schema;
mod security;
mod statements;
mod streaming;
mod supabase;
mod templates;
mod worker;
