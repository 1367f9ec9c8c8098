//! The operator's command line against a real database: id prefixes (unique, ambiguous,
//! unknown), `imports list --unresolved`, bulk `imports reprocess --status failed --store N`,
//! the operator's identity (`--as`, `$USER`), one JSON shape for issues, `imports show
//! --limit`, `jobs list` outcomes and attempts, `jobs show` with the file's current path,
//! `templates alias add|remove` (kept across a template update) and `templates test --db`,
//! `stores add N` without an address; logs that are plain one-line text when piped and
//! complete JSON lines with `--log-json`.

use crate::import::seed_stores;
use crate::job_results::runner;
use crate::support::TestDb;
use pharmacy_ingest::import::ImportSource;
use pharmacy_ingest::queue::admin;
use pharmacy_ingest::queue::enqueue::{JobFile, NewJob, enqueue};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The import id printed by `import` / `reprocess` (`import <uuid>: <status> …`).
fn printed_id(stdout: &str, after: &str) -> String {
    let at = stdout.find(after).unwrap() + after.len();
    stdout[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(':')
        .to_string()
}

async fn created_by(db: &TestDb, id: &str) -> (Option<String>, Option<String>) {
    sqlx::query_as("SELECT created_by, reverted_by FROM document_imports WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failed_import_is_fixed_by_a_bulk_reprocess_and_then_resolved() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[101]).await;
    let failed = db.run_bin(&[
        "import",
        &fixture("week48_store999.csv"),
        "--as",
        "ops-anna",
    ]);
    assert_eq!(failed.status.code(), Some(2), "{}", failed.stderr);
    let failed_id = printed_id(&failed.stdout, "import ");
    assert_eq!(
        created_by(&db, &failed_id).await.0.as_deref(),
        Some("cli:ops-anna")
    );

    let unresolved = |db: &TestDb| {
        let out = db.run_bin(&["imports", "list", "--unresolved", "--format", "json"]);
        assert!(out.status.success(), "{}", out.stderr);
        let rows: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(unresolved(&db), std::slice::from_ref(&failed_id));

    let add = db.run_bin(&["stores", "add", "999"]);
    assert!(add.status.success(), "{}", add.stderr);
    let dry = db.run_bin(&[
        "imports",
        "reprocess",
        "--status",
        "failed",
        "--store",
        "999",
        "--dry-run",
    ]);
    assert!(dry.status.success(), "{}", dry.stderr);
    assert!(
        dry.stdout.contains(&failed_id) && dry.stdout.contains("dry run: 1 import(s)"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        unresolved(&db),
        std::slice::from_ref(&failed_id),
        "a dry run changes nothing"
    );

    let bulk = db
        .command()
        .args([
            "imports",
            "reprocess",
            "--status",
            "failed",
            "--store",
            "999",
        ])
        .env("USER", "carol")
        .env_remove("SUDO_USER")
        .output()
        .unwrap();
    let bulk = crate::support::BinOutput::from(bulk);
    assert_eq!(
        bulk.status.code(),
        Some(0),
        "{}\n{}",
        bulk.stdout,
        bulk.stderr
    );
    assert!(
        bulk.stdout.contains(&format!(
            "{failed_id} week48_store999.csv: succeeded as import "
        )),
        "{}",
        bulk.stdout
    );
    let new_id = printed_id(&bulk.stdout, "succeeded as import ");
    assert_eq!(
        created_by(&db, &new_id).await.0.as_deref(),
        Some("cli:carol")
    );
    assert!(unresolved(&db).is_empty(), "the reprocess fixed it");

    // Nothing left to do: a second bulk run finds no unresolved failure.
    let again = db.run_bin(&[
        "imports",
        "reprocess",
        "--status",
        "failed",
        "--store",
        "999",
    ]);
    assert!(again.status.success(), "{}", again.stderr);
    assert!(again.stdout.contains("no imports"), "{}", again.stdout);

    // A unique prefix names the import; the revert records who did it.
    let prefix = &new_id[..6];
    let rev = db.run_bin(&["imports", "revert", prefix, "--as", "ops-bob"]);
    assert!(rev.status.success(), "{}", rev.stderr);
    assert_eq!(
        created_by(&db, &new_id).await.1.as_deref(),
        Some("cli:ops-bob")
    );
}

#[tokio::test]
async fn ids_resolve_by_prefix_or_say_why_not() {
    let db = TestDb::new().await;
    for id in [
        "abcdef00-0000-4000-8000-000000000001",
        "abcdef00-0000-4000-8000-000000000002",
        "abcdef11-0000-4000-8000-000000000003",
    ] {
        sqlx::query(
            "INSERT INTO document_imports (id, file_name, sha256, source, status)
             VALUES ($1::uuid, 'x.csv', repeat('0', 64), 'cli', 'failed')",
        )
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    }
    let show = db.run_bin(&["imports", "show", "ABCDEF11", "--format", "json"]);
    assert!(show.status.success(), "{}", show.stderr);
    let v: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(v["id"], "abcdef11-0000-4000-8000-000000000003");

    let amb = db.run_bin(&["imports", "show", "abcdef00"]);
    assert_eq!(amb.status.code(), Some(2));
    assert!(
        amb.stderr
            .contains("abcdef00 is ambiguous: 2 imports start with it"),
        "{}",
        amb.stderr
    );
    let whole = db.run_bin(&["imports", "show", "abcdef00-0000-4000-8000-000000000002"]);
    assert!(whole.status.success(), "{}", whole.stderr);
    let none = db.run_bin(&["imports", "show", "0000ffff"]);
    assert!(
        none.stderr.contains("there is no import 0000ffff"),
        "{}",
        none.stderr
    );
    let bad = db.run_bin(&["jobs", "show", "dc5"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stderr.contains("too short"), "{}", bad.stderr);
}

#[tokio::test]
async fn issues_have_one_shape_and_show_can_be_limited() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[101]).await;
    let imp = db.run_bin(&[
        "import",
        &fixture("week48_store101_bad_rows.csv"),
        "--format",
        "json",
    ]);
    assert_eq!(imp.status.code(), Some(1), "{}", imp.stderr);
    let out: Value = serde_json::from_str(&imp.stdout).unwrap();
    let id = out["import_id"].as_str().unwrap().to_string();
    let keys = |v: &Value| {
        v.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    let want: BTreeSet<String> = ["severity", "code", "cell", "message"]
        .map(String::from)
        .into();
    let from_import = &out["issues"][0];
    assert_eq!(keys(from_import), want);

    let show = db.run_bin(&["imports", "show", &id[..8], "--format", "json"]);
    assert!(show.status.success(), "{}", show.stderr);
    let detail: Value = serde_json::from_str(&show.stdout).unwrap();
    let from_show = &detail["issues"][0];
    assert_eq!(keys(from_show), want);
    assert_eq!(from_show, from_import, "the same issue, the same JSON");
    // Two unreadable cells and two employees not in contacts.
    assert_eq!(detail["issues_total"], 4);

    let limited = db.run_bin(&["imports", "show", &id[..8], "--limit", "1"]);
    assert!(limited.status.success(), "{}", limited.stderr);
    assert!(
        limited.stdout.contains("… 3 more not shown"),
        "{}",
        limited.stdout
    );
}

#[tokio::test]
async fn jobs_list_shows_outcomes_and_show_where_the_file_went() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[101]).await;
    let mut ids = Vec::new();
    for name in ["week48_store101_bad_rows.csv", "week48_store999.csv"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        ids.push(
            enqueue(
                db.pool(),
                &NewJob::new(name, JobFile::Bytes(bytes), ImportSource::Sql),
            )
            .await
            .unwrap(),
        );
    }
    runner(&db).drain().await.unwrap();
    let list = db.run_bin(&["jobs", "list"]);
    assert!(list.status.success(), "{}", list.stderr);
    let line_of = |id: Uuid| {
        list.stdout
            .lines()
            .find(|l| l.starts_with(&id.to_string()))
            .unwrap()
            .to_string()
    };
    let partial = line_of(ids[0]);
    assert!(partial.contains("succeeded  partial"), "{}", list.stdout);
    let refused = line_of(ids[1]);
    assert!(refused.contains("failed     failed"), "{}", list.stdout);
    assert!(
        !refused.contains("1/5"),
        "a refused file is not waiting for retries: {refused}"
    );

    let only = db.run_bin(&["jobs", "list", "--outcome", "partial", "--format", "json"]);
    let only: Vec<Value> = serde_json::from_str(&only.stdout).unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["outcome"], "partial");
    assert_eq!(only[0]["rows_rejected"], 2);

    admin::record_moved(
        db.pool(),
        ids[1],
        std::path::Path::new("/srv/share/failed/week48.csv"),
    )
    .await
    .unwrap();
    let show = db.run_bin(&["jobs", "show", &ids[1].to_string()[..7]]);
    assert!(show.status.success(), "{}", show.stderr);
    assert!(
        show.stdout
            .contains("path          /srv/share/failed/week48.csv\n"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("outcome       failed\n"),
        "{}",
        show.stdout
    );
}

#[tokio::test]
async fn template_aliases_are_added_removed_and_survive_a_template_update() {
    let db = TestDb::new().await;
    let add = db.run_bin(&[
        "templates",
        "alias",
        "add",
        "rows-standard",
        "employee_name",
        "Crew Member",
    ]);
    assert!(add.status.success(), "{}", add.stderr);
    assert!(add.stdout.contains("Crew Member"), "{}", add.stdout);
    let dup = db.run_bin(&[
        "templates",
        "alias",
        "add",
        "rows-standard",
        "employee_name",
        "crew  member.",
    ]);
    assert_eq!(dup.status.code(), Some(2));
    assert!(dup.stderr.contains("already accepts"), "{}", dup.stderr);
    let field = db.run_bin(&["templates", "alias", "add", "rows-standard", "employe", "X"]);
    assert!(
        field.stderr.contains("fields: store_number, employee_name"),
        "{}",
        field.stderr
    );

    let aliases = |db: &TestDb| {
        let pool = db.pool().clone();
        async move {
            sqlx::query_scalar::<_, Vec<String>>(
                "SELECT m.aliases FROM data_mappings m JOIN processing_templates t ON t.id = m.template_id
                 WHERE t.name = 'rows-standard' AND m.target_field = 'employee_name'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert!(aliases(&db).await.contains(&"Crew Member".to_string()));
    // A new release of the template file (its checksum changes): the operator's alias stays.
    sqlx::query("UPDATE processing_templates SET checksum = 'older' WHERE name = 'rows-standard'")
        .execute(db.pool())
        .await
        .unwrap();
    let list = db.run_bin(&["templates", "list", "--db"]);
    assert!(list.status.success(), "{}", list.stderr);
    assert!(list.stdout.contains("rows-standard"), "{}", list.stdout);
    let after = aliases(&db).await;
    assert!(after.contains(&"Crew Member".to_string()), "{after:?}");
    assert!(after.contains(&"Employee Name".to_string()), "{after:?}");

    let test = db.run_bin(&["templates", "test", "--db", &fixture("week48_store101.csv")]);
    assert!(test.status.success(), "{}\n{}", test.stdout, test.stderr);
    assert!(
        test.stdout.contains("chosen: rows-standard"),
        "{}",
        test.stdout
    );

    let rm = db.run_bin(&[
        "templates",
        "alias",
        "remove",
        "rows-standard",
        "employee_name",
        "CREW MEMBER",
    ]);
    assert!(rm.status.success(), "{}", rm.stderr);
    assert!(!aliases(&db).await.contains(&"Crew Member".to_string()));
    let missing = db.run_bin(&[
        "templates",
        "alias",
        "remove",
        "rows-standard",
        "employee_name",
        "Nobody",
    ]);
    assert!(
        missing.stderr.contains("has no alias"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn logs_are_plain_lines_when_piped_and_json_lines_when_asked() {
    let db = TestDb::new().await;
    seed_stores(db.pool(), &[101]).await;
    let file = fixture("week48_store101_bad_rows.csv");
    let text = db
        .command()
        .env("RUST_LOG", "debug")
        .args(["import", &file])
        .output()
        .unwrap();
    let stderr = String::from_utf8(text.stderr).unwrap();
    assert!(
        stderr.contains("import written"),
        "the debug events are there: {stderr}"
    );
    assert!(
        !stderr.contains('\x1b'),
        "no colour codes in a pipe: {stderr}"
    );
    for line in stderr.lines() {
        assert!(
            line.starts_with("20"),
            "every line is one event starting with its time: {line:?}"
        );
    }

    let json = db
        .command()
        .env("RUST_LOG", "debug")
        .args(["--log-json", "import", &file, "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(json.stderr).unwrap();
    let events: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let written = events
        .iter()
        .find(|e| e["fields"]["message"] == "import written")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(written["level"], "DEBUG");
    assert!(written["fields"]["import_id"].is_string(), "{written}");
    assert!(!stderr.contains('\x1b'));
}
