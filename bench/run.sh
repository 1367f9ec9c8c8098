#!/usr/bin/env bash
# Read benchmark: generate the inputs (once) and run benches/read.rs, which prints a table of
# medians measured side by side: calamine alone (open + worksheet_range), our read_path to a
# Grid, and the full pipeline to shifts (import::plan_path), with the ratios.
# Usage: bench/run.sh [RUNS]   (default 7 runs of each, interleaved)
set -eu
cd "$(dirname "$0")/.."
python3 bench/make_bench_data.py
BENCH_RUNS="${1:-7}" cargo bench --bench read
