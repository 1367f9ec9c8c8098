//! Processing templates: the TOML model, matching a file to a template, sync to the database.
