//! One [`CancellationToken`] for the whole process, cancelled by SIGINT or SIGTERM. Everything
//! long-running (claim loop, intake, HTTP server) stops on it; in-flight imports get a grace
//! period. A second signal exits at once, and so does a watchdog once the grace period and a
//! margin have passed: a thread stuck in the kernel (a read on a dead share) can never keep
//! the process alive after SIGTERM.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the watchdog allows beyond the grace period for releasing jobs and closing pools.
pub const EXIT_MARGIN: Duration = Duration::from_secs(10);

/// A token cancelled at the first SIGINT/SIGTERM; the process exits `grace` + [`EXIT_MARGIN`]
/// after that signal whatever is still running. Must be called inside a tokio runtime.
pub fn on_signals(grace: Duration) -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested: no new jobs are claimed");
        t.cancel();
        // A plain thread, so a wedged runtime cannot stop it.
        std::thread::spawn(move || {
            std::thread::sleep(grace + EXIT_MARGIN);
            tracing::error!(
                "shutdown took longer than the grace period: exiting now; unfinished jobs will be rescued"
            );
            std::process::exit(1);
        });
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
