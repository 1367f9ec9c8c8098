//! Structured logs with tracing. Log ids and counts only: never names, phones or cell contents.
//!
//! Libraries that log through the `log` crate (lopdf reports every malformed object it skips)
//! are forwarded into tracing at DEBUG under the target `deps`: a damaged PDF gets our one-line
//! error, not a stream of parser warnings on stderr.

use tracing_subscriber::EnvFilter;

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
        tracing::subscriber::set_global_default(builder.json().finish())
    } else {
        tracing::subscriber::set_global_default(builder.finish())
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
