#!/usr/bin/env bash
# Survival sweep: read every file in a folder with the production reader, one process per file,
# with a time bound and peak memory measured. One line per file:
#   <file>  ok <format> sheets=… cells=… | error <message>  | rss=<peak KiB>
# A panic, a timeout (hang) or a crash is printed as FAIL and makes the script exit non-zero.
# Usage: scripts/sweep_realworld.sh [FOLDER] [TIMEOUT_SECONDS] [MAX_CELLS]
set -u
dir="${1:-../shared/realworld/calamine-tests}"
limit="${2:-20}"
max_cells="${3:-5000000}"
cd "$(dirname "$0")/.." || exit 2
cargo build -q --release --example read_file || exit 2
bin=target/release/examples/read_file
fails=0
max_rss=0
n=0
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  out=$( { /usr/bin/time -f "rss=%M" timeout "$limit" "$bin" "$f" "$max_cells"; } 2>&1 )
  code=$?
  line=$(printf '%s\n' "$out" | grep -E '^(ok|error) ' | head -1)
  rss=$(printf '%s\n' "$out" | grep -oE 'rss=[0-9]+' | tail -1)
  kib=${rss#rss=}
  [ -n "$kib" ] && [ "$kib" -gt "$max_rss" ] && max_rss=$kib
  if [ $code -ne 0 ] || [ -z "$line" ]; then
    fails=$((fails + 1))
    reason="exit $code"
    [ $code -eq 124 ] && reason="TIMEOUT after ${limit}s"
    printf '%-48s FAIL %s %s\n' "$(basename "$f")" "$reason" "$rss"
  else
    printf '%-48s %s %s\n' "$(basename "$f")" "$line" "$rss"
  fi
done
echo "files=$n failures=$fails peak_rss_max=${max_rss}KiB"
[ $fails -eq 0 ]
