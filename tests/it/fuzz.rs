//! Fuzzing with proptest and a fixed case budget: every reader (xlsx, xls, xlsb, ods, csv,
//! pdf) on mutated seed files, the format sniffer and the CSV delimiter sniffer on arbitrary
//! bytes, and the shift-time grammar on arbitrary and shift-like text. The property: the call
//! returns (no panic escapes, no abort, no hang), and a refusal is one line naming the file.
//!
//! `cargo test` runs [`DEFAULT_CASES`] inputs per target; `scripts/fuzz` runs many more
//! (`PHARMACY_FUZZ_CASES`) in a release build. The count of inputs tried is printed for each
//! target. A crash found here becomes a file in `fixtures/hostile/` (through
//! `scripts/make_hostile_fixtures.py`) and so a regression case of the hostile suite.

use pharmacy_ingest::read::{self, ReadOptions};
use pharmacy_ingest::values::timespec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Inputs per target in `cargo test`.
const DEFAULT_CASES: u32 = 48;

fn cases() -> u32 {
    std::env::var("PHARMACY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

fn seed(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// A mutation of a seed: overwritten bytes, a cut, an inserted run, a duplicated slice.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        1 => any::<usize>().prop_map(Edit::Cut),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(at, b)| Edit::Insert(at, b)),
        1 => (any::<usize>(), 1usize..4096).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ]
}

fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        if b.is_empty() {
            break;
        }
        match e {
            Edit::Set(at, v) => {
                let i = at % b.len();
                b[i] = *v;
            }
            Edit::Cut(at) => b.truncate(at % b.len()),
            Edit::Insert(at, bytes) => {
                let i = at % b.len();
                b.splice(i..i, bytes.iter().copied());
            }
            Edit::Duplicate(at, n) => {
                let i = at % b.len();
                let end = (i + n).min(b.len());
                let copy = b[i..end].to_vec();
                b.splice(end..end, copy);
            }
        }
    }
    b
}

/// Read one input; a refusal must be one line that names the file.
fn read_one(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Err(e) = read::read_bytes(name, bytes, &ReadOptions::default()) {
        let msg = e.to_string();
        prop_assert!(
            msg.starts_with(&format!("{name}: ")) && !msg.contains('\n'),
            "not a one-line error naming the file: {msg:?}"
        );
    }
    Ok(())
}

/// Fuzz one reader from its seed; returns the inputs tried.
fn fuzz_reader(name: &str, seed_path: &str) -> usize {
    let seed = seed(seed_path);
    let tried = AtomicUsize::new(0);
    let strategy = proptest::collection::vec(edit(), 1..12);
    let result = runner().run(&strategy, |edits| {
        tried.fetch_add(1, Ordering::Relaxed);
        read_one(name, &apply(&seed, &edits))
    });
    let n = tried.load(Ordering::Relaxed);
    println!("fuzz {name}: {n} inputs from {seed_path}");
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    n
}

#[test]
fn fuzz_xlsx_reader() {
    fuzz_reader("f.xlsx", "fixtures/readers/workbook_1900.xlsx");
}

#[test]
fn fuzz_xls_reader() {
    fuzz_reader("f.xls", "fixtures/readers/workbook_1900.xls");
}

#[test]
fn fuzz_xlsb_reader() {
    fuzz_reader("f.xlsb", "fixtures/hostile/xlsb_minimal.xlsb");
}

#[test]
fn fuzz_ods_reader() {
    fuzz_reader("f.ods", "fixtures/readers/workbook_1900.ods");
}

#[test]
fn fuzz_csv_reader() {
    fuzz_reader("f.csv", "fixtures/import/week48_store101.csv");
}

#[test]
fn fuzz_pdf_reader() {
    fuzz_reader("f.pdf", "fixtures/hostile/pdf_minimal.pdf");
}

#[test]
fn fuzz_sniffers_on_arbitrary_bytes() {
    let tried = AtomicUsize::new(0);
    let bytes = proptest::collection::vec(any::<u8>(), 0..2048);
    let result = runner().run(&bytes, |b| {
        tried.fetch_add(1, Ordering::Relaxed);
        let _ = read::sniff::sniff(&b);
        let text = String::from_utf8_lossy(&b);
        let d = read::csv::sniff_delimiter(&text);
        prop_assert!([b',', b';', b'\t', b'|'].contains(&d));
        read_one("any.csv", &b)
    });
    println!("fuzz sniffers: {} inputs", tried.load(Ordering::Relaxed));
    result.unwrap();
}

/// Shift-like text: clocks, separators, words and noise.
fn shift_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,4}",
        Just(":".to_string()),
        Just(".".to_string()),
        Just("-".to_string()),
        Just("–".to_string()),
        Just(" ".to_string()),
        Just("a".to_string()),
        Just("pm".to_string()),
        Just("AM".to_string()),
        Just("to".to_string()),
        Just("and".to_string()),
        Just("/".to_string()),
        Just(",".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("OFF".to_string()),
        Just("\n".to_string()),
        "\\PC{1,3}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

#[test]
fn fuzz_shift_time_grammar() {
    let tried = AtomicUsize::new(0);
    let text = prop_oneof![shift_text(), "\\PC{0,64}", ".{0,64}"];
    let result = runner().run(&text, |t| {
        tried.fetch_add(1, Ordering::Relaxed);
        let _ = timespec::parse_clock(&t);
        let _ = timespec::parse_ranges(&t);
        let _ = timespec::parse_with_note(&t);
        let _ = timespec::parse_clipped(&t);
        Ok(())
    });
    println!(
        "fuzz shift-time grammar: {} inputs",
        tried.load(Ordering::Relaxed)
    );
    result.unwrap();
}
