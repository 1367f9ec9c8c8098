//! Sync between the template files and the database, which is the source of truth at run time.
//!
//! [`sync_file_templates`] upserts each file template into `processing_templates` (with
//! `source = 'file'`) and its column aliases into `data_mappings`, only when the normalised
//! definition changed (the checksum of its JSON, so a changed code default reaches a running
//! database even when the TOML text did not change). Aliases an operator added in
//! `data_mappings` are kept. A template an operator created in the database
//! (`source = 'database'`) is never overwritten, even when a file has the same name.
//! `is_active` is left as the operator set it. Syncs are serialised by an advisory lock, so
//! workers started together on a fresh database do not race on the template names.
//!
//! [`load_active`] reads the active rows back into a [`TemplateSet`]: the `definition` JSON is
//! the template, and its `data_mappings` rows (which operators edit to add aliases) replace the
//! definition's column aliases when the template has any.

use super::model::{Field, Layout, Template};
use super::set::{CompiledTemplate, TemplateError, TemplateSet, checksum};
use sqlx::postgres::PgRow;
use sqlx::{Acquire, PgPool, Postgres, Row};
use std::collections::HashMap;
use uuid::Uuid;

/// Why the sync or the load failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A database statement failed.
    #[error("template sync: database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored template could not be used.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A definition could not be turned into JSON.
    #[error("template {name}: cannot store the definition: {source}")]
    Encode {
        name: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What a sync did, by template name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub inserted: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// File templates not written because an operator's template has the name.
    pub kept_database: Vec<String>,
}

/// Changes whenever a template or mapping row is added, changed or removed (the worker reloads
/// its templates when it does).
pub async fn fingerprint(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT (SELECT coalesce(max(updated_at)::text, '') || '#' || count(*) FROM processing_templates)
             || '/' ||
             (SELECT coalesce(max(updated_at)::text, '') || '#' || count(*) FROM data_mappings)",
    )
    .fetch_one(pool)
    .await
}

/// Upsert every template of `set` as a file template. A template is rewritten when its
/// normalised definition (the JSON stored in `definition`, so changed code defaults count too)
/// differs from the stored one; aliases an operator added in `data_mappings` are kept.
/// Concurrent syncs (several workers starting at once) are serialised by an advisory lock.
pub async fn sync_file_templates<'c>(
    db: impl Acquire<'c, Database = Postgres>,
    set: &TemplateSet,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    let mut tx = db.begin().await?;
    crate::db::locks::xact_lock(&mut tx, crate::db::locks::TEMPLATE_SYNC).await?;
    let names: Vec<&str> = set.iter().map(|t| t.name()).collect();
    // Every stored row of these names in one round trip; a file template is written only when
    // it is new or changed, which is rare.
    let mut stored: HashMap<String, PgRow> = sqlx::query(
        "SELECT id, name, source, checksum, definition FROM processing_templates \
         WHERE name = ANY($1) FOR UPDATE",
    )
    .bind(&names)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| Ok((row.try_get("name")?, row)))
    .collect::<Result<_, sqlx::Error>>()?;
    for t in set.iter() {
        let existing = stored.remove(t.name());
        sync_one(&mut tx, t, existing, &mut report).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Sync one file template inside the sync's transaction; `existing`: its stored row, locked.
async fn sync_one(
    tx: &mut sqlx::PgConnection,
    t: &CompiledTemplate,
    existing: Option<PgRow>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let name = t.name().to_string();
    let definition = serde_json::to_value(&t.def).map_err(|source| SyncError::Encode {
        name: name.clone(),
        source,
    })?;
    // serde_json's maps are sorted, so equal definitions give equal text.
    let sum = checksum(definition.to_string().as_bytes());
    let (id, previous) = match existing {
        None => {
            let id: Uuid = sqlx::query_scalar(
                "INSERT INTO processing_templates \
                   (name, description, layout, definition, source, checksum, priority) \
                 VALUES ($1, $2, $3, $4, 'file', $5, $6) RETURNING id",
            )
            .bind(&name)
            .bind(&t.def.description)
            .bind(t.def.layout.as_str())
            .bind(&definition)
            .bind(&sum)
            .bind(t.def.priority)
            .fetch_one(&mut *tx)
            .await?;
            report.inserted.push(name.clone());
            (id, None)
        }
        Some(row) => {
            let id: Uuid = row.try_get("id")?;
            let source: Option<String> = row.try_get("source")?;
            let old: Option<String> = row.try_get("checksum")?;
            if source.as_deref() != Some("file") {
                report.kept_database.push(name);
                return Ok(());
            }
            if old.as_deref() == Some(sum.as_str()) {
                report.unchanged.push(name);
                return Ok(());
            }
            let old_def: Option<serde_json::Value> = row.try_get("definition")?;
            sqlx::query(
                "UPDATE processing_templates SET description = $2, layout = $3, \
                   definition = $4, checksum = $5, priority = $6, updated_at = now() \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(&t.def.description)
            .bind(t.def.layout.as_str())
            .bind(&definition)
            .bind(&sum)
            .bind(t.def.priority)
            .execute(&mut *tx)
            .await?;
            report.updated.push(name.clone());
            let previous = old_def.and_then(|d| serde_json::from_value::<Template>(d).ok());
            (id, Some(previous))
        }
    };
    write_mappings(tx, id, &t.def, previous).await
}

/// Write a file template's aliases to `data_mappings`, keeping what operators added: an alias
/// stored for a field that the previous file version did not have is the operator's and stays.
/// `previous`: `None` for a new template; `Some(None)` when the previous definition cannot be
/// read (then every stored alias is kept).
async fn write_mappings(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    def: &Template,
    previous: Option<Option<Template>>,
) -> Result<(), SyncError> {
    let stored: Vec<(String, Vec<String>)> = match previous {
        None => Vec::new(),
        Some(_) => {
            sqlx::query_as("SELECT target_field, aliases FROM data_mappings WHERE template_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
        }
    };
    let previous = previous.flatten();
    let operators = |field: &str| -> Vec<String> {
        let was_file: &[String] = match (previous.as_ref(), Field::parse(field)) {
            (Some(p), Some(f)) => p.columns.get(f),
            _ => &[],
        };
        stored
            .iter()
            .filter(|(f, _)| f == field)
            .flat_map(|(_, a)| a.iter())
            .filter(|a| !was_file.contains(a))
            .cloned()
            .collect()
    };
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for (field, aliases) in def.columns.mapped() {
        let mut merged = aliases.clone();
        for a in operators(field.as_str()) {
            if !merged.contains(&a) {
                merged.push(a);
            }
        }
        rows.push((field.as_str().to_string(), merged));
    }
    for (field, _) in &stored {
        if rows.iter().all(|(f, _)| f != field) {
            let kept = operators(field);
            rows.push((field.clone(), kept));
        }
    }
    for (position, (field, aliases)) in rows.iter().enumerate() {
        if aliases.is_empty() {
            sqlx::query("DELETE FROM data_mappings WHERE template_id = $1 AND target_field = $2")
                .bind(id)
                .bind(field)
                .execute(&mut *tx)
                .await?;
            continue;
        }
        sqlx::query(
            "INSERT INTO data_mappings (template_id, target_field, aliases, position) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (template_id, target_field) \
             DO UPDATE SET aliases = EXCLUDED.aliases, position = EXCLUDED.position",
        )
        .bind(id)
        .bind(field)
        .bind(aliases)
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Store a template an operator accepted (`templates suggest --save`) as a database template
/// (`source = 'database'`: never overwritten by a file sync) with its `data_mappings` rows.
/// Refuses a name that is taken.
pub async fn save_database_template(
    pool: &PgPool,
    t: &CompiledTemplate,
) -> Result<Option<Uuid>, SyncError> {
    let definition = serde_json::to_value(&t.def).map_err(|source| SyncError::Encode {
        name: t.name().to_string(),
        source,
    })?;
    let mut tx = pool.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO processing_templates \
           (name, description, layout, definition, source, checksum, priority) \
         VALUES ($1, $2, $3, $4, 'database', $5, $6) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(t.name())
    .bind(&t.def.description)
    .bind(t.def.layout.as_str())
    .bind(&definition)
    .bind(&t.checksum)
    .bind(t.def.priority)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    for (position, (field, aliases)) in t.def.columns.mapped().enumerate() {
        sqlx::query(
            "INSERT INTO data_mappings (template_id, target_field, aliases, position) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(field.as_str())
        .bind(aliases)
        .bind(position as i32)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Some(id))
}

/// Load the active templates from the database. A row that cannot be used (a definition that
/// does not fit the model, a bad regular expression) is skipped with an error in the log, so one
/// broken operator template does not stop every import.
pub async fn load_active<'c>(
    db: impl Acquire<'c, Database = Postgres>,
) -> Result<TemplateSet, SyncError> {
    let mut conn = db.acquire().await?;
    let rows = sqlx::query(
        "SELECT id, name, description, layout, definition, priority FROM processing_templates \
         WHERE is_active ORDER BY priority DESC, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids = rows
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<Vec<Uuid>, _>>()?;
    let mut mappings: HashMap<Uuid, Vec<(String, Vec<String>)>> = HashMap::new();
    let all: Vec<(Uuid, String, Vec<String>)> = sqlx::query_as(
        "SELECT template_id, target_field, aliases FROM data_mappings \
         WHERE template_id = ANY($1) ORDER BY position NULLS LAST, target_field",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for (id, field, aliases) in all {
        mappings.entry(id).or_default().push((field, aliases));
    }
    let mut templates = Vec::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("id")?;
        let mapped = mappings.remove(&id).unwrap_or_default();
        if let Some(t) = stored_template(&row, mapped)? {
            templates.push(t);
        }
    }
    Ok(TemplateSet::new(templates)?)
}

/// The template of a `processing_templates` row with its `data_mappings` rows (field, aliases;
/// in their order), compiled; `None` (logged) when it cannot be used.
fn stored_template(
    row: &PgRow,
    mappings: Vec<(String, Vec<String>)>,
) -> Result<Option<CompiledTemplate>, SyncError> {
    let name: String = row.try_get("name")?;
    let description: Option<String> = row.try_get("description")?;
    let priority: Option<i32> = row.try_get("priority")?;
    let definition: serde_json::Value = row.try_get("definition")?;
    let mut def: Template = match serde_json::from_value(definition.clone()) {
        Ok(d) => d,
        Err(source) => {
            let e = TemplateError::Json {
                name: name.clone(),
                source,
            };
            tracing::error!(template = %name, error = %e, "template skipped: it cannot be used");
            return Ok(None);
        }
    };
    // The row's own columns win over the JSON copy.
    def.name = name.clone();
    let layout: String = row.try_get("layout")?;
    def.layout = match layout.as_str() {
        "grid" => Layout::Grid,
        _ => Layout::Rows,
    };
    if let Some(d) = description {
        def.description = d;
    }
    if let Some(p) = priority {
        def.priority = p;
    }
    if !mappings.is_empty() {
        def.columns = Default::default();
        for (field, aliases) in mappings {
            match Field::parse(&field) {
                Some(f) => *def.columns.get_mut(f) = aliases,
                None => tracing::warn!(
                    template = %name,
                    target_field = %field,
                    "data_mappings row with an unknown target_field ignored"
                ),
            }
        }
    }
    let sum = checksum(definition.to_string().as_bytes());
    match CompiledTemplate::compile(def, sum, "database".to_string()) {
        Ok(t) => Ok(Some(t)),
        // One broken operator template must not stop every import: skip it, loudly.
        Err(e) => {
            tracing::error!(template = %name, error = %e, "template skipped: it cannot be used");
            Ok(None)
        }
    }
}
