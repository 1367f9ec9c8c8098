//! The security matrix (issue 9's suite, issue 11's least privilege): every API role's
//! privileges on every table, checked with `has_table_privilege` — also after the platform
//! granted everything by default, as Supabase does; audit forgery by every route a database
//! login offers; path escapes through `enqueue_import(file_path => ...)` and symlinks.

use crate::support::{TestDb, begin_as};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

const API_ROLES: [&str; 4] = ["anon", "authenticated", "manager", "service_role"];
const WORKER: &str = "pharmacy_ingest_worker";
const PRIVILEGES: [&str; 7] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
];

/// `(table, role, privilege)` for every table in `public` and every role given.
async fn held(pool: &PgPool, roles: &[&str]) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT c.relname::text, r.role, p.priv
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN unnest($1::text[]) AS r(role)
         CROSS JOIN unnest($2::text[]) AS p(priv)
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND has_table_privilege(r.role, c.oid, p.priv)
         ORDER BY 1, 2, 3",
    )
    .bind(roles)
    .bind(&PRIVILEGES[..])
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Whether a permissive policy on `table` lets `role` (directly, through `authenticated` for
/// `manager`, or as PUBLIC) run `privilege`.
async fn policy_backs(pool: &PgPool, table: &str, role: &str, privilege: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (
             SELECT 1 FROM pg_policy pol
             WHERE pol.polrelid = ('public.' || quote_ident($1))::regclass AND pol.polpermissive
               AND pol.polcmd IN ('*', CASE $3 WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'
                                               WHEN 'UPDATE' THEN 'w' ELSE 'd' END::\"char\")
               AND (0::oid = ANY (pol.polroles)
                    OR EXISTS (SELECT 1 FROM pg_roles ro
                               WHERE ro.oid = ANY (pol.polroles) AND pg_has_role($2, ro.oid, 'MEMBER'))))",
    )
    .bind(table)
    .bind(role)
    .bind(privilege)
    .fetch_one(pool)
    .await
    .unwrap()
}

pub(crate) async fn assert_least_privilege(pool: &PgPool, context: &str) {
    let api = held(pool, &API_ROLES).await;
    for (table, role, privilege) in &api {
        assert!(
            !matches!(privilege.as_str(), "TRUNCATE" | "REFERENCES" | "TRIGGER"),
            "{context}: {role} holds {privilege} on {table}"
        );
        assert_ne!(role, "anon", "{context}: anon holds {privilege} on {table}");
        assert!(
            policy_backs(pool, table, role, privilege).await,
            "{context}: {role} holds {privilege} on {table} without a policy that uses it"
        );
        if privilege != "SELECT" {
            assert!(
                !matches!(
                    table.as_str(),
                    "audit_log" | "import_jobs" | "import_files" | "queue_path_roots"
                ),
                "{context}: {role} may {privilege} {table}"
            );
        }
    }
    let worker = held(pool, &[WORKER]).await;
    for (table, _, privilege) in &worker {
        assert!(
            matches!(
                privilege.as_str(),
                "SELECT" | "INSERT" | "UPDATE" | "DELETE"
            ),
            "{context}: the worker holds {privilege} on {table}"
        );
        assert!(
            !matches!(table.as_str(), "messages" | "appointments" | "audit_log"),
            "{context}: the worker may {privilege} {table}"
        );
    }
    assert!(
        worker
            .iter()
            .any(|(t, _, p)| t == "_sqlx_migrations" && p == "SELECT"),
        "{context}: the worker cannot read the schema version"
    );
    // what the policies need is there
    for (table, role, privilege) in [
        ("store_schedules", "authenticated", "SELECT"),
        ("store_schedules", "manager", "UPDATE"),
        ("contacts", "service_role", "INSERT"),
        ("audit_log", "authenticated", "SELECT"),
        ("import_jobs", "service_role", "SELECT"),
    ] {
        assert!(
            api.iter()
                .any(|(t, r, p)| t == table && r == role && p == privilege),
            "{context}: {role} lost {privilege} on {table}"
        );
    }
}

#[tokio::test]
async fn api_roles_hold_exactly_the_privileges_their_policies_use() {
    let db = TestDb::new().await;
    assert_least_privilege(db.pool(), "after migrate").await;

    // A platform that grants everything by default (Supabase: ALL, TRUNCATE included, on every
    // new table): the next `migrate` takes it back.
    sqlx::raw_sql(
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role, pharmacy_ingest_worker;
         GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO anon, authenticated, service_role;",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let out = db.run_bin(&["migrate"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_least_privilege(db.pool(), "after default grants and migrate").await;
    let seq_for_anon: bool = sqlx::query_scalar(
        "SELECT has_sequence_privilege('anon', 'public.audit_log_id_seq', 'USAGE')
             OR has_sequence_privilege('authenticated', 'public.audit_log_id_seq', 'UPDATE')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert!(!seq_for_anon, "API roles may use the audit sequence");
}

/// One forgery attempt as `role`; it must fail.
async fn attempt(pool: &PgPool, role: &str, claims: serde_json::Value, route: &str, sql: &str) {
    let mut tx = begin_as(pool, role, Some(claims)).await;
    let res = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *tx)
        .await;
    assert!(res.is_err(), "{role} forged the audit trail by {route}");
    tx.rollback().await.unwrap();
}

const FORGERIES: [(&str, &str); 11] = [
    (
        "a direct insert",
        "INSERT INTO public.audit_log (table_name, operation, db_user) VALUES ('stores', 'DELETE', 'forged')",
    ),
    (
        "a writable CTE",
        "WITH x AS (INSERT INTO public.audit_log (table_name, operation, db_user)
                    VALUES ('stores', 'DELETE', 'forged') RETURNING 1) SELECT * FROM x",
    ),
    (
        "a trigger of its own on a temporary table",
        "CREATE TEMP TABLE t (id uuid);
         CREATE FUNCTION pg_temp.f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
             INSERT INTO public.audit_log (table_name, operation, db_user) VALUES ('stores', 'DELETE', 'forged');
             RETURN NULL; END $$;
         CREATE TRIGGER t_f AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.f();
         INSERT INTO t VALUES (gen_random_uuid());",
    ),
    (
        "the audit trigger function on a temporary table named like an audited one",
        "CREATE TEMP TABLE stores (id uuid, note text);
         CREATE TRIGGER s_a AFTER INSERT ON pg_temp.stores REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_ingest_private.audit_row_change();
         INSERT INTO pg_temp.stores VALUES (gen_random_uuid(), 'forged');",
    ),
    (
        "the old audit trigger function on a temporary table",
        "CREATE TEMP TABLE stores (id uuid, note text);
         CREATE TRIGGER s_a AFTER INSERT ON pg_temp.stores REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION public.audit_row_change();
         INSERT INTO pg_temp.stores VALUES (gen_random_uuid(), 'forged');",
    ),
    (
        "a SECURITY DEFINER function of its own",
        "CREATE FUNCTION pg_temp.g() RETURNS void LANGUAGE sql SECURITY DEFINER AS
             $$ INSERT INTO public.audit_log (table_name, operation, db_user) VALUES ('stores', 'DELETE', 'forged') $$;
         SELECT pg_temp.g();",
    ),
    (
        "an updatable view",
        "CREATE TEMP VIEW v AS SELECT table_name, operation, db_user FROM public.audit_log;
         INSERT INTO v VALUES ('stores', 'DELETE', 'forged');",
    ),
    ("an update", "UPDATE public.audit_log SET db_user = 'forged'"),
    ("a delete", "DELETE FROM public.audit_log"),
    ("TRUNCATE", "TRUNCATE public.audit_log"),
    (
        "the sequence",
        "SELECT setval('public.audit_log_id_seq', 1000000)",
    ),
];

#[tokio::test]
async fn the_audit_trail_cannot_be_forged_by_any_route() {
    let db = TestDb::new().await;
    sqlx::raw_sql(
        "INSERT INTO stores (store_number, address, city, state, zip_code) VALUES (5, 'a', 'b', 'c', 'd')",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let manager = json!({"sub": "m1", "role": "manager", "app_metadata": {"role": "manager"}});
    let roles = [
        ("anon", json!({"role": "anon"})),
        ("authenticated", manager.clone()),
        ("manager", manager),
        ("service_role", json!({"role": "service_role"})),
        (WORKER, json!({})),
    ];
    for (role, claims) in &roles {
        for (route, sql) in FORGERIES {
            attempt(db.pool(), role, claims.clone(), route, sql).await;
        }
        // COPY, the bulk route
        let mut tx = begin_as(db.pool(), role, Some(claims.clone())).await;
        let copied = {
            let copy = tx
                .copy_in_raw("COPY public.audit_log (table_name, operation, db_user) FROM STDIN")
                .await;
            match copy {
                Err(_) => false,
                Ok(mut c) => {
                    c.send(b"stores\tDELETE\tforged\n".as_slice()).await.is_ok()
                        && c.finish().await.is_ok()
                }
            }
        };
        assert!(!copied, "{role} forged the audit trail by COPY");
        drop(tx);
    }
    // Not even the owner can hang the audit function on a table it does not audit.
    let mut tx = db.pool().begin().await.unwrap();
    let res = sqlx::raw_sql(
        "CREATE TEMP TABLE stores (id uuid);
         CREATE TRIGGER s_a AFTER INSERT ON pg_temp.stores REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION pharmacy_ingest_private.audit_row_change();
         INSERT INTO pg_temp.stores VALUES (gen_random_uuid());",
    )
    .execute(&mut *tx)
    .await;
    assert!(
        res.is_err(),
        "the audit function recorded a temporary table"
    );
    drop(tx);

    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(before, after);

    // Real changes are still recorded, under the role that made them.
    let mut tx = begin_as(
        db.pool(),
        "authenticated",
        Some(json!({"sub": "m1", "app_metadata": {"role": "manager"}})),
    )
    .await;
    sqlx::query("UPDATE stores SET city = 'Peoria'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let who: (String, Option<String>) = sqlx::query_as(
        "SELECT db_user, jwt_sub FROM audit_log WHERE operation = 'UPDATE' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(who, ("authenticated".into(), Some("m1".into())));
}

#[tokio::test]
async fn enqueue_by_path_refuses_every_escape_from_the_roots() {
    let db = TestDb::new().await;
    sqlx::query("INSERT INTO queue_path_roots (host, root) VALUES ('h', '/srv/drop')")
        .execute(db.pool())
        .await
        .unwrap();
    let refused = [
        "drop/week.csv",
        "week.csv",
        "/srv/drop/../etc/passwd",
        "/srv/drop/sub/../../etc/passwd",
        "/srv/drop/./week.csv",
        "/srv/drop//week.csv",
        "/srv/drop",
        "/srv/dropbox/week.csv",
        "/etc/passwd",
        "/srv/drop/..",
    ];
    for path in refused {
        let mut tx = begin_as(
            db.pool(),
            "service_role",
            Some(json!({"role": "service_role"})),
        )
        .await;
        let res = sqlx::query("SELECT enqueue_import(file_name => 'w.csv', file_path => $1)")
            .bind(path)
            .execute(&mut *tx)
            .await;
        let err = res.expect_err(path);
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        assert!(
            matches!(code.as_deref(), Some("22023") | Some("42501")),
            "{path}: {err}"
        );
    }
    for role in ["anon", "authenticated"] {
        let mut tx = begin_as(db.pool(), role, Some(json!({"role": role}))).await;
        let res = sqlx::query(
            "SELECT enqueue_import(file_name => 'w.csv', file_path => '/srv/drop/w.csv')",
        )
        .execute(&mut *tx)
        .await;
        assert!(res.is_err(), "{role} may enqueue");
    }
    let mut tx = begin_as(
        db.pool(),
        "service_role",
        Some(json!({"role": "service_role"})),
    )
    .await;
    sqlx::query("SELECT enqueue_import(file_name => 'w.csv', file_path => '/srv/drop/sub/w.csv')")
        .execute(&mut *tx)
        .await
        .expect("a path under the root is accepted");
}

#[tokio::test]
async fn a_symlink_under_a_root_that_leads_out_of_it_is_not_read() {
    let db = TestDb::new().await;
    let out = db.run_bin(&["demo-data"]);
    assert!(out.status.success(), "{}", out.stderr);
    let root = db.work_dir().join("drop");
    std::fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    let outside = db.work_dir().join("outside.csv");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/worker/week-1042.csv"),
        &outside,
    )
    .unwrap();
    let link = root.join("week.csv");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let cfg = db.work_dir().join("pharmacy-ingest.toml");
    std::fs::write(
        &cfg,
        format!(
            "[worker]\npath_roots = [\"{}\"]\npoll_interval_ms = 200\n[intake]\nenabled = false\n[http]\nlisten = \"\"\n",
            root.display()
        ),
    )
    .unwrap();
    let mut worker = db
        .command()
        .args(["--config", cfg.to_str().unwrap(), "run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut job: Option<uuid::Uuid> = None;
    let mut state = String::new();
    for _ in 0..150 {
        if job.is_none() {
            job = sqlx::query_scalar(
                "SELECT enqueue_import(file_name => 'week.csv', file_path => $1)",
            )
            .bind(link.to_str().unwrap())
            .fetch_one(db.pool())
            .await
            .ok();
        } else {
            state = sqlx::query_scalar("SELECT state::text FROM import_jobs WHERE id = $1")
                .bind(job)
                .fetch_one(db.pool())
                .await
                .unwrap();
            if state == "failed" || state == "succeeded" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status();
    let _ = worker.wait();
    assert_eq!(state, "failed", "a symlink out of the root was imported");
    let shifts: i64 = sqlx::query_scalar("SELECT count(*) FROM store_schedules")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(shifts, 0);
}

#[tokio::test]
async fn realtime_on_plain_postgres_says_there_is_no_publication() {
    let db = TestDb::new().await;
    let out = db.run_bin(&["db", "realtime", "enable"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stdout);
    assert!(out.stderr.contains("supabase_realtime"), "{}", out.stderr);
}
