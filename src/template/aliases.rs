//! Operators' column aliases (`pharmacy-ingest templates alias add|remove`): one more header
//! text a template accepts for a field, stored in its `data_mappings` row, which
//! [`super::sync::load_active`] prefers over the definition's aliases. Workers pick the change
//! up at their next template reload (the row's `updated_at` moves).
//!
//! Aliases compare as the matcher compares headers ([`super::set::norm_key`]: case, spacing and
//! punctuation ignored), so `Emp. Name` and `emp  name` are the same alias. The first alias
//! added to a database template without mapping rows copies its definition's aliases into
//! rows first, so its other fields keep theirs.

use super::model::Field;
use sqlx::PgPool;

/// Why an alias could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    /// No template of that name in `processing_templates`.
    #[error(
        "there is no template {0:?} in the database (pharmacy-ingest templates list --db shows them)"
    )]
    NoTemplate(String),
    /// The field is not one templates map.
    #[error("{field:?} is not a template field; fields: {known}")]
    NoField { field: String, known: String },
    /// The alias has no letter or digit (headers are compared by those alone).
    #[error("an alias must hold letters or digits (headers are compared by those alone)")]
    Empty,
    /// Adding: the field already has it.
    #[error("{template}.{field} already accepts {alias:?}")]
    Exists {
        template: String,
        field: String,
        alias: String,
    },
    /// Removing: the field does not have it.
    #[error("{template}.{field} has no alias {alias:?} (its aliases: {known})")]
    Missing {
        template: String,
        field: String,
        alias: String,
        known: String,
    },
    /// The database failed.
    #[error("template aliases: database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The key aliases are compared by (the matcher's header key).
pub fn alias_key(s: &str) -> String {
    super::set::norm_key(s)
}

fn parse_field(field: &str) -> Result<Field, AliasError> {
    Field::parse(field).ok_or_else(|| AliasError::NoField {
        field: field.to_string(),
        known: Field::ALL.map(Field::as_str).join(", "),
    })
}

/// The aliases `template` accepts for `field` now (from `data_mappings`; the definition's when
/// the template has no mapping rows).
pub async fn list(pool: &PgPool, template: &str, field: &str) -> Result<Vec<String>, AliasError> {
    let field = parse_field(field)?;
    let row: Option<(Option<Vec<String>>, serde_json::Value)> = sqlx::query_as(
        "SELECT (SELECT m.aliases FROM data_mappings m
                 WHERE m.template_id = t.id AND m.target_field = $2),
                t.definition
         FROM processing_templates t WHERE t.name = $1",
    )
    .bind(template)
    .bind(field.as_str())
    .fetch_optional(pool)
    .await?;
    let Some((mapped, definition)) = row else {
        return Err(AliasError::NoTemplate(template.to_string()));
    };
    Ok(mapped.unwrap_or_else(|| {
        definition["columns"][field.as_str()]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }))
}

/// Add `alias` to `template`'s `field`. Returns the field's aliases after the change.
pub async fn add(
    pool: &PgPool,
    template: &str,
    field: &str,
    alias: &str,
) -> Result<Vec<String>, AliasError> {
    let alias = alias.trim();
    if alias_key(alias).is_empty() {
        return Err(AliasError::Empty);
    }
    let mut aliases = list(pool, template, field).await?;
    if aliases.iter().any(|a| alias_key(a) == alias_key(alias)) {
        return Err(AliasError::Exists {
            template: template.into(),
            field: field.into(),
            alias: alias.into(),
        });
    }
    aliases.push(alias.to_string());
    store(pool, template, field, &aliases).await?;
    Ok(aliases)
}

/// Remove `alias` (compared by [`alias_key`]) from `template`'s `field`. Returns the field's
/// aliases after the change.
pub async fn remove(
    pool: &PgPool,
    template: &str,
    field: &str,
    alias: &str,
) -> Result<Vec<String>, AliasError> {
    let aliases = list(pool, template, field).await?;
    let kept: Vec<String> = aliases
        .iter()
        .filter(|a| alias_key(a) != alias_key(alias))
        .cloned()
        .collect();
    if kept.len() == aliases.len() {
        return Err(AliasError::Missing {
            template: template.into(),
            field: field.into(),
            alias: alias.into(),
            known: aliases.join(", "),
        });
    }
    store(pool, template, field, &kept).await?;
    Ok(kept)
}

/// Write the field's aliases (the mapping row is created when the template had none for it).
async fn store(
    pool: &PgPool,
    template: &str,
    field: &str,
    aliases: &[String],
) -> Result<(), AliasError> {
    let mut tx = pool.begin().await?;
    // A template without mapping rows takes its aliases from its definition; once it has one
    // row, rows are all there is, so copy the definition's aliases into rows first.
    sqlx::query(
        "INSERT INTO data_mappings (template_id, target_field, aliases)
         SELECT t.id, c.key, ARRAY(SELECT jsonb_array_elements_text(c.value))
         FROM processing_templates t, jsonb_each(t.definition -> 'columns') AS c
         WHERE t.name = $1 AND jsonb_typeof(c.value) = 'array' AND jsonb_array_length(c.value) > 0
           AND NOT EXISTS (SELECT 1 FROM data_mappings m WHERE m.template_id = t.id)",
    )
    .bind(template)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(
        "INSERT INTO data_mappings (template_id, target_field, aliases)
         SELECT id, $2, $3 FROM processing_templates WHERE name = $1
         ON CONFLICT (template_id, target_field)
         DO UPDATE SET aliases = EXCLUDED.aliases, updated_at = now()",
    )
    .bind(template)
    .bind(field)
    .bind(aliases)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AliasError::NoTemplate(template.to_string()));
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_compare_like_headers() {
        assert_eq!(alias_key("  Emp.   Name "), alias_key("emp name"));
        assert_ne!(alias_key("emp name"), alias_key("emp number"));
    }
}
