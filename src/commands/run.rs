//! `pharmacy-ingest run`: the long-running worker. Opens the database (the embedded cluster by
//! default, migrated on the spot), syncs the processing templates, publishes the path roots,
//! then runs the watched folders, the job queue and the `/healthz` + `/metrics` server until
//! SIGINT/SIGTERM.

use super::Context;
use crate::intake::Intake;
use crate::ops::http::{self, OpsState};
use crate::ops::metrics::Metrics;
use crate::worker::ImportWork;
use anyhow::Context as _;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Jobs run at once (overrides `worker.concurrency`).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Serve the queue only: do not watch folders.
    #[arg(long)]
    pub no_intake: bool,
    /// Address for `/healthz` and `/metrics` (overrides `http.listen`; empty disables).
    #[arg(long)]
    pub listen: Option<String>,
}

pub async fn run(opts: Opts, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut config = ctx.config.clone();
    if let Some(c) = opts.concurrency {
        config.worker.concurrency = c.max(1);
    }
    if let Some(l) = opts.listen {
        config.http.listen = l;
    }
    if opts.no_intake {
        config.intake.enabled = false;
    }
    let http_addr = http::address(&config.http)?;
    let shutdown = crate::ops::shutdown::on_signals(std::time::Duration::from_secs(
        config.worker.shutdown_grace_secs,
    ));

    let db = config.connect().await?;
    let result = serve(ctx, &config, &db, http_addr, shutdown).await;
    db.close().await?;
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    ctx: &Context,
    config: &crate::config::Config,
    db: &crate::db::Database,
    http_addr: Option<std::net::SocketAddr>,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    crate::db::migrations::prepare(db).await?;
    let pool = db.pool().clone();
    let worker_id = config.worker.worker_id();

    let plan_options = super::import::plan_options(ctx, &pool).await?;
    tracing::info!(
        templates = plan_options.templates.len(),
        "processing templates synced and loaded"
    );

    let layouts = if config.intake.enabled {
        config.intake.layouts(&config.data_dir)?
    } else {
        Vec::new()
    };
    let read_roots = publish_roots(config, &pool, &layouts).await?;
    let metrics = Arc::new(Metrics::default());
    let kick = Arc::new(Notify::new());
    let http_task = match http_addr {
        Some(addr) => {
            let state = OpsState {
                pool: pool.clone(),
                metrics: metrics.clone(),
                worker_id: worker_id.clone(),
            };
            let (bound, task) = http::bind(addr, state, shutdown.clone()).await?;
            tracing::info!(address = %bound, "serving /healthz and /metrics");
            Some(task)
        }
        None => None,
    };

    let intake_task = if layouts.is_empty() {
        None
    } else {
        for l in &layouts {
            tracing::info!(inbox = %l.inbox.display(), "watching folder");
        }
        let intake = Intake::new(
            pool.clone(),
            layouts,
            config.intake.clone(),
            kick.clone(),
            metrics.clone(),
        )
        .with_max_file_bytes(config.read.max_file_bytes);
        Some(tokio::spawn(intake.run(shutdown.clone())))
    };

    let work = ImportWork {
        read_roots,
        metrics,
        partial_folder: config.intake.partial_folder.clone(),
        ..ImportWork::new(
            pool.clone(),
            config.worker.clone(),
            &worker_id,
            plan_options,
        )
    };
    let mut runner = work.into_runner();
    runner.kick = kick;
    runner.listen_url = listen_url(config, db);
    runner.session_pool = db.pooler() != crate::db::pooler::Pooler::Transaction;
    let runner = Arc::new(runner);
    let reload = tokio::spawn(runner.work.clone().keep_templates_fresh(shutdown.clone()));
    // On a worker thread of the runtime, not the main thread's `block_on`: the jobs the claim
    // loop spawns then start on the thread that claimed them, instead of waking another
    // (0.5–0.8 ms between a claim's answer and the job's first statement on an idle worker).
    let res = match tokio::spawn(runner.run(shutdown.clone())).await {
        Ok(res) => res.map_err(anyhow::Error::from),
        Err(e) => Err(anyhow::anyhow!(
            "the worker's claim loop ended abnormally: {e}"
        )),
    };
    shutdown.cancel();
    if let Some(t) = intake_task {
        match t.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "the watched folders stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "the watched folders task failed"),
            Ok(Ok(())) => {}
        }
    }
    if let Some(t) = http_task {
        let _ = t.await;
    }
    let _ = reload.await;
    res?;
    Ok(())
}

/// The folders this worker reads path jobs from (`worker.path_roots` and its `processing/`
/// folders), published with its file size limit so `enqueue_import` can check paths.
async fn publish_roots(
    config: &crate::config::Config,
    pool: &sqlx::PgPool,
    layouts: &[crate::intake::Layout],
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut read_roots: Vec<std::path::PathBuf> = Vec::new();
    for r in &config.worker.path_roots {
        read_roots.push(
            r.canonicalize()
                .with_context(|| format!("worker.path_roots: {} does not exist", r.display()))?,
        );
    }
    read_roots.extend(layouts.iter().map(|l| l.processing.clone()));
    let host = crate::queue::host_name();
    crate::queue::roots::publish(pool, &host, &read_roots)
        .await
        .context("publishing the import roots")?;
    crate::queue::roots::publish_file_limit(pool, &host, config.read.max_file_bytes)
        .await
        .context("publishing the read limit")?;
    Ok(read_roots)
}

/// Where to LISTEN: the direct URL when set; the pool's URL unless it is a transaction pooler
/// (then poll only).
fn listen_url(config: &crate::config::Config, db: &crate::db::Database) -> Option<String> {
    if !config.worker.listen {
        return None;
    }
    let url = db.session_url();
    if url.is_none() {
        tracing::info!(
            "database.url is a transaction pooler and no direct_url is set: polling for jobs"
        );
    }
    url.map(str::to_string)
}
