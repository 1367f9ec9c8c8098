//! The `pharmacy-ingest` binary: parse the command line, set up logging, dispatch, and map the
//! outcome to an exit code. Everything else lives in the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    pharmacy_ingest::ops::allocator::tune();
    let cli = pharmacy_ingest::commands::cli::Cli::parse();
    let code = match pharmacy_ingest::commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    };
    pharmacy_ingest::ops::peak::report_if_asked();
    code
}
