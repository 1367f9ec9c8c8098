//! The hostile-input suite: every file in `fixtures/hostile/` (made by
//! `scripts/make_hostile_fixtures.py`, listed with its expected outcome in `manifest.json`)
//! goes through `pharmacy-ingest preview FILE` in a child process of the real binary, with the
//! default read limits except `read.max_cells` ([`SUITE_MAX_CELLS`]). Each run must end with the expected exit code and message (one line on
//! stderr naming the file when it is refused), within [`MAX_SECONDS`], and with a peak resident
//! set of at most [`MAX_PEAK_MIB`] (the child's own `VmHWM`, written at exit through
//! `PHARMACY_PEAK_RSS_FILE`: a child that dies writes nothing and fails the case).
//!
//! Files too large to commit are written at run time from the manifest's recipe. Two cases run
//! at a time; the table of times and peaks is printed (`--nocapture`) for RELIABILITY.md.

use crate::support::{bin, work_dir};
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Peak resident set allowed for one file.
const MAX_PEAK_MIB: u64 = 256;
/// Wall time allowed for one file.
const MAX_SECONDS: u64 = 10;
/// `read.max_cells` for the suite: the other limits keep their defaults; this one is lowered so
/// the over-limit files stay small and quick in a debug build.
const SUITE_MAX_CELLS: usize = 200_000;

#[derive(Debug, Deserialize)]
struct Manifest {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    file: String,
    exit: i32,
    expect: String,
    attack: String,
    generate: Option<Recipe>,
    /// A longer time bound for a case that is an open finding (see RELIABILITY.md).
    max_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Recipe {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    count: usize,
    #[serde(default)]
    suffix: String,
    /// A file of this many bytes that holds nothing (sparse): over a size limit by its
    /// metadata alone.
    sparse_bytes: Option<u64>,
}

/// What one run did.
struct Run {
    file: String,
    millis: u128,
    peak_kib: Option<u64>,
    failures: Vec<String>,
}

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile")
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(hostile_dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The file to read: committed, or written now from its recipe.
fn materialise(case: &Case, scratch: &Path) -> PathBuf {
    let Some(recipe) = &case.generate else {
        return hostile_dir().join(&case.file);
    };
    let path = scratch.join(&case.file);
    let file = std::fs::File::create(&path).unwrap();
    if let Some(n) = recipe.sparse_bytes {
        file.set_len(n).unwrap();
        return path;
    }
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    w.write_all(recipe.prefix.as_bytes()).unwrap();
    for _ in 0..recipe.count {
        w.write_all(recipe.unit.as_bytes()).unwrap();
    }
    w.write_all(recipe.suffix.as_bytes()).unwrap();
    w.flush().unwrap();
    path
}

/// Run `preview` on one case in a child process and judge it.
fn run_case(case: &Case, scratch: &Path) -> Run {
    let path = materialise(case, scratch);
    let dir = work_dir();
    let out = dir.path().join("stdout");
    let err = dir.path().join("stderr");
    let peak = dir.path().join("peak");
    let started = Instant::now();
    let mut child = bin(dir.path())
        .arg("preview")
        .arg(&path)
        .env("PHARMACY_PEAK_RSS_FILE", &peak)
        .env(
            "PHARMACY_INGEST_READ_MAX_CELLS",
            SUITE_MAX_CELLS.to_string(),
        )
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let mut failures = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        let limit = case.max_seconds.unwrap_or(MAX_SECONDS);
        if started.elapsed() > Duration::from_secs(limit) {
            let _ = child.kill();
            let _ = child.wait();
            failures.push(format!("still running after {limit} s (killed)"));
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let millis = started.elapsed().as_millis();
    if case.generate.is_some() {
        let _ = std::fs::remove_file(&path);
    }
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let peak_kib = std::fs::read_to_string(&peak)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    if let Some(status) = status {
        judge(case, status, &stdout, &stderr, peak_kib, &mut failures);
    }
    Run {
        file: case.file.clone(),
        millis,
        peak_kib,
        failures,
    }
}

fn judge(
    case: &Case,
    status: std::process::ExitStatus,
    stdout: &str,
    stderr: &str,
    peak_kib: Option<u64>,
    failures: &mut Vec<String>,
) {
    match status.code() {
        Some(code) if code == case.exit => {}
        other => failures.push(format!(
            "exit {other:?}, expected {} (stderr: {})",
            case.exit,
            first_line(stderr)
        )),
    }
    match peak_kib {
        None => failures.push("no peak memory reported (the process died?)".into()),
        Some(kib) if kib > MAX_PEAK_MIB * 1024 => {
            failures.push(format!("peak RSS {} MiB > {MAX_PEAK_MIB} MiB", kib / 1024))
        }
        Some(_) => {}
    }
    if case.exit == 2 {
        // Refused: exactly one line on stderr, naming the file.
        let lines: Vec<&str> = stderr.lines().collect();
        let prefix = format!("error: {}:", case.file);
        if lines.len() != 1 || !lines[0].starts_with(&prefix) {
            failures.push(format!(
                "stderr is not one line starting with {prefix:?}: {:?}",
                truncate(stderr)
            ));
        }
    }
    let haystack = if case.exit == 2 { stderr } else { stdout };
    if !haystack.contains(&case.expect) {
        failures.push(format!(
            "expected {:?} in the output, got {:?}",
            case.expect,
            truncate(haystack)
        ));
    }
    if case.exit != 2 && stdout.chars().any(|c| c.is_control() && c != '\n') {
        failures.push("raw control characters on stdout".into());
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

#[test]
fn every_hostile_file_is_refused_or_read_within_memory_and_time() {
    let cases = manifest().cases;
    assert!(cases.len() >= 60, "only {} hostile cases", cases.len());
    let scratch = tempfile::tempdir().unwrap();
    let next = Mutex::new(cases.iter());
    let runs = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some(case) = next.lock().unwrap().next() else {
                        return;
                    };
                    let run = run_case(case, scratch.path());
                    runs.lock().unwrap().push(run);
                }
            });
        }
    });
    let mut runs = runs.into_inner().unwrap();
    runs.sort_by(|a, b| a.file.cmp(&b.file));
    let mut failed = Vec::new();
    println!("{:<44} {:>8} {:>9}", "file", "ms", "peak MiB");
    for r in &runs {
        let peak = r
            .peak_kib
            .map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0));
        println!("{:<44} {:>8} {:>9}", r.file, r.millis, peak);
        for f in &r.failures {
            let attack = cases
                .iter()
                .find(|c| c.file == r.file)
                .map_or("", |c| &c.attack);
            failed.push(format!("{} ({attack}): {f}", r.file));
        }
    }
    let max_ms = runs.iter().map(|r| r.millis).max().unwrap_or(0);
    let max_peak = runs.iter().filter_map(|r| r.peak_kib).max().unwrap_or(0);
    println!(
        "{} hostile files in {:.1} s; slowest {max_ms} ms; highest peak {:.1} MiB",
        runs.len(),
        started.elapsed().as_secs_f64(),
        max_peak as f64 / 1024.0
    );
    assert!(
        failed.is_empty(),
        "{} failures:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
