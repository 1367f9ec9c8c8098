//! Every SQL statement of `src/` is prepared against the migrated schema, so a migration that
//! renames or drops a column, table or function the code still uses fails here, not in
//! production. The statements are the string literals (and `concat!` of literals and the
//! column-list macros) given to `sqlx::query`, `query_as` and `query_scalar`.
//!
//! Why a test and not `sqlx::query!`: the macros need a database (or committed offline data and
//! `cargo sqlx prepare --check`, i.e. sqlx-cli built in CI) at compile time; this test checks
//! the same thing, whether each statement plans against the schema, on the server the tests
//! already use.

use crate::support::TestDb;
use crate::support::sources::{rust_files, src_dir};
use sqlx::{Executor, SqlSafeStr};
use std::collections::BTreeMap;

/// A Rust string literal starting at `s` (`"…"` or `r#"…"#`): its value and the rest of `s`.
fn literal(s: &str) -> Option<(String, &str)> {
    if let Some(raw) = s.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw[hashes..].strip_prefix('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        let end = body.find(&close)?;
        return Some((body[..end].to_string(), &body[end + close.len()..]));
    }
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '0' => out.push('\0'),
                '\n' => {
                    // A line continuation: the next line's leading whitespace is skipped.
                    let rest = &body[i + 2..];
                    let skip = rest.len() - rest.trim_start().len();
                    for _ in 0..skip {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// The statement of `concat!(…)` at `s`: literals and `name!()` macros from `macros`.
fn concatenated(s: &str, macros: &BTreeMap<String, String>) -> Option<String> {
    let mut rest = s.strip_prefix("concat!(")?;
    let mut out = String::new();
    loop {
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        if rest.starts_with(')') {
            return Some(out);
        }
        if let Some((lit, after)) = literal(rest) {
            out.push_str(&lit);
            rest = after;
            continue;
        }
        let name_end = rest.find("!()")?;
        let name = rest[..name_end].rsplit("::").next()?.trim();
        out.push_str(macros.get(name)?);
        rest = &rest[name_end + 3..];
    }
}

/// `macro_rules! NAME { () => { "…" }; }` definitions: the statement fragments.
fn fragment_macros(sources: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for text in sources {
        for (i, _) in text.match_indices("macro_rules! ") {
            let rest = &text[i + "macro_rules! ".len()..];
            let name = rest
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .next();
            let body = rest.find("=> {").map(|b| rest[b + 4..].trim_start());
            if let (Some(name), Some(body)) = (name, body)
                && let Some((lit, _)) = literal(body)
            {
                out.insert(name.to_string(), lit);
            }
        }
    }
    out
}

/// After `sqlx::query`: `_as::<_, T>(ARG` or `(ARG` → `ARG…`; `None` for a path that is no
/// call (`sqlx::query::Query`).
fn call_argument(after: &str) -> Option<&str> {
    let rest = after.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
    let rest = match rest.strip_prefix("::<") {
        Some(generic) => &generic[generic.find('>')? + 1..],
        None => rest,
    };
    Some(rest.strip_prefix('(')?.trim_start())
}

/// Every statement given to `sqlx::query*` in `src/`, with where it is; and the calls whose
/// statement is not a literal.
fn statements() -> (Vec<(String, String)>, Vec<String>) {
    let src = src_dir();
    let files = rust_files(&src);
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let macros = fragment_macros(&texts);
    let (mut found, mut dynamic) = (Vec::new(), Vec::new());
    for (file, text) in files.iter().zip(&texts) {
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        for (i, _) in text.match_indices("sqlx::query") {
            let Some(arg) = call_argument(&text[i + "sqlx::query".len()..]) else {
                continue;
            };
            let line = text[..i].lines().count();
            let at = format!("{name}:{line}");
            match literal(arg)
                .map(|(l, _)| l)
                .or_else(|| concatenated(arg, &macros))
            {
                Some(sql) => found.push((at, sql)),
                None => dynamic.push(at),
            }
        }
    }
    (found, dynamic)
}

#[tokio::test]
async fn every_statement_of_the_code_prepares_against_the_migrated_schema() {
    let (found, dynamic) = statements();
    assert!(found.len() >= 80, "only {} statements found", found.len());
    assert!(
        dynamic.len() <= 2,
        "statements that are not literals: {dynamic:?}"
    );
    let db = TestDb::new().await;
    let mut conn = db.pool().acquire().await.unwrap();
    // The temporary tables the code creates exist (until this transaction ends), so the
    // statements on them prepare too.
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await.unwrap();
    for (_, sql) in found
        .iter()
        .filter(|(_, s)| s.starts_with("CREATE TEMP TABLE"))
    {
        let statement = sqlx::AssertSqlSafe(sql.clone()).into_sql_str();
        sqlx::raw_sql(statement).execute(&mut *conn).await.unwrap();
    }
    let mut failed = Vec::new();
    for (at, sql) in &found {
        let statement = sqlx::AssertSqlSafe(sql.clone()).into_sql_str();
        if let Err(e) = (&mut *conn).prepare(statement).await {
            let code = e
                .as_database_error()
                .and_then(|d| d.code().map(|c| c.into_owned()));
            // 42P18: a parameter whose type only the bound value gives (sqlx sends it).
            if code.as_deref() != Some("42P18") {
                failed.push(format!("{at}: {e}"));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "statements that do not prepare:\n{}",
        failed.join("\n")
    );
}

#[test]
fn statements_are_read_as_the_compiler_reads_them() {
    let macros = BTreeMap::from([("cols".to_string(), "a, b".to_string())]);
    assert_eq!(
        literal("\"SELECT 1 \\\n     FROM t\" rest"),
        Some(("SELECT 1 FROM t".to_string(), " rest"))
    );
    assert_eq!(
        literal("r#\"a \"b\"\"# x"),
        Some(("a \"b\"".to_string(), " x"))
    );
    assert_eq!(
        concatenated("concat!(\"SELECT \", cols!(), \" FROM t\")", &macros).as_deref(),
        Some("SELECT a, b FROM t")
    );
}
