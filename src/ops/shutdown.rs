//! One [`CancellationToken`] for the whole process, cancelled by SIGINT or SIGTERM. Everything
//! long-running (claim loop, intake, HTTP server) stops on it; in-flight imports get a grace
//! period. A second signal exits at once.

use tokio_util::sync::CancellationToken;

/// A token cancelled at the first SIGINT/SIGTERM. Must be called inside a tokio runtime.
pub fn on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested: no new jobs are claimed");
        t.cancel();
        wait_for_signal().await;
        tracing::warn!("second signal: exiting now; unfinished jobs will be rescued");
        std::process::exit(130);
    });
    token
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
