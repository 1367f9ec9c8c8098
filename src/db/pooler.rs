//! Connection poolers between the worker and PostgreSQL (pgbouncer, Supabase's Supavisor).
//!
//! A pooler in *transaction* mode hands a server connection to a client for one transaction
//! only, so nothing may outlive a transaction: no named prepared statements (the pool then
//! runs with sqlx's statement cache off, which — with the patch in `vendor/sqlx-postgres` —
//! uses the unnamed statement), no LISTEN and no session advisory locks (those go to
//! `database.direct_url`). *Session* mode keeps one server connection per client and behaves
//! like a direct connection.
//!
//! The mode is `database.pooler` when set, otherwise guessed from the URL: port 6543
//! (Supabase's transaction pooler), a `pgbouncer=true` parameter (Prisma's convention), or a
//! Supabase pooler host (`*.pooler.supabase.com`: 6543 transaction, 5432 session).

use serde::Deserialize;

/// How the server behind `database.url` hands out connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooler {
    /// A transaction-mode pooler: no session state survives a transaction.
    Transaction,
    /// A session-mode pooler: one server connection per client connection.
    Session,
    /// PostgreSQL itself.
    None,
}

impl std::fmt::Display for Pooler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pooler::Transaction => "transaction",
            Pooler::Session => "session",
            Pooler::None => "none",
        })
    }
}

/// The URL's host and port (`None` when absent) and its query parameters.
fn parts(url: &str) -> (String, Option<u16>, Vec<(String, String)>) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = before_query.split('/').next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.rsplit_once(':') {
        // an IPv6 literal without a port: `[::1]`
        Some((h, p)) if !p.contains(']') => (h, p.parse().ok()),
        _ => (host_port, None),
    };
    let params = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_ascii_lowercase(), v.to_ascii_lowercase())
        })
        .collect();
    (host.to_ascii_lowercase(), port, params)
}

/// The pooler mode a URL implies (see the module doc).
pub fn detect(url: &str) -> Pooler {
    let (host, port, params) = parts(url);
    if params
        .iter()
        .any(|(k, v)| k == "pgbouncer" && matches!(v.as_str(), "true" | "1" | "yes"))
    {
        return Pooler::Transaction;
    }
    if port == Some(6543) {
        return Pooler::Transaction;
    }
    if host.ends_with(".pooler.supabase.com") {
        return Pooler::Session;
    }
    Pooler::None
}

/// `url` without the parameters that are ours rather than PostgreSQL's (`pgbouncer=`), so the
/// driver does not warn about them.
pub fn driver_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            let k = kv.split('=').next().unwrap_or("");
            !k.eq_ignore_ascii_case("pgbouncer") && !kv.is_empty()
        })
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_poolers_from_the_url() {
        let supabase_tx =
            "postgresql://postgres.abc:pw@aws-0-us-east-1.pooler.supabase.com:6543/postgres";
        let supabase_session =
            "postgresql://postgres.abc:pw@aws-0-us-east-1.pooler.supabase.com:5432/postgres";
        assert_eq!(detect(supabase_tx), Pooler::Transaction);
        assert_eq!(detect(supabase_session), Pooler::Session);
        assert_eq!(
            detect("postgres://u@127.0.0.1:6400/db?pgbouncer=true"),
            Pooler::Transaction
        );
        assert_eq!(
            detect("postgres://u:p@db.abc.supabase.co:5432/postgres"),
            Pooler::None
        );
        assert_eq!(detect("postgres://u:6543@host/db"), Pooler::None);
        assert_eq!(detect("postgres://[::1]/db"), Pooler::None);
        assert_eq!(detect("postgres://u@[::1]:6543/db"), Pooler::Transaction);
    }

    #[test]
    fn our_parameters_are_not_passed_to_the_driver() {
        assert_eq!(
            driver_url("postgres://h:6400/db?pgbouncer=true&sslmode=disable"),
            "postgres://h:6400/db?sslmode=disable"
        );
        assert_eq!(
            driver_url("postgres://h:6400/db?pgbouncer=true"),
            "postgres://h:6400/db"
        );
        assert_eq!(driver_url("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn settings_name_the_modes() {
        #[derive(Deserialize)]
        struct S {
            pooler: Pooler,
        }
        let s: S = toml::from_str("pooler = \"transaction\"").unwrap();
        assert_eq!(s.pooler, Pooler::Transaction);
        assert!(toml::from_str::<S>("pooler = \"statement\"").is_err());
    }
}
