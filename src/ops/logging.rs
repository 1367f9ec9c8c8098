//! Structured logs with tracing. Log ids and counts only: never names, phones or cell contents.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber (text or JSON lines on stderr), filtered by `RUST_LOG`
/// (default `info`). Safe to call more than once.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
