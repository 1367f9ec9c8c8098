//! `pharmacy-ingest stores add|list`: the stores schedules are imported for.

use super::Context;
use crate::db::stores;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    #[command(subcommand)]
    pub command: StoresCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum StoresCommand {
    /// Add a store (by its number alone, or with its address).
    Add {
        /// The store number schedules use.
        number: i32,
        /// Street address.
        #[arg(long)]
        address: Option<String>,
        /// City.
        #[arg(long)]
        city: Option<String>,
        /// State.
        #[arg(long)]
        state: Option<String>,
        /// ZIP code.
        #[arg(long)]
        zip: Option<String>,
        /// Phone.
        #[arg(long)]
        phone: Option<String>,
    },
    /// List the stores.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    crate::db::migrations::prepare(&db).await?;
    let result = match opts.command {
        StoresCommand::Add {
            number,
            address,
            city,
            state,
            zip,
            phone,
        } => {
            let no_address = address.is_none();
            let new = stores::NewStore {
                store_number: number,
                address: address.unwrap_or_default(),
                city: city.unwrap_or_default(),
                state: state.unwrap_or_default(),
                zip_code: zip.unwrap_or_default(),
                phone,
            };
            stores::add(db.pool(), &new)
                .await
                .map(|s| {
                    println!(
                        "added store {} ({}){}",
                        s.store_number,
                        s.id,
                        if no_address {
                            ", no address recorded"
                        } else {
                            ""
                        }
                    )
                })
                .map_err(anyhow::Error::from)
        }
        StoresCommand::List { json } => match stores::list(db.pool()).await {
            Ok(list) if json => serde_json::to_string_pretty(&list)
                .map(|s| println!("{s}"))
                .map_err(anyhow::Error::from),
            Ok(list) => {
                print_table(&list);
                Ok(())
            }
            Err(e) => Err(e.into()),
        },
    };
    db.close().await?;
    result?;
    Ok(ExitCode::SUCCESS)
}

fn print_table(list: &[stores::Store]) {
    if list.is_empty() {
        println!("no stores (add one with `pharmacy-ingest stores add`, or load `demo-data`)");
        return;
    }
    println!(
        "{:>7}  {:<28} {:<16} {:<5} {:<10} active",
        "number", "address", "city", "state", "zip"
    );
    for s in list {
        println!(
            "{:>7}  {:<28} {:<16} {:<5} {:<10} {}",
            s.store_number,
            s.address,
            s.city,
            s.state,
            s.zip_code,
            if s.is_active == Some(false) {
                "no"
            } else {
                "yes"
            }
        );
    }
}
