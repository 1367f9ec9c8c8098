//! The database commands of the binary against a test database: `migrate`, `db status`,
//! `demo-data` (idempotent), `stores add|list`.

use crate::support::TestDb;

#[tokio::test]
async fn migrate_status_demo_data_and_stores() {
    // The cluster-wide roles must exist before the binary migrates next to other tests (see
    // `support::migrate_up`); a migrated database guarantees it.
    let _roles_ready = TestDb::new().await;
    let db = TestDb::empty().await;
    let status = db.run_bin(&["db", "status"]);
    assert!(status.status.success(), "{}", status.stderr);
    assert!(
        status.stdout.contains("schema version: 0"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("pending:"), "{}", status.stdout);

    let out = db.run_bin(&["migrate", "--target", "2"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("schema version: 2"), "{}", out.stdout);
    let out = db.run_bin(&["migrate"]);
    assert!(out.status.success(), "{}", out.stderr);
    let out = db.run_bin(&["migrate"]);
    assert!(
        out.stdout.contains("schema is up to date"),
        "{}",
        out.stdout
    );

    let first = db.run_bin(&["demo-data"]);
    assert!(first.status.success(), "{}", first.stderr);
    assert!(
        first.stdout.contains("5 store(s) and 10 contact(s) added"),
        "{}",
        first.stdout
    );
    let second = db.run_bin(&["demo-data"]);
    assert!(
        second.stdout.contains("0 store(s) and 0 contact(s) added"),
        "{}",
        second.stdout
    );
    let (stores, contacts): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM stores), (SELECT count(*) FROM contacts)")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!((stores, contacts), (5, 10));
    // Every store and (some) employees of the sample schedules shipped in fixtures/schedules.
    let linked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts
         WHERE pharmacy_name_key(name) IN ('hannah silva', 'josé chen', 'nia müller', 'priya nguyen')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(linked, 4);
    // The README's walkthrough: the sample schedule it drops imports whole, for a demo store,
    // its people linked to the demo contacts.
    let walk = db.run_bin(&[
        "import",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/schedules/grid_weekly.xlsx"
        ),
        "--format",
        "json",
    ]);
    assert!(walk.status.success(), "{}", walk.stderr);
    let walk: serde_json::Value = serde_json::from_str(&walk.stdout).unwrap();
    assert_eq!(walk["status"], "succeeded");
    assert_eq!(walk["rows_imported"], 21);
    assert_eq!(walk["store_numbers"], serde_json::json!([2207]));
    assert_eq!(
        walk["issues"],
        serde_json::json!([]),
        "no unknown store or employee"
    );
    let unlinked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM store_schedules WHERE contact_id IS NULL")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(unlinked, 0);

    // The address is optional: a store can be added by its number alone.
    let add = db.run_bin(&["stores", "add", "6001"]);
    assert!(add.status.success(), "{}", add.stderr);
    assert!(add.stdout.contains("added store 6001"), "{}", add.stdout);
    let with_address = db.run_bin(&["stores", "add", "6002", "--address", "1 Elm St"]);
    assert!(with_address.status.success(), "{}", with_address.stderr);
    let dup = db.run_bin(&["stores", "add", "4120", "--address", "x"]);
    assert!(!dup.status.success());
    assert!(
        dup.stderr.contains("store 4120 exists already"),
        "{}",
        dup.stderr
    );

    let list = db.run_bin(&["stores", "list", "--json"]);
    assert!(list.status.success(), "{}", list.stderr);
    let list: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    let numbers: Vec<i64> = list
        .iter()
        .map(|s| s["store_number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1042, 2207, 3315, 4120, 5009, 6001, 6002]);
    assert_eq!(list[5]["address"], "");

    let status = db.run_bin(&["db", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let stores_row = status["schema"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "stores")
        .unwrap()
        .clone();
    assert_eq!(stores_row["rows"], 7);
    assert!(status["schema"]["pending"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn status_never_prints_the_password_of_the_url() {
    let db = TestDb::new().await;
    let (scheme, rest) = db.url().split_once("://").unwrap();
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let url = format!("{scheme}://postgres:hunter2-secret@{host_and_path}");
    // Only the text of the URL matters here: a trust-auth server ignores the password, a
    // password-auth one refuses it (and the error must not show it either).
    let out = db
        .command()
        .env("DATABASE_URL", &url)
        .args(["db", "status"])
        .output()
        .unwrap();
    let out = crate::support::BinOutput::from(out);
    assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}
