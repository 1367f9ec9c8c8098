//! Processing templates: the TOML model, matching a file to a template, sync to the database.
//!
//! - [`model`]: what a template says (serde, `deny_unknown_fields`).
//! - [`set`]: the checked set in use — embedded defaults, a folder override, or the database.
//! - [`matcher`]: scores every template against a file and picks the best.
//! - [`suggest`]: proposes a template for a file no template reads (`templates suggest`).
//! - [`sync`]: upserts the file templates into `processing_templates` + `data_mappings` and
//!   loads the active set back (the database is the source of truth at run time).

pub mod matcher;
pub mod model;
pub mod set;
pub mod suggest;
pub mod sync;

pub use model::{Layout, Template};
pub use set::{CompiledTemplate, TemplateError, TemplateSet};
