//! Print the words our PDF reader extracts, as JSON, for `scripts/compare_pdf_words.py`.
//!
//! Usage: `pdf_words [--password PW] FILE...` — one JSON object per file and line:
//! `{"file": …, "pages": [{"page", "width", "height", "words": [{"text", "x0", "x1", "top",
//! "bottom", "upright"}]}]}` or `{"file": …, "error": "…"}`. With `--time N` it extracts each
//! file N times and prints the median milliseconds instead (used by `bench/pdf_speed.sh`).
//! With `--grid` it prints the laid-out grid's rows as text instead (to inspect the layout).

use pharmacy_ingest::read::ReadOptions;
use pharmacy_ingest::read::pdf::extract_words;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut opts = ReadOptions::default();
    let mut repeat: Option<usize> = None;
    let mut grid = false;
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--password" => opts.password = args.next(),
            "--time" => repeat = args.next().and_then(|n| n.parse().ok()),
            "--grid" => grid = true,
            _ => files.push(a),
        }
    }
    for file in files {
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                println!(
                    "{}",
                    serde_json::json!({"file": file, "error": e.to_string()})
                );
                continue;
            }
        };
        if grid {
            match pharmacy_ingest::read::pdf::read_pdf(&bytes, &opts) {
                Ok(g) => {
                    for sheet in &g.sheets {
                        println!("== {file} / {}", sheet.name);
                        for row in sheet.rows() {
                            let cells: Vec<String> =
                                row.cells.iter().map(|c| c.to_string()).collect();
                            println!(
                                "{:4} p{} | {}",
                                row.index,
                                sheet.page_of(row.index).unwrap_or(0),
                                cells.join(" | ")
                            );
                        }
                    }
                }
                Err(e) => println!("== {file}: error: {e}"),
            }
            continue;
        }
        if let Some(n) = repeat {
            let mut times: Vec<f64> = (0..n.max(1))
                .map(|_| {
                    let start = Instant::now();
                    let words: usize = extract_words(&bytes, &opts)
                        .map(|p| p.iter().map(|p| p.words.len()).sum())
                        .unwrap_or(0);
                    std::hint::black_box(words);
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!(
                "{}",
                serde_json::json!({"file": file, "median_ms": times[times.len() / 2]})
            );
            continue;
        }
        let line = match extract_words(&bytes, &opts) {
            Ok(pages) => serde_json::json!({"file": file, "pages": pages}),
            Err(e) => serde_json::json!({"file": file, "error": e.to_string()}),
        };
        println!("{line}");
    }
}
