//! Database access: settings, the pool, migrations and the embedded cluster.

use serde::Deserialize;

/// `[database]` settings.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbSettings {
    /// PostgreSQL URL; `None` means the embedded cluster under the data folder.
    pub url: Option<String>,
}

impl std::fmt::Debug for DbSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSettings")
            .field("url", &self.url.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}
