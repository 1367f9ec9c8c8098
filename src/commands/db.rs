//! `pharmacy-ingest db status|psql`: schema version, pending migrations, tables with row
//! counts, and the server in use (URL without its password, or the embedded cluster's
//! folder/port); `psql` opens psql on the database in use (the embedded cluster stays up while
//! it runs) or prints how to connect.
//! `pharmacy-ingest db realtime enable|disable|status`: Supabase Realtime for schedules,
//! imports and jobs ([`crate::db::realtime`]).

use super::Context;
use crate::db::{self, Server, status};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Opts {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Schema version, tables with row counts, and the database in use.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Open psql on the database in use (the embedded cluster stays up while psql runs).
    Psql {
        /// Print how to connect instead (the password stays in its file or your
        /// configuration, never printed).
        #[arg(long)]
        print: bool,
        /// Further arguments for psql (after `--`), e.g. `-- -c 'table import_jobs'`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Supabase Realtime: publish changes of store_schedules, document_imports and
    /// import_jobs in `supabase_realtime` (RLS still decides what a subscriber sees).
    Realtime {
        #[arg(value_enum)]
        action: RealtimeAction,
    },
}

/// What `db realtime` does.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RealtimeAction {
    /// Add the tables to the publication.
    Enable,
    /// Remove them.
    Disable,
    /// Show which are published.
    Status,
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    match opts.command {
        DbCommand::Status { json } => status_cmd(json, ctx).await,
        DbCommand::Psql { print, args } => super::psql::run(print, args, ctx).await,
        DbCommand::Realtime { action } => realtime_cmd(action, ctx).await,
    }
}

async fn realtime_cmd(action: RealtimeAction, ctx: &Context) -> anyhow::Result<ExitCode> {
    use crate::db::realtime;
    let db = ctx.config.connect().await?;
    let mut conn = db.connect_direct().await?;
    let result = match action {
        RealtimeAction::Enable => realtime::set(&mut conn, true).await,
        RealtimeAction::Disable => realtime::set(&mut conn, false).await,
        RealtimeAction::Status => realtime::published(&mut conn).await,
    };
    drop(conn);
    db.close().await?;
    let Some(tables) = result? else {
        eprintln!(
            "no `{}` publication in this database (not Supabase, or Realtime is not set up): nothing to do",
            realtime::PUBLICATION
        );
        return Ok(ExitCode::from(2));
    };
    let list = if tables.is_empty() {
        "none".to_string()
    } else {
        tables.join(", ")
    };
    match action {
        RealtimeAction::Enable => println!("added to {}: {list}", realtime::PUBLICATION),
        RealtimeAction::Disable => println!("removed from {}: {list}", realtime::PUBLICATION),
        RealtimeAction::Status => println!("published in {}: {list}", realtime::PUBLICATION),
    }
    Ok(ExitCode::SUCCESS)
}

async fn status_cmd(json: bool, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    let mut conn = db.pool().acquire().await?;
    let st = status::schema_status(&mut conn).await;
    drop(conn);
    let server = describe_server(&db);
    db.close().await?;
    let st = st?;
    if json {
        let out = serde_json::json!({ "database": server, "schema": st });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("database:       {}", server["url"].as_str().unwrap_or(""));
    if let Some(c) = server.get("cluster") {
        println!(
            "cluster:        embedded, {} (port {}, {})",
            c["pgdata"].as_str().unwrap_or(""),
            c["port"],
            if c["started_here"].as_bool() == Some(true) {
                "started by this command"
            } else {
                "already running"
            }
        );
    } else {
        println!("cluster:        external server");
    }
    println!(
        "schema version: {} (this program knows up to {})",
        st.version, st.latest_known
    );
    if !st.pending.is_empty() {
        let p: Vec<String> = st.pending.iter().map(|v| format!("{v:04}")).collect();
        println!(
            "pending:        {} (run `pharmacy-ingest migrate`)",
            p.join(", ")
        );
    }
    if st.tables.is_empty() {
        println!("tables:         none");
    } else {
        println!("tables:");
        let width = st.tables.iter().map(|t| t.name.len()).max().unwrap_or(0);
        for t in &st.tables {
            println!("  {:width$}  {:>9} rows", t.name, t.rows);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_server(db: &db::Database) -> serde_json::Value {
    match db.server() {
        Server::External => serde_json::json!({ "url": db.display_url() }),
        Server::Embedded {
            root,
            pgdata,
            port,
            started_here,
        } => serde_json::json!({
            "url": db.display_url(),
            "cluster": {
                "dir": root.display().to_string(),
                "pgdata": pgdata.display().to_string(),
                "port": port,
                "started_here": started_here,
            },
        }),
    }
}
