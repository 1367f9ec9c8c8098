#!/usr/bin/env bash
# What one queue job costs the worker: bench/worker_cost.sh BINARY [JOBS]   (default 2000)
#
# Creates a database of its own on the server of ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), migrates it with BINARY, adds stores
# 5000-5100, starts `BINARY run` on it, queues JOBS one-shift jobs in one transaction
# (bench/peers.py enqueue) and prints, per job, the worker's context switches (every thread's
# voluntary + involuntary, /proc/PID/task/*/status) and CPU time (/proc/PID/stat utime+stime),
# the CPU time of the server's processes (every `postgres` process on this machine, from
# /proc: run it where nothing else uses that server), and the jobs/s from the enqueue to the
# last commit. Then drops the database. Run two
# binaries alternately, a few times each: the counts are steadier than wall time.
set -euo pipefail
BIN=$(realpath "$1")
JOBS="${2:-2000}"
SCRATCH=worker_cost
# shellcheck source=bench/scratch_worker.sh
. "$(dirname "$0")/scratch_worker.sh"
trap drop_scratch EXIT
scratch_db
start_worker
switches() { cat /proc/"$PID"/task/*/status 2>/dev/null |
    awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }'; }
ticks() { awk '{ print $14 + $15 }' /proc/"$PID"/stat; }
# "pid ticks" of every postgres process; a process started during the run counts from zero.
pg_ticks() { for f in /proc/[0-9]*/stat; do
    awk '$2 == "(postgres)" { print $1, $14 + $15 }' "$f" 2>/dev/null; done; }
pg_delta() { awk 'NR == FNR { before[$1] = $2; next } { s += $2 - before[$1] } END { print s }' \
    "$WORK/pg0" "$WORK/pg1"; }
pg_ticks > "$WORK/pg0"
s0=$(switches); c0=$(ticks); t0=$(date +%s.%N)
"$PY" "$ROOT/bench/peers.py" enqueue "$JOBS" "$URL" >/dev/null
"$PY" "$ROOT/bench/peers.py" wait_done % "$URL"
s1=$(switches); c1=$(ticks); t1=$(date +%s.%N)
pg_ticks > "$WORK/pg1"
hz=$(getconf CLK_TCK)
awk -v s="$((s1 - s0))" -v c="$((c1 - c0))" -v t="$(echo "$t1 - $t0" | bc -l)" -v n="$JOBS" \
    -v p="$(pg_delta)" -v hz="$hz" -v b="$BIN" 'BEGIN { printf "%s: %.1f context switches, " \
    "%.3f ms worker CPU and %.3f ms PostgreSQL CPU a job; %.0f jobs/s\n",
    b, s / n, c * 1000 / hz / n, p * 1000 / hz / n, n / t }'
