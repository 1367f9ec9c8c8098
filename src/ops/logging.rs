//! Structured logs with tracing. Log ids and counts only: never names, phones or cell contents.
//!
//! Text logs carry colours only when stderr is a terminal (and `NO_COLOR` is not set), so a
//! log file or journal gets no escape codes. Every event is one line: field values are written
//! with `Debug` (newlines escaped), and sqlx's `db.statement` (the SQL text of a slow statement)
//! is left out of text lines — its `summary` and time stay; `--log-json` keeps every field.
//!
//! Libraries that log through the `log` crate (lopdf reports every malformed object it skips)
//! are forwarded into tracing at DEBUG under the target `deps`: a damaged PDF gets our one-line
//! error, not a stream of parser warnings on stderr.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;

/// Install the global subscriber (text or JSON lines on stderr), filtered by `RUST_LOG`
/// (default `info`), and the `log` bridge. Safe to call more than once.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `set_global_default`, not `try_init`: the latter would install tracing-log's bridge,
    // which keeps each record's level.
    let _ = if json {
        tracing::subscriber::set_global_default(builder.json().with_ansi(false).finish())
    } else {
        tracing::subscriber::set_global_default(
            builder
                .with_ansi(use_colour(
                    std::io::stderr().is_terminal(),
                    std::env::var_os("NO_COLOR").is_some(),
                ))
                .fmt_fields(one_line_fields())
                .finish(),
        )
    };
    if log::set_logger(&DEPENDENCY_LOG).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}

/// Forwards `log` records to tracing at DEBUG.
struct DependencyLog;

static DEPENDENCY_LOG: DependencyLog = DependencyLog;

impl log::Log for DependencyLog {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        tracing::enabled!(target: "deps", tracing::Level::DEBUG)
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            tracing::debug!(target: "deps", source = record.target(), "{}", record.args());
        }
    }

    fn flush(&self) {}
}

/// Colours only on a terminal, and not when `NO_COLOR` is set (<https://no-color.org>).
pub fn use_colour(terminal: bool, no_color: bool) -> bool {
    terminal && !no_color
}

/// Text-log fields: `name=value` with `Debug` values (so a string's newlines are escaped), the
/// message as it is, sqlx's SQL text left out.
pub fn one_line_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> {
    tracing_subscriber::fmt::format::debug_fn(|w, field, value| match field.name() {
        "message" => write!(w, "{}", escape_newlines(&format!("{value:?}"))),
        "db.statement" => Ok(()),
        name => write!(w, "{name}={value:?}"),
    })
    .delimited(" ")
}

/// A message's line breaks as `\n`, so one event stays one line.
fn escape_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        s.replace('\r', "\\r").replace('\n', "\\n").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, false));
        assert!(!use_colour(false, false));
        assert!(!use_colour(true, true));
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_slow_statement_is_one_line_without_its_sql() {
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || out.clone())
            .with_ansi(false)
            .fmt_fields(one_line_fields())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: "sqlx::query",
                summary = "select id from",
                db.statement = "\n\nselect id\nfrom import_jobs\n",
                rows_returned = 1u64,
                "slow statement: execution time exceeded alert threshold"
            );
            tracing::warn!(reason = "line one\nline two", "job failed;\nnot retried");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("summary=\"select id from\""), "{text}");
        assert!(!lines[0].contains("import_jobs"), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
        assert!(lines[1].contains("job failed;\\nnot retried"), "{text}");
        assert!(
            lines[1].contains("reason=\"line one\\nline two\""),
            "{text}"
        );
    }
}
