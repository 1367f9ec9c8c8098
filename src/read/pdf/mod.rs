//! PDF schedules: text with positions from lopdf, laid out into a table grid.
//!
//! - [`content`] interprets page content streams into positioned glyphs and ruling lines.
//! - [`fonts`] decodes shown strings (encodings, `ToUnicode`, CID fonts) and measures glyphs.
//! - [`words`] groups glyphs into words by pdfplumber's rules ([`extract_words`]).
//! - [`layout`] turns lines of glyphs into the rows and columns of a [`Grid`] ([`read_pdf`]).
//!
//! Loading goes through lopdf: damaged cross-reference tables are rebuilt by its lenient
//! loader, an empty user password is tried on encrypted files before
//! [`ReadOptions::password`]. lopdf is wrapped in `catch_unwind` as a last defence, and every
//! page is bounded in operations, form nesting and decompressed size.

pub mod content;
pub mod fonts;
pub mod layout;
mod tables;
pub mod words;

use super::ReadOptions;
use super::grid::Grid;
use content::{FontCache, Limits, PageContent};
use lopdf::{Document, LoadOptions};
use serde::Serialize;
pub use words::Word;

/// Why a PDF could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The PDF holds no text, only images (a scan).
    #[error("this PDF has no text layer: export the schedule as a spreadsheet or a text PDF")]
    NoTextLayer,
    /// The PDF is encrypted with a user password and none was given.
    #[error(
        "this PDF is protected by a password: import it again with --password, or ask the sender for an unprotected copy"
    )]
    PasswordRequired,
    /// The password given does not open the PDF.
    #[error("the password given does not open this PDF: check it and import again with --password")]
    WrongPassword,
    /// The file holds no bytes at all.
    #[error("this PDF file is empty (0 bytes): copy or download it again")]
    Empty,
    /// The file does not start like a PDF.
    #[error(
        "this file is not a PDF (it does not start with %PDF): check that the right file was sent"
    )]
    NotPdf,
    /// The file ends before the PDF does (an interrupted download or copy).
    #[error("this PDF is cut short (the end of the file is missing): copy or download it again")]
    Truncated,
    /// The PDF's structure is broken beyond what the repair can rebuild.
    #[error(
        "this PDF is damaged and could not be repaired ({reason}): ask the sender to export it again"
    )]
    Damaged {
        /// What the PDF library reported (structure only, never file content).
        reason: String,
    },
    /// More pages than `limits.max_pdf_pages` allows.
    #[error(
        "this PDF has {pages} pages, more than the {limit} allowed: split it or raise limits.max_pdf_pages"
    )]
    TooManyPages {
        /// Pages in the file.
        pages: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More text than any schedule holds (a hostile or mistaken file).
    #[error(
        "this PDF holds more than {limit} characters of text, far more than a schedule: check that the right file was sent"
    )]
    TooMuchText {
        /// The character limit for a whole document.
        limit: usize,
    },
    /// The PDF library failed unexpectedly on this file.
    #[error(
        "the PDF reader failed on this file (an internal error): ask the sender to export it again"
    )]
    ReaderFailed,
}

/// Most glyphs read from one document (a 500-page schedule holds well under a million).
const MAX_DOCUMENT_GLYPHS: usize = 5_000_000;

/// The words of one page, as pdfplumber's `extract_words()` would give them.
#[derive(Debug, Clone, Serialize)]
pub struct PageWords {
    /// One-based page number.
    pub page: u32,
    pub width: f64,
    pub height: f64,
    pub words: Vec<Word>,
}

/// Run `f`, turning a panic inside lopdf into [`PdfError::ReaderFailed`].
fn guarded<T>(f: impl FnOnce() -> Result<T, PdfError>) -> Result<T, PdfError> {
    super::guard::quietly(f).unwrap_or(Err(PdfError::ReaderFailed))
}

/// Whether the file ends like a PDF: `%%EOF` within its last 8 KiB.
fn has_eof_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(8192)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// Open the document: repair, decrypt, check the page limit.
fn load(bytes: &[u8], opts: &ReadOptions) -> Result<Document, PdfError> {
    if bytes.is_empty() {
        return Err(PdfError::Empty);
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    // A file cut short may still load in part after lopdf's repair; reading it would drop
    // rows silently, so it is refused.
    if !has_eof_marker(bytes) {
        return Err(PdfError::Truncated);
    }
    let options = LoadOptions {
        password: opts.password.clone(),
        ..LoadOptions::default()
    };
    let doc = match Document::load_mem_with_options(bytes, options) {
        Ok(doc) => doc,
        Err(lopdf::Error::InvalidPassword) => {
            return Err(if opts.password.is_some() {
                PdfError::WrongPassword
            } else {
                PdfError::PasswordRequired
            });
        }
        Err(e) => {
            return Err(PdfError::Damaged {
                reason: e.to_string(),
            });
        }
    };
    if doc.is_encrypted() && !doc.was_encrypted() {
        // lopdf leaves the document encrypted when no password it tried was accepted.
        return Err(if opts.password.is_some() {
            PdfError::WrongPassword
        } else {
            PdfError::PasswordRequired
        });
    }
    let pages = doc.get_pages().len();
    let limit = opts.limits.max_pdf_pages;
    if pages > limit {
        return Err(PdfError::TooManyPages { pages, limit });
    }
    if pages == 0 {
        return Err(PdfError::Damaged {
            reason: "no pages found".into(),
        });
    }
    Ok(doc)
}

/// Every page's glyphs and ruling lines.
pub fn extract_pages(bytes: &[u8], opts: &ReadOptions) -> Result<Vec<PageContent>, PdfError> {
    guarded(|| {
        let doc = load(bytes, opts)?;
        let mut fonts = FontCache::default();
        let limits = Limits::default();
        let mut pages = Vec::new();
        let mut glyphs = 0usize;
        for (number, id) in doc.get_pages() {
            let page = content::read_page(&doc, number, id, &mut fonts, limits);
            glyphs += page.glyphs.len();
            if glyphs > MAX_DOCUMENT_GLYPHS {
                return Err(PdfError::TooMuchText {
                    limit: MAX_DOCUMENT_GLYPHS,
                });
            }
            pages.push(page);
        }
        Ok(pages)
    })
}

/// The words of every page, by pdfplumber's default `extract_words()` rules.
pub fn extract_words(bytes: &[u8], opts: &ReadOptions) -> Result<Vec<PageWords>, PdfError> {
    let pages = extract_pages(bytes, opts)?;
    Ok(pages
        .iter()
        .map(|p| PageWords {
            page: p.number,
            width: p.width,
            height: p.height,
            words: words::words(&p.glyphs),
        })
        .collect())
}

/// Read a PDF's text into a grid.
pub fn read_pdf(bytes: &[u8], opts: &ReadOptions) -> Result<Grid, PdfError> {
    let pages = extract_pages(bytes, opts)?;
    let has_text = pages
        .iter()
        .any(|p| p.glyphs.iter().any(|g| !g.text.trim().is_empty()));
    if !has_text {
        return Err(PdfError::NoTextLayer);
    }
    guarded(|| Ok(layout::grid(&pages)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_pdf() {
        let err = read_pdf(b"PK\x03\x04 zip", &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, PdfError::NotPdf));
    }

    #[test]
    fn truncated_header_only() {
        let err = read_pdf(b"%PDF-1.7\n1 0 obj\n<<", &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, PdfError::Truncated), "{err:?}");
    }

    #[test]
    fn no_text_message_is_exact() {
        assert_eq!(
            PdfError::NoTextLayer.to_string(),
            "this PDF has no text layer: export the schedule as a spreadsheet or a text PDF"
        );
    }
}
