#!/usr/bin/env bash
# Idle jobs, one by one, and where their time goes: bench/idle_probe.sh BINARY [JOBS] (default 40)
#
# Creates a database of its own on the server of ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/postgres, the machine's PostgreSQL), migrates it with
# BINARY, adds stores 5000-5100, starts `BINARY run`, optionally queues PRE one-shift jobs in one
# transaction first (PRE=2000: the young, just-busy queue `queue_side_by_side.py` measures),
# then queues JOBS one-shift jobs one at a time, 0.15 s apart, and prints each job's
# enqueue -> commit (`finished_at - created_at`, ms), the medians of enqueue -> claim and
# claim -> finishing statement (`heartbeat_at` is the claim's time for a job this short), and
# the median enqueue -> commit. Then drops the database.
#
#   LOGAFTER=1     log every statement of the probe phase (ALTER SYSTEM, reset afterwards);
#                  summarise with: grep duration /var/log/postgresql/postgresql-15-main.log
#   AUTOEXPLAIN=1  log every plan of the probe phase with its actual times (auto_explain)
#   WRAP="perf record -F 20000 -g -o perf.data --"   run the worker under a profiler
#
# With a packet capture beside it (`tcpdump -i lo -s 300 -w cap.pcap 'tcp port 5432'`),
# bench/pcap_timeline.py cap.pcap prints the median timeline of a job from its notification.
set -euo pipefail
BIN=$(realpath "$1")
N="${2:-40}"
SCRATCH=idle_probe
# shellcheck source=bench/scratch_worker.sh
. "$(dirname "$0")/scratch_worker.sh"
system() { psql -q "$ADMIN" -c "LOAD 'auto_explain'" "${@/#/-c}" -c "SELECT pg_reload_conf()" >/dev/null; }
cleanup() {
    [ -n "${LOGAFTER:-}" ] && system "ALTER SYSTEM RESET log_min_duration_statement"
    [ -n "${AUTOEXPLAIN:-}" ] && system "ALTER SYSTEM RESET auto_explain.log_min_duration" \
        "ALTER SYSTEM RESET auto_explain.log_analyze" "ALTER SYSTEM RESET auto_explain.log_triggers"
    drop_scratch
}
trap cleanup EXIT
scratch_db
if [ -n "${AUTOEXPLAIN:-}" ]; then
    psql -q "$ADMIN" -c "ALTER DATABASE $DB SET session_preload_libraries = 'auto_explain'"
fi
start_worker
if [ "${PRE:-0}" != 0 ]; then
    "$PY" "$ROOT/bench/peers.py" enqueue "$PRE" "$URL" >/dev/null
    "$PY" "$ROOT/bench/peers.py" wait_done % "$URL"
fi
[ -n "${LOGAFTER:-}" ] && system "ALTER SYSTEM SET log_min_duration_statement = 0"
[ -n "${AUTOEXPLAIN:-}" ] && system "ALTER SYSTEM SET auto_explain.log_min_duration = 0" \
    "ALTER SYSTEM SET auto_explain.log_analyze = on" "ALTER SYSTEM SET auto_explain.log_triggers = on"
"$PY" "$ROOT/bench/peers.py" enqueue_each "$N" "$URL" >/dev/null
"$PY" "$ROOT/bench/peers.py" wait_done latency-% "$URL"
WHERE="state = 'succeeded' AND file_name LIKE 'latency-%'"
med() { echo "round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM $1) * 1000)::numeric, 2)"; }
psql -At "$URL" -c "SELECT string_agg(round(extract(epoch FROM finished_at - created_at) * 1000, 2)::text, ' '
    ORDER BY created_at) FROM import_jobs WHERE $WHERE"
psql -At "$URL" -F ' ' -c "SELECT 'enqueue -> claim', $(med "heartbeat_at - created_at"), 'ms; claim -> finish',
    $(med "finished_at - heartbeat_at"), 'ms; enqueue -> commit', $(med "finished_at - created_at"), 'ms'
    FROM import_jobs WHERE $WHERE"
