//! The grid's layout families (`fixtures/families/`, made by
//! `scripts/make_family_fixtures.py`): In/Out sub-columns, several weeks on a sheet, monthly
//! rosters, shift slots × days, shift codes with a legend, multi-line cells and totals, the
//! printed PDF week view. Each file yields exactly its `NAME.expected.json` shifts and issues
//! with the shipped templates and no flags, and then imports into PostgreSQL as previewed.

use crate::import::seed_stores;
use crate::preview::{preview_json, shift_keys};
use crate::support::TestDb;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/families")
}

fn expected(path: &Path) -> Value {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let text = std::fs::read_to_string(fixtures().join(format!("{stem}.expected.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn family_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_family_reads_exactly_with_the_shipped_templates() {
    let files = family_files();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let want = expected(path);
        let (out, got) = preview_json(path);
        if shift_keys(&got["shifts"]) != shift_keys(&want["shifts"]) {
            failures.push(format!("{name}: shifts differ"));
            continue;
        }
        let codes = |v: &Value| {
            let mut c: Vec<String> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let cell = i["cell"].as_str().unwrap_or("");
                    let a1 = cell.rsplit_once('!').map(|(_, a)| a).unwrap_or(cell);
                    format!("{} {a1}", i["code"].as_str().unwrap())
                })
                .collect();
            c.sort();
            c
        };
        if codes(&got["issues"]) != codes(&want["issues"]) {
            failures.push(format!(
                "{name}: issues {:?}, expected {:?}",
                codes(&got["issues"]),
                codes(&want["issues"])
            ));
        }
        if out.status.code() != Some(0) {
            failures.push(format!("{name}: exit {:?}", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(files.len() >= 15, "only {} family fixtures", files.len());
}

#[tokio::test]
async fn a_monthly_roster_of_codes_imports_as_previewed() {
    let db = TestDb::new().await;
    let path = fixtures().join("monthly_german_codes.xlsx");
    let want = expected(&path);
    seed_stores(db.pool(), &[12]).await;
    let out = db.command().arg("import").arg(&path).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM store_schedules s JOIN stores st ON st.id = s.store_id WHERE st.store_number = 12",
    )
    .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(n as usize, want["shifts"].as_array().unwrap().len());
}
