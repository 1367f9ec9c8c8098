//! The command line ([`cli`]) and one module per subcommand: its clap `Opts` and its `run`.
//! [`dispatch`] loads the
//! configuration, starts logging and a tokio runtime, and calls the command.

pub mod cli;
pub mod db;
pub mod demo_data;
pub mod enqueue;
pub mod identity;
pub mod ids;
pub mod import;
pub mod imports;
pub mod jobs;
pub mod migrate;
pub mod preview;
pub mod psql;
pub mod run;
pub mod stores;
pub mod templates;

use crate::config::Config;
use cli::{Cli, Command};
use std::process::ExitCode;

/// What every command gets: the resolved configuration.
#[derive(Debug, Clone)]
pub struct Context {
    pub config: Config,
    /// `--as NAME`, when given.
    pub operator: Option<String>,
}

impl Context {
    /// Who runs this command, as recorded in `created_by` / `reverted_by` (`cli:<name>`).
    pub fn operator(&self) -> String {
        identity::operator(self.operator.as_deref())
    }
}

/// Run the parsed command line; the exit code says success, partial success or failure.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(&cli.overrides())?;
    crate::ops::logging::init(cli.log_json);
    let ctx = Context {
        config,
        operator: cli.operator.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async move {
        match cli.command {
            Command::Migrate(o) => migrate::run(o, &ctx).await,
            Command::Db(o) => db::run(o, &ctx).await,
            Command::DemoData(o) => demo_data::run(o, &ctx).await,
            Command::Stores(o) => stores::run(o, &ctx).await,
            Command::Preview(o) => preview::run(o, &ctx).await,
            Command::Templates(o) => templates::run(o, &ctx).await,
            Command::Run(o) => run::run(o, &ctx).await,
            Command::Enqueue(o) => enqueue::run(o, &ctx).await,
            Command::Import(o) => import::run(o, &ctx).await,
            Command::Jobs(o) => jobs::run(o, &ctx).await,
            Command::Imports(o) => imports::run(o, &ctx).await,
        }
    });
    // A blocking thread stuck in the kernel (a read on a dead share) must not keep the
    // process alive once the command is done.
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}
