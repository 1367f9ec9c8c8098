//! The floor's read half (run by `bench/bench.py`): calamine alone loading the first sheet of a
//! workbook (`open_workbook_auto` + `worksheet_range`), timed in-process. Prints the cell count
//! and the milliseconds on one line: `CELLS MS`. Never prints cell contents.
//!
//! Usage: `calamine_read PATH`.

use calamine::Reader;
use std::path::PathBuf;

fn main() {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: calamine_read PATH");
        std::process::exit(2);
    };
    let started = std::time::Instant::now();
    let cells = match calamine::open_workbook_auto(&path) {
        Ok(mut wb) => {
            let Some(name) = wb.sheet_names().first().cloned() else {
                eprintln!("{}: no sheet", path.display());
                std::process::exit(2);
            };
            match wb.worksheet_range(&name) {
                Ok(range) => range.get_size().0 * range.get_size().1,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    std::process::exit(2);
                }
            }
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            std::process::exit(2);
        }
    };
    println!("{cells} {:.3}", started.elapsed().as_secs_f64() * 1000.0);
}
