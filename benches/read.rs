//! Read benchmark (run by `bench/run.sh`): for each input, measured side by side and
//! interleaved run by run, the median wall time of
//!
//! 1. calamine alone loading the sheet (`open_workbook_auto` + `worksheet_range`),
//! 2. our reader to a Grid (`read::read_path`),
//! 3. the whole pure pipeline to shifts (`import::plan_path`: read, template, extract,
//!    validate),
//!
//! and the ratios to calamine alone. Inputs come from `bench/make_bench_data.py`.

use calamine::Reader;
use pharmacy_ingest::pipeline::plan::{PlanOptions, plan_path};
use pharmacy_ingest::read::{ReadOptions, read_path};
use pharmacy_ingest::template::TemplateSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn calamine_alone(path: &Path) -> usize {
    let mut wb = calamine::open_workbook_auto(path).expect("calamine opens the bench file");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).expect("calamine reads the sheet");
    range.get_size().0 * range.get_size().1
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/data");
    // BENCH_INPUT=grid (a substring) measures only the matching inputs.
    let only = std::env::var("BENCH_INPUT").unwrap_or_default();
    let inputs = ["rows_100k.xlsx", "grid_2000x7.xlsx"]
        .into_iter()
        .filter(|i| i.contains(only.as_str()));
    let read_opts = ReadOptions::default();
    let plan_opts = PlanOptions {
        templates: TemplateSet::embedded().expect("embedded templates compile"),
        ..PlanOptions::default()
    };
    println!(
        "{:<18} {:>6} {:>12} {:>12} {:>12} {:>9} {:>9} {:>8}",
        "input", "runs", "calamine", "read_path", "to_shifts", "read/cal", "shifts/cal", "shifts"
    );
    for input in inputs {
        let path = data.join(input);
        assert!(
            path.exists(),
            "{} is missing: run bench/run.sh (it generates bench/data)",
            path.display()
        );
        let (mut cal, mut read, mut plan) = (Vec::new(), Vec::new(), Vec::new());
        let mut shifts = 0;
        // One warm-up of each, then interleaved runs so load changes hit all three alike.
        black_box(calamine_alone(&path));
        black_box(read_path(&path, &read_opts).expect("bench file reads"));
        black_box(plan_path(&path, &plan_opts).expect("bench file plans"));
        for _ in 0..runs {
            let t = Instant::now();
            black_box(calamine_alone(&path));
            cal.push(t.elapsed());
            let t = Instant::now();
            black_box(read_path(&path, &read_opts).expect("bench file reads"));
            read.push(t.elapsed());
            let t = Instant::now();
            let p = black_box(plan_path(&path, &plan_opts).expect("bench file plans"));
            plan.push(t.elapsed());
            shifts = p.shifts.len();
        }
        let (c, r, p) = (median(cal), median(read), median(plan));
        println!(
            "{:<18} {:>6} {:>10.1}ms {:>10.1}ms {:>10.1}ms {:>8.2}x {:>9.2}x {:>8}",
            input,
            runs,
            c.as_secs_f64() * 1e3,
            r.as_secs_f64() * 1e3,
            p.as_secs_f64() * 1e3,
            r.as_secs_f64() / c.as_secs_f64(),
            p.as_secs_f64() / c.as_secs_f64(),
            shifts
        );
    }
}
