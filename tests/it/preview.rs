//! `preview` on the project's fixtures (`fixtures/schedules/`, made by
//! `scripts/make_schedule_fixtures.py`): each file yields exactly its `NAME.expected.json`
//! shifts and issues, through the real binary and without a database; files that cannot be
//! read get a one-line error and exit 2, never a panic.

use crate::support::{bin, work_dir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schedules")
}

/// A name in a canonical order: `Last, First` and `First Last` compare equal.
fn name_key(n: &str) -> String {
    let n = n.to_lowercase();
    let n = match n.split_once(',') {
        Some((last, first)) => format!("{} {}", first.trim(), last.trim()),
        None => n,
    };
    let mut words: Vec<&str> = n.split_whitespace().collect();
    words.sort();
    words.join(" ")
}

pub(crate) fn shift_keys(shifts: &Value) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in shifts.as_array().unwrap() {
        let key = format!(
            "{} | {} | {} | {}-{} | {}",
            s["store_number"],
            name_key(s["employee_name"].as_str().unwrap()),
            s["date"].as_str().unwrap(),
            s["start"].as_str().unwrap(),
            s["end"].as_str().unwrap(),
            s["position"]
        );
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

pub(crate) fn preview_json(file: &Path) -> (std::process::Output, Value) {
    let dir = work_dir();
    let out = bin(dir.path())
        .args(["preview", "--format", "json"])
        .arg(file)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON ({e}); stderr: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

#[test]
fn every_fixture_yields_its_expected_shifts_and_issues() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".json") || name.starts_with("error_") {
            continue;
        }
        let stem = name.rsplit_once('.').unwrap().0;
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join(format!("{stem}.expected.json"))).unwrap(),
        )
        .unwrap();
        let (out, got) = preview_json(&path);
        assert_eq!(
            shift_keys(&got["shifts"]),
            shift_keys(&expected["shifts"]),
            "{name}"
        );
        let issue_key = |i: &Value| {
            let cell = i["cell"].as_str().unwrap_or("");
            let a1 = cell.rsplit_once('!').map(|(_, a)| a).unwrap_or(cell);
            format!("{} {a1}", i["code"].as_str().unwrap())
        };
        let mut got_issues: Vec<String> = got["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(issue_key)
            .collect();
        let mut want_issues: Vec<String> = expected["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(issue_key)
            .collect();
        got_issues.sort();
        want_issues.sort();
        assert_eq!(got_issues, want_issues, "{name}");
        // Exit 1 when rows were rejected, 0 otherwise.
        let rejected = got["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["severity"] == "error");
        assert_eq!(
            out.status.code(),
            Some(if rejected { 1 } else { 0 }),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} fixtures found");
}

#[test]
fn messages_never_quote_names_or_phones() {
    let (_, got) = preview_json(&fixtures().join("rows_title_typed.xlsx"));
    for i in got["issues"].as_array().unwrap() {
        let m = i["message"].as_str().unwrap();
        for personal in ["Dana", "Cole", "555"] {
            assert!(!m.contains(personal), "{m}");
        }
    }
}

#[test]
fn unreadable_files_get_one_line_and_exit_2() {
    for (file, says) in [
        ("error_corrupt.xlsx", "damaged"),
        ("error_empty.csv", "empty"),
        ("error_pdf_renamed.xlsx", "PDF"),
        ("error_unknown_layout.xlsx", "no template fits"),
    ] {
        let dir = work_dir();
        // Library warnings (lopdf's repairs) are logging, not the error line: keep them out.
        let out = bin(dir.path())
            .env("RUST_LOG", "error")
            .arg("preview")
            .arg(fixtures().join(file))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{file}: {err}");
        assert!(err.contains(file) && err.contains(says), "{file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
        assert!(out.stdout.is_empty(), "{file}");
    }
}

#[test]
fn an_unknown_layout_lists_every_template_tried() {
    let dir = work_dir();
    let out = bin(dir.path())
        .args(["preview"])
        .arg(fixtures().join("error_unknown_layout.xlsx"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    for t in [
        "rows-standard",
        "rows-european",
        "wfm-export",
        "weekly-grid",
        "weekly-grid-european",
    ] {
        assert!(err.contains(&format!("[{t}:")), "{err}");
    }
}

#[test]
fn explicit_template_table_and_csv_outputs() {
    let dir = work_dir();
    let file = fixtures().join("grid_weekly.xlsx");
    let out = bin(dir.path())
        .args(["preview", "--template", "weekly-grid", "--format", "table"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("template weekly-grid: 21 shifts"), "{text}");
    assert!(text.contains("22:00  06:00 +1"), "{text}");

    let out = bin(dir.path())
        .args(["preview", "--format", "csv"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 22, "{text}");
    assert!(text.starts_with("store_number,employee_name,"));

    let out = bin(dir.path())
        .args(["preview", "--template", "wfm-export"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("template wfm-export does not fit"));
}

#[test]
fn templates_commands() {
    let dir = work_dir();
    let out = bin(dir.path())
        .args(["templates", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(text.lines().count(), 5, "{text}");

    let out = bin(dir.path())
        .args(["templates", "check"])
        .output()
        .unwrap();
    assert!(out.status.success());

    let out = bin(dir.path())
        .args(["templates", "test"])
        .arg(fixtures().join("wfm_export.csv"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("chosen: wfm-export"), "{text}");
    assert!(
        text.contains("weekly-grid              does not fit"),
        "{text}"
    );

    // A folder template with a typo is reported with its file and the key.
    let tdir = tempfile::tempdir().unwrap();
    std::fs::write(
        tdir.path().join("mine.toml"),
        "name = \"mine\"\nlayout = \"grid\"\n[columns]\nemployee = [\"Name\"]\n",
    )
    .unwrap();
    let out = bin(dir.path())
        .args(["templates", "check", "--templates-dir"])
        .arg(tdir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("mine.toml") && err.contains("employee"),
        "{err}"
    );
}
