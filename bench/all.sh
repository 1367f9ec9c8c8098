#!/usr/bin/env bash
# The whole benchmark with one command: bench/all.sh [ROUNDS]   (default 5 rounds)
#
# Installs the Python peers in a virtual environment (target/bench-venv: python-calamine,
# psycopg, pandas, openpyxl, pdfplumber, and xlsxwriter/reportlab for the inputs), builds the
# release binary and examples, generates the inputs in bench/data/ (10k/100k/1M rows xlsx, CSV,
# 2,000x7 grid, 50-page PDF; the 2,000 queued jobs are made during the run), then runs
# bench/bench.py: every contender interleaved round by round on a PostgreSQL cluster it starts
# for the run, checks that all stored the same rows, and writes BENCHMARKS.md.
# BENCH_ONLY=rows_100k,grid,queue limits the works measured.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"
VENV=target/bench-venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -r bench/requirements.txt
cargo build --release --bin pharmacy-ingest --example calamine_read --example pdf_words
"$VENV/bin/python" bench/make_bench_data.py --all
exec "$VENV/bin/python" bench/bench.py --rounds "$ROUNDS" --only "${BENCH_ONLY:-}"
