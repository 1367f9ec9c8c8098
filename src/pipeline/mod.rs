//! The pure pipeline above templates and extraction: a file's bytes in, a
//! [`crate::schedule::Plan`] out. No database, no I/O beyond the file given.
//!
//! - [`plan`]: read → choose a template → extract → validate.
//! - [`matcher`]: scores every template against a file by trial runs of the extractor and
//!   picks the best; a refusal is a typed [`matcher::Rejection`].
//! - [`suggest`]: proposes a template for a file no template reads (`templates suggest`).
//!
//! Dependencies point down only: `pipeline` → `validate` → `extract` → `template` (data) →
//! `values`, `read`.

pub mod matcher;
pub mod plan;
pub mod suggest;
