//! The watched folders: notify events plus a periodic rescan, the settle check, file moves.

use serde::Deserialize;
use std::path::PathBuf;

/// `[intake]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeSettings {
    /// Watched folders; empty means `inbox/` under the data folder.
    pub inboxes: Vec<PathBuf>,
}
