//! Read one file with the production reader and print one line: the grid's shape or the error.
//!
//! Used by `scripts/sweep_realworld.sh`; prints counts only, never cell contents.
//! Usage: `read_file PATH [MAX_CELLS]`.

use pharmacy_ingest::read::grid::Visibility;
use pharmacy_ingest::read::{ReadOptions, read_path};
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: read_file PATH [MAX_CELLS]");
        std::process::exit(2);
    };
    let mut opts = ReadOptions::default();
    if let Some(max) = args.next().and_then(|a| a.to_str()?.parse().ok()) {
        opts.limits.max_cells = max;
    }
    let started = std::time::Instant::now();
    match read_path(&path, &opts) {
        Ok(grid) => {
            let hidden = grid
                .sheets
                .iter()
                .filter(|s| s.visibility != Visibility::Visible)
                .count();
            let rows: usize = grid.sheets.iter().map(|s| s.row_count()).sum();
            let merged: usize = grid.sheets.iter().map(|s| s.merged.len()).sum();
            let hidden_rows: usize = grid.sheets.iter().map(|s| s.hidden_rows.len()).sum();
            println!(
                "ok {} sheets={} hidden_sheets={} rows={} cells={} merged={} hidden_rows={} 1904={} ms={}",
                grid.format,
                grid.sheets.len(),
                hidden,
                rows,
                grid.cell_count(),
                merged,
                hidden_rows,
                grid.date_1904,
                started.elapsed().as_millis()
            );
        }
        Err(e) => println!("error {e}"),
    }
}
