//! Template sync: file templates are upserted into `processing_templates` + `data_mappings`
//! (only when their checksum changed), operators' templates are never overwritten, and the
//! runtime set is read back from the active rows.

use crate::support::TestDb;
use pharmacy_ingest::template::TemplateSet;
use pharmacy_ingest::template::set::CompiledTemplate;
use pharmacy_ingest::template::sync::{load_active, sync_file_templates};

#[tokio::test]
async fn file_templates_are_synced_once_and_read_back() {
    let db = TestDb::new().await;
    let set = TemplateSet::embedded().unwrap();

    let first = sync_file_templates(db.pool(), &set).await.unwrap();
    assert_eq!(first.inserted.len(), set.len());
    let again = sync_file_templates(db.pool(), &set).await.unwrap();
    assert!(again.inserted.is_empty() && again.updated.is_empty());
    assert_eq!(again.unchanged.len(), set.len());

    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, source, layout FROM processing_templates ORDER BY name")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert!(rows.iter().all(|(_, source, _)| source == "file"));
    let mappings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM data_mappings m JOIN processing_templates t ON t.id = m.template_id \
         WHERE t.name = 'rows-standard' AND m.target_field = 'employee_name' AND 'Employee Name' = ANY(m.aliases)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(mappings, 1);

    let loaded = load_active(db.pool()).await.unwrap();
    assert_eq!(loaded.len(), set.len());
    for t in set.iter() {
        let back = loaded.get(t.name()).unwrap();
        assert_eq!(back.def, t.def, "{} round-trips", t.name());
    }
}

#[tokio::test]
async fn changed_files_update_and_operator_templates_are_kept() {
    let db = TestDb::new().await;
    let v1 = CompiledTemplate::from_toml(
        "t.toml",
        "name = \"shop\"\nlayout = \"grid\"\n[columns]\nemployee_name = [\"Employee\"]\n",
        "test".into(),
    )
    .unwrap();
    let set = TemplateSet::new(vec![v1]).unwrap();
    sync_file_templates(db.pool(), &set).await.unwrap();

    // An operator adds an alias in data_mappings and deactivates nothing: it is used.
    sqlx::query(
        "UPDATE data_mappings SET aliases = aliases || '{Mitarbeiter}'::text[] \
         WHERE target_field = 'employee_name'",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let loaded = load_active(db.pool()).await.unwrap();
    assert_eq!(
        loaded.get("shop").unwrap().def.columns.employee_name,
        vec!["Employee".to_string(), "Mitarbeiter".to_string()]
    );

    // The file changes: the row is updated, the file's aliases replaced, and the alias the
    // operator added is kept (issue 8 point 5: sync never deletes operators' aliases).
    let v2 = CompiledTemplate::from_toml(
        "t.toml",
        "name = \"shop\"\nlayout = \"grid\"\npriority = 5\n[columns]\nemployee_name = [\"Staff\"]\n",
        "test".into(),
    )
    .unwrap();
    let report = sync_file_templates(db.pool(), &TemplateSet::new(vec![v2]).unwrap())
        .await
        .unwrap();
    assert_eq!(report.updated, vec!["shop".to_string()]);
    let loaded = load_active(db.pool()).await.unwrap();
    let shop = loaded.get("shop").unwrap();
    assert_eq!(shop.def.priority, 5);
    assert_eq!(
        shop.def.columns.employee_name,
        vec!["Staff".to_string(), "Mitarbeiter".to_string()]
    );

    // An operator's own template of the same name as a file template is never overwritten.
    sqlx::query(
        "UPDATE processing_templates SET source = 'database', layout = 'rows' WHERE name = 'shop'",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let v3 = CompiledTemplate::from_toml(
        "t.toml",
        "name = \"shop\"\nlayout = \"grid\"\npriority = 9\n[columns]\nemployee_name = [\"Name\"]\n",
        "test".into(),
    )
    .unwrap();
    let report = sync_file_templates(db.pool(), &TemplateSet::new(vec![v3]).unwrap())
        .await
        .unwrap();
    assert_eq!(report.kept_database, vec!["shop".to_string()]);
    let priority: i32 =
        sqlx::query_scalar("SELECT priority FROM processing_templates WHERE name = 'shop'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(priority, 5);

    // A broken operator template is skipped, the others still load.
    sqlx::query(
        "INSERT INTO processing_templates (name, layout, definition) VALUES ('broken', 'rows', '{\"name\": 1}')",
    )
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE processing_templates SET layout = 'grid' WHERE name = 'shop'")
        .execute(db.pool())
        .await
        .unwrap();
    let loaded = load_active(db.pool()).await.unwrap();
    assert_eq!(loaded.names(), vec!["shop"]);

    // Inactive templates are not loaded.
    sqlx::query("UPDATE processing_templates SET is_active = false")
        .execute(db.pool())
        .await
        .unwrap();
    assert!(load_active(db.pool()).await.unwrap().is_empty());
}
