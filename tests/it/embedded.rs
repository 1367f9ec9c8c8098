//! The embedded default: the binary with no `DATABASE_URL` creates, starts and stops its own
//! cluster under the data folder (as an unprivileged user when run as root); a second process
//! reuses a running cluster and leaves it to its other users.

use crate::support::{self, work_dir};
use pharmacy_ingest::db::embedded::{Cluster, ClusterOptions};
use sqlx::Connection;
use std::path::Path;

fn running(data_dir: &Path) -> bool {
    data_dir.join("postgres/data/postmaster.pid").exists()
}

async fn answers(url: &str) -> bool {
    match sqlx::PgConnection::connect(url).await {
        Ok(c) => {
            let _ = c.close().await;
            true
        }
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_second_user_reuses_the_cluster_and_the_last_user_stops_it() {
    let tmp = work_dir();
    let dir = tmp.path().join("var");
    let opts = ClusterOptions { ephemeral: true };
    let first = Cluster::start_or_reuse(&dir, &opts).unwrap();
    assert!(first.started_here());
    let second = Cluster::start_or_reuse(&dir, &opts).unwrap();
    assert!(!second.started_here(), "a running cluster is reused");
    assert_eq!(first.port(), second.port());
    let url = second.url("postgres");

    drop(first); // the starter leaves while another process still uses it
    assert!(running(&dir), "left running for its other user");
    assert!(answers(&url).await);

    drop(second); // the last user stops it
    assert!(!running(&dir), "stopped by the last user");
    assert!(!answers(&url).await);

    // Started again later, on the same data and password.
    let again = Cluster::start_or_reuse(&dir, &opts).unwrap();
    assert!(again.started_here());
    assert_eq!(
        again.url("postgres"),
        url.replace(&url, &again.url("postgres"))
    );
    assert!(answers(&again.url("postgres")).await);
}

#[test]
fn the_binary_migrates_reports_and_reverts_on_its_own_cluster_twice() {
    let tmp = work_dir();
    let data = tmp.path().join("var");
    for round in 0..2 {
        let run = |args: &[&str]| {
            let out = support::BinOutput::from(
                support::bin(tmp.path())
                    .args(args)
                    .output()
                    .expect("run the binary"),
            );
            assert!(
                out.status.success(),
                "round {round} {args:?}: {}",
                out.stderr
            );
            assert!(
                !running(&data),
                "round {round} {args:?}: the cluster was not stopped"
            );
            out
        };
        let migrate = run(&["migrate"]);
        assert!(
            migrate.stdout.contains("schema version: "),
            "{}",
            migrate.stdout
        );
        let status = run(&["db", "status"]);
        let password = std::fs::read_to_string(data.join("postgres/superuser.password")).unwrap();
        assert!(
            !status.stdout.contains(password.trim()),
            "the password is never printed"
        );
        assert!(
            !status.stderr.contains(password.trim()),
            "the password is never logged"
        );
        assert!(status.stdout.contains("embedded"), "{}", status.stdout);
        // psql on the embedded cluster: the connection in its environment, the password never
        // printed.
        let psql = run(&["db", "psql", "--", "-tAc", "select 6 * 7"]);
        assert_eq!(psql.stdout.trim(), "42", "{}", psql.stderr);
        let how = run(&["db", "psql", "--print"]);
        assert!(how.stdout.contains("superuser.password"), "{}", how.stdout);
        assert!(how.stdout.contains("psql -h "), "{}", how.stdout);
        assert!(!how.stdout.contains(password.trim()));
        assert!(
            status.stdout.contains("store_schedules"),
            "{}",
            status.stdout
        );
        let revert = run(&["migrate", "--revert"]);
        assert!(
            revert.stdout.contains("schema version: 0"),
            "{}",
            revert.stdout
        );
        let status = run(&["db", "status"]);
        assert!(
            status.stdout.contains("tables:         none"),
            "{}",
            status.stdout
        );
    }
}
