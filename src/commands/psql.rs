//! `pharmacy-ingest db psql [--print] [-- ARGS]`: psql on the database in use.
//!
//! The connection goes to psql through the environment (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGDATABASE`, `PGPASSWORD`), never the command line, so the password is not visible in
//! `ps`. This process keeps its hold on the embedded cluster while psql runs (the cluster
//! stops when its last user exits). `--print` shows the command to run by hand, reading the
//! password from the embedded cluster's `superuser.password` file instead of printing it.

use super::Context;
use crate::db::Server;
use std::process::ExitCode;
use std::str::FromStr;

/// Where and as whom to connect (no password).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    user: String,
    database: String,
}

impl Target {
    fn of(url: &str) -> anyhow::Result<Target> {
        let o = sqlx::postgres::PgConnectOptions::from_str(url)
            .map_err(|e| anyhow::anyhow!("the database URL cannot be read: {e}"))?;
        Ok(Target {
            host: o.get_host().to_string(),
            port: o.get_port(),
            user: o.get_username().to_string(),
            database: o.get_database().unwrap_or(o.get_username()).to_string(),
        })
    }

    /// The psql command line without the password.
    fn command_line(&self) -> String {
        format!(
            "psql -h {} -p {} -U {} -d {}",
            shell_word(&self.host),
            self.port,
            shell_word(&self.user),
            shell_word(&self.database)
        )
    }
}

pub async fn run(print: bool, args: Vec<String>, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = ctx.config.connect().await?;
    let target = Target::of(db.url());
    let result = match target {
        Ok(t) if print => {
            print_how(&t, db.server());
            Ok(ExitCode::SUCCESS)
        }
        Ok(t) => {
            let password = url_password(db.url());
            tokio::task::spawn_blocking(move || exec_psql(&t, password.as_deref(), &args))
                .await
                .map_err(anyhow::Error::from)
                .and_then(|r| r)
        }
        Err(e) => Err(e),
    };
    db.close().await?;
    result
}

fn print_how(t: &Target, server: &Server) {
    match server {
        Server::Embedded {
            root, started_here, ..
        } => {
            let pw = root.join("superuser.password");
            println!(
                "PGPASSWORD=\"$(cat {})\" {}",
                shell_word(&pw.display().to_string()),
                t.command_line()
            );
            if *started_here {
                println!(
                    "# the embedded cluster runs only while a pharmacy-ingest process uses it: \
                     start `pharmacy-ingest run` (or use `pharmacy-ingest db psql`) first"
                );
            }
        }
        Server::External => {
            println!("{}", t.command_line());
            println!("# psql asks for the password of the configured database URL");
        }
    }
}

/// Run psql with the terminal, the connection in its environment; its exit status is ours.
fn exec_psql(t: &Target, password: Option<&str>, args: &[String]) -> anyhow::Result<ExitCode> {
    let psql = psql_binary();
    let mut cmd = std::process::Command::new(&psql);
    cmd.args(args)
        .env("PGHOST", &t.host)
        .env("PGPORT", t.port.to_string())
        .env("PGUSER", &t.user)
        .env("PGDATABASE", &t.database)
        .env("PGAPPNAME", "pharmacy-ingest db psql");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let status = cmd.status().map_err(|e| {
        anyhow::anyhow!(
            "cannot run {}: {e} (install the PostgreSQL client, e.g. apt-get install postgresql-client)",
            psql.display()
        )
    })?;
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(2),
    ))
}

/// `psql` from `PATH`, else beside the server binaries the embedded cluster uses.
fn psql_binary() -> std::path::PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("psql"))
            .find(|f| f.is_file())
    });
    on_path
        .or_else(|| {
            crate::db::embedded::find_bin_dir()
                .ok()
                .map(|d| d.join("psql"))
        })
        .unwrap_or_else(|| "psql".into())
}

/// The password in a `postgres://user:password@host/…` URL (percent-decoded), or in a
/// `password=` parameter.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let from_userinfo = authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, pw)| percent_decode(pw));
    from_userinfo.or_else(|| {
        let query = url.split_once('?')?.1;
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("password="))
            .map(percent_decode)
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A word the shell takes as is (single-quoted when it holds anything but safe characters).
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_come_from_the_userinfo_or_the_query() {
        assert_eq!(
            url_password("postgres://u:p%40ss@h:5/db").as_deref(),
            Some("p@ss")
        );
        assert_eq!(
            url_password("postgres://u@h/db?sslmode=disable&password=x%2Fy").as_deref(),
            Some("x/y")
        );
        assert_eq!(url_password("postgres://u@h/db"), None);
    }

    #[test]
    fn the_printed_command_has_no_password() {
        let t = Target::of("postgres://postgres:secret@127.0.0.1:54321/my%20db").unwrap();
        let line = t.command_line();
        assert_eq!(line, "psql -h 127.0.0.1 -p 54321 -U postgres -d 'my db'");
        assert!(!line.contains("secret"));
    }
}
