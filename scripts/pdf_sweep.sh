#!/usr/bin/env bash
# Read every PDF in a folder into a grid with our reader, one process per file under a time
# bound, and print per file: ok (sheets, rows) or the error message, and the wall time.
# Usage: scripts/pdf_sweep.sh [DIR] [SECONDS]   (default: the realworld pdfplumber folder, 30 s)
# password-example.pdf is opened with its password `test`.
set -u
DIR=${1:-/work/shared/realworld/pdfplumber-pdfs}
LIMIT=${2:-30}
BIN=target/debug/examples/pdf_words
cargo build -q --example pdf_words || exit 1
ok=0; err=0; bad=0
for f in "$DIR"/*.pdf; do
  name=$(basename "$f")
  pw=()
  [ "$name" = password-example.pdf ] && pw=(--password test)
  start=$(date +%s.%N)
  out=$(timeout "$LIMIT" "$BIN" --grid "${pw[@]}" "$f" 2>/tmp/pdf_sweep.err)
  rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  if [ $rc -eq 124 ]; then status="HANG (killed after ${LIMIT}s)"; bad=$((bad+1))
  elif [ $rc -ne 0 ]; then status="CRASH rc=$rc: $(tail -c 200 /tmp/pdf_sweep.err)"; bad=$((bad+1))
  elif echo "$out" | grep -q "^== .*: error: "; then status="error: ${out##*: error: }"; err=$((err+1))
  else
    sheets=$(echo "$out" | grep -c "^== ")
    rows=$(echo "$out" | grep -vc "^== ")
    status="ok: $sheets sheet(s), $rows rows"; ok=$((ok+1))
  fi
  printf "%-48s %6.2fs  %s\n" "$name" "$secs" "$status"
done
echo "read: $ok  clear error: $err  crash/hang: $bad"
