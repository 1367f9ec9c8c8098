//! Operations: structured logging, `/healthz` and Prometheus `/metrics`, signals and shutdown.
//!
//! - [`logging`] — tracing subscriber (text or JSON); ids and counts only, never personal data.
//! - [`metrics`] — the counters and their Prometheus text rendering.
//! - [`http`] — the loopback HTTP server (axum) for `/healthz` and `/metrics`.
//! - [`shutdown`] — one `CancellationToken` fed by SIGINT and SIGTERM.
//! - [`peak`] — the peak-memory report the hostile-input suite asks for.
//! - [`allocator`] — glibc's mmap threshold fixed, so freed large buffers leave the process.

pub mod allocator;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod peak;
pub mod shutdown;

use serde::Deserialize;

/// `[http]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Loopback address for `/healthz` and `/metrics`; empty disables the server.
    pub listen: String,
    /// Allow a non-loopback address (a container whose port is published on purpose).
    pub allow_non_loopback: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            listen: "127.0.0.1:9187".into(),
            allow_non_loopback: false,
        }
    }
}

/// Errors of the operations boundary.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// `http.listen` is not an address, or not a loopback one.
    #[error("http.listen {addr:?}: {reason}")]
    BadAddress {
        /// The configured value.
        addr: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The address could not be bound (in use, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}
