# Sourced by bench/worker_cost.sh and bench/idle_probe.sh: a database of its own on the server
# of ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrated by $BIN, with
# stores 5000-5100, and a worker of $BIN on it (intake and HTTP off).
# Before sourcing: BIN (absolute path), SCRATCH (the database name's prefix).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/target/bench-venv/bin/python"
ADMIN="${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="${SCRATCH}_$$"
URL="${ADMIN%/*}/$DB"
WORK=$(mktemp -d)

# Create, migrate and fill the database; write the worker's config.
scratch_db() {
    psql -q "$ADMIN" -c "CREATE DATABASE $DB"
    DATABASE_URL="$URL" "$BIN" migrate >/dev/null
    psql -q "$URL" -c "INSERT INTO stores (store_number, address, city, state, zip_code)
        SELECT n, n || ' Main St', 'Springfield', 'IL', '62701' FROM generate_series(5000, 5100) n"
    printf 'data_dir = "%s"\n[intake]\ninboxes = []\n[http]\nlisten = ""\n' "$WORK" > "$WORK/c.toml"
}

# Start the worker (under $WRAP when set, e.g. a profiler); PID is its process. Waits 3 s.
start_worker() {
    # shellcheck disable=SC2086
    (cd "$WORK" && DATABASE_URL="$URL" RUST_LOG=warn exec ${WRAP:-} "$BIN" --config c.toml run 2> worker.log) &
    PID=$!
    sleep 3
}

# Stop the worker, drop the database, remove the folder.
drop_scratch() {
    if [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; then sleep 1; fi
    psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $DB" || true
    rm -rf "$WORK"
}
