//! Operations: logging, `/healthz` and `/metrics`, signals and shutdown.

pub mod logging;

use serde::Deserialize;

/// `[http]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Loopback address for `/healthz` and `/metrics`; empty disables the server.
    pub listen: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            listen: "127.0.0.1:9187".into(),
        }
    }
}
