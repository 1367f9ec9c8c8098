//! Processing templates as data: the TOML model, the checked set, sync to the database.
//! Choosing a template for a file (trial runs of the extractor) is
//! [`crate::pipeline::matcher`]'s; this module never depends on extraction.
//!
//! - [`model`]: what a template says (serde, `deny_unknown_fields`).
//! - [`set`]: the checked set in use — embedded defaults, a folder override, or the database.
//! - [`sync`]: upserts the file templates into `processing_templates` + `data_mappings` and
//!   loads the active set back (the database is the source of truth at run time).
//! - [`aliases`]: operators' column aliases (`templates alias add|remove`), kept across syncs.

pub mod aliases;
pub mod model;
pub mod set;
pub mod sync;

pub use model::{Layout, Template};
pub use set::{CompiledTemplate, TemplateError, TemplateSet};
