#!/usr/bin/env bash
# Peak RSS and wall time of `pharmacy-ingest import`, one file at a time, on an empty schedule:
#
#   DATABASE_URL=postgres://... bench/memory.sh BINARY FILE...
#
# The database must be migrated and hold the files' stores (bench.py's stores: 5000-5100 and
# 2207). Before each file the schedule, imports, history, audit log and stored files are
# emptied (TRUNCATE: use a database of its own, never one with data you keep). Prints
# "FILE PEAK_KB KB SECONDS s" per file (GNU time's %M and %e).
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to a database of its own}"
bin="$1"; shift
for f in "$@"; do
    psql -q "$DATABASE_URL" -c "TRUNCATE store_schedules, document_imports, import_history,
        audit_log, import_files CASCADE" >/dev/null 2>&1
    /usr/bin/time -f "$(basename "$f") %M KB %e s" "$bin" import "$f" --force --format json \
        >/dev/null 2>"${TMPDIR:-/tmp}/bench-memory.err" || true
    tail -1 "${TMPDIR:-/tmp}/bench-memory.err"
done
