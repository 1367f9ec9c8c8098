//! Scheduling products' exports (`fixtures/exports/`, made by
//! `scripts/make_export_fixtures.py`): each file yields exactly its `NAME.expected.json` shifts
//! and issues with the shipped templates and no flags. `templates suggest` on the layouts no
//! template reads (`fixtures/suggest/`): the suggested template reads each exactly, and
//! `--save` stores it as a database template.

use crate::support::{TestDb, bin, work_dir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn shift_keys(shifts: &Value) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in shifts.as_array().unwrap() {
        let key = format!(
            "{} | {} | {} | {}-{} | {}",
            s["store_number"],
            s["employee_name"].as_str().unwrap(),
            s["date"].as_str().unwrap(),
            s["start"].as_str().unwrap(),
            s["end"].as_str().unwrap(),
            s["position"]
        );
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

fn issue_keys(issues: &Value) -> Vec<String> {
    let mut v: Vec<String> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let cell = i["cell"].as_str().unwrap_or("");
            let a1 = cell.rsplit_once('!').map(|(_, a)| a).unwrap_or(cell);
            format!("{} {a1}", i["code"].as_str().unwrap())
        })
        .collect();
    v.sort();
    v
}

fn expected(folder: &Path, file: &str) -> Value {
    let stem = file.rsplit_once('.').unwrap().0;
    let text = std::fs::read_to_string(folder.join(format!("{stem}.expected.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn preview(file: &Path, extra: &[&str]) -> (std::process::Output, Value) {
    let wd = work_dir();
    let out = bin(wd.path())
        .args(["preview", "--format", "json"])
        .args(extra)
        .arg(file)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON ({e}): {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

fn files(folder: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    v.sort();
    v
}

/// Every product's export reads exactly, with the notices and errors it should have; open
/// shifts and the warnings never make the exit code 1.
#[test]
fn every_product_export_reads_exactly() {
    let folder = dir("exports");
    let names = files(&folder);
    assert!(names.len() >= 20, "{names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let want = expected(&folder, name);
        let (out, got) = preview(&folder.join(name), &[]);
        if shift_keys(&got["shifts"]) != shift_keys(&want["shifts"]) {
            failures.push(format!("{name}: shifts differ: got {}", got["shifts"]));
            continue;
        }
        if issue_keys(&got["issues"]) != issue_keys(&want["issues"]) {
            failures.push(format!("{name}: issues {:?}", issue_keys(&got["issues"])));
        }
        let rejected = got["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["severity"] == "error");
        if out.status.code() != Some(if rejected { 1 } else { 0 }) {
            failures.push(format!("{name}: exit {:?}", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An open shift is a notice, not an error: exit 0, nothing imported for it.
#[test]
fn open_shifts_are_notices() {
    let (out, got) = preview(&dir("exports").join("deputy_bulk_import.csv"), &[]);
    assert_eq!(out.status.code(), Some(0));
    let open: Vec<&Value> = got["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "open_shift")
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["severity"], "notice");
}

/// `--template` skips the fitness trial: a file whose every row is bad is still read with that
/// template, every bad cell an issue.
#[test]
fn a_named_template_is_not_refused_by_its_trial() {
    let wd = work_dir();
    let file = wd.path().join("typos_only.csv");
    std::fs::write(
        &file,
        "Store,Employee,Date,Start,End\n2207,Ana Ruiz,11/24/2025,9;00,5pm\n2207,Ben Li,11/25/2025,nine,5pm\n",
    )
    .unwrap();
    let (out, got) = preview(&file, &["--template", "rows-standard"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        issue_keys(&got["issues"]),
        vec!["unreadable_time D2", "unreadable_time D3"]
    );
    let out = bin(wd.path()).arg("preview").arg(&file).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "without --template the file is refused"
    );
}

fn suggest(file: &Path) -> (std::process::Output, String) {
    let wd = work_dir();
    let out = bin(wd.path())
        .args(["templates", "suggest"])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, text)
}

/// Six layouts no shipped template reads: the suggested TOML loads and reads each exactly.
#[test]
fn suggested_templates_read_layouts_refused_today() {
    let folder = dir("suggest");
    let names = files(&folder);
    assert!(names.len() >= 5, "{names:?}");
    for name in &names {
        let file = folder.join(name);
        let wd = work_dir();
        let refused = bin(wd.path()).arg("preview").arg(&file).output().unwrap();
        assert_eq!(refused.status.code(), Some(2), "{name} is refused today");
        let (out, toml) = suggest(&file);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            toml.contains("# would import: 8 shifts") || toml.contains("# would import: 1"),
            "{name}: {toml}"
        );
        let tdir = work_dir();
        std::fs::write(tdir.path().join("suggested.toml"), &toml).unwrap();
        let dir_arg = tdir.path().to_string_lossy().into_owned();
        let (_, got) = preview(&file, &["--templates-dir", &dir_arg]);
        let want = expected(&folder, name);
        assert_eq!(
            shift_keys(&got["shifts"]),
            shift_keys(&want["shifts"]),
            "{name}: {toml}"
        );
        assert!(
            got["template"].as_str().unwrap().starts_with("suggested-"),
            "{name}"
        );
    }
}

#[test]
fn suggest_says_did_you_mean_for_near_miss_headers() {
    let (_, toml) = suggest(&dir("suggest").join("suggest_typos_store_2207.csv"));
    for want in [
        "did you mean: \"Strat Time\" (suggest_typos_store_2207!C1): did you mean \"Start Time\"? read as start",
        "\"Positon\"",
        "date_order = \"mdy\"",
    ] {
        assert!(toml.contains(want), "{want} in {toml}");
    }
    let (_, toml) = suggest(&dir("suggest").join("suggest_dutch_store_2207.csv"));
    assert!(toml.contains("date_order = \"dmy\""), "{toml}");
    assert!(toml.contains("employee_name = [\"Medewerker\"]"), "{toml}");
}

#[tokio::test]
async fn suggest_save_stores_a_database_template() {
    let db = TestDb::new().await;
    let file = dir("suggest").join("suggest_spanish_store_2207.xlsx");
    let path = file.to_string_lossy().into_owned();
    let out = db.run_bin(&["templates", "suggest", &path, "--save", "--name", "turnos"]);
    assert!(out.status.success(), "{}", out.stderr);
    let (source, layout): (String, String) =
        sqlx::query_as("SELECT source, layout FROM processing_templates WHERE name = 'turnos'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!((source.as_str(), layout.as_str()), ("database", "rows"));
    let again = db.run_bin(&["templates", "suggest", &path, "--save", "--name", "turnos"]);
    assert_eq!(again.status.code(), Some(2), "{}", again.stderr);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}
