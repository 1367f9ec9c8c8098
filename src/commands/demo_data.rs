//! `pharmacy-ingest demo-data`: load the demo chain (five stores, ten employees: those of the sample
//! schedules in `fixtures/schedules/`) into the
//! database in use. Running it again changes nothing.

use super::Context;
use crate::db::stores;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {}

pub async fn run(_opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    let result = stores::load_demo_data(db.pool()).await;
    db.close().await?;
    let s = result?;
    println!(
        "demo data: {} store(s) and {} contact(s) added (a store or contact that already existed is kept)",
        s.stores_added, s.contacts_added
    );
    Ok(ExitCode::SUCCESS)
}
