//! `pharmacy-ingest run`: not built yet (its issue builds it).

use super::Context;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {}

pub async fn run(_opts: Opts, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this command is not built yet")
}
