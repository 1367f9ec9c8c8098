//! `pharmacy-ingest migrate`: apply pending migrations, or revert them (`--revert`, to zero
//! unless `--target` says otherwise). Runs on the direct connection (advisory locks).

use super::Context;
use crate::db::migrations;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Revert migrations instead of applying them (to version 0 unless --target is given).
    #[arg(long)]
    pub revert: bool,
    /// Stop at this version: apply up to it, or revert down to it.
    #[arg(long, value_name = "N")]
    pub target: Option<i64>,
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    let mut conn = db.connect_direct().await?;
    let result = if opts.revert {
        let target = opts.target.unwrap_or(0);
        migrations::down(&mut conn, target).await.map(|v| {
            if v.is_empty() {
                println!("nothing to revert (schema at version {target} or below)");
            } else {
                println!("reverted {} migration(s): {}", v.len(), list(&v));
            }
        })
    } else {
        migrations::up(&mut conn, opts.target).await.map(|v| {
            if v.is_empty() {
                println!("schema is up to date");
            } else {
                println!("applied {} migration(s): {}", v.len(), list(&v));
            }
        })
    };
    let version = migrations::current_version(&mut conn).await;
    drop(conn);
    db.close().await?;
    result?;
    println!("schema version: {}", version?);
    Ok(ExitCode::SUCCESS)
}

fn list(versions: &[i64]) -> String {
    versions
        .iter()
        .map(|v| format!("{v:04}"))
        .collect::<Vec<_>>()
        .join(", ")
}
