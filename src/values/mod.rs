//! Typed values from cell text, shared by templates, extraction and hints: the dates schedules
//! write ([`dates`]), the one shift-time grammar ([`timespec`]), and employee names and phones
//! normalised for storage ([`names`]).
//!
//! This module depends only on [`crate::read`] (a cell), so templates can check their own
//! values without depending on extraction.

pub mod dates;
pub mod names;
pub mod timespec;

use std::borrow::Cow;

/// A short text in lower case: on the stack for ASCII that fits `buf` (the cells and words the
/// grammar reads, thousands per file), else allocated.
pub fn lowercase_in<'a, const N: usize>(s: &'a str, buf: &'a mut [u8; N]) -> Cow<'a, str> {
    if s.is_ascii() && s.len() <= N {
        let b = &mut buf[..s.len()];
        b.copy_from_slice(s.as_bytes());
        b.make_ascii_lowercase();
        if let Ok(lower) = std::str::from_utf8(b) {
            return Cow::Borrowed(lower);
        }
    }
    Cow::Owned(s.to_lowercase())
}
