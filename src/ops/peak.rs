//! The process's peak memory, reported on request for the hostile-input suite.
//!
//! When `PHARMACY_PEAK_RSS_FILE` names a file, the binary writes its peak resident set
//! size in KiB there as it exits (the kernel's high-water mark, `VmHWM` in
//! `/proc/self/status`). A process that dies first writes nothing, which the suite counts as
//! a failure. Nothing is written without the variable.

/// The environment variable naming the report file (outside the `PHARMACY_INGEST_` prefix,
/// which is reserved for settings).
pub const PEAK_RSS_FILE_ENV: &str = "PHARMACY_PEAK_RSS_FILE";

/// Write the peak RSS to the file the environment names, if any (best effort: the report is
/// for tests, so a failure to write it is not the command's failure).
pub fn report_if_asked() {
    let Some(path) = std::env::var_os(PEAK_RSS_FILE_ENV) else {
        return;
    };
    if let Some(kib) = peak_rss_kib() {
        let _ = std::fs::write(path, format!("{kib}\n"));
    }
}

/// `VmHWM` of this process in KiB (Linux); `None` elsewhere.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn peak_is_read_from_proc() {
        let kib = super::peak_rss_kib().unwrap();
        assert!(kib > 100, "{kib}");
    }
}
