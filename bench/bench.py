#!/usr/bin/env python3
"""The whole benchmark (run by `bench/all.sh`): every contender on the same inputs, on one
PostgreSQL server started for the run (fsync on), interleaved round by round, each checked to
have stored the same rows (count and checksum). Writes BENCHMARKS.md.

    bench/all.sh [ROUNDS]          # installs the Python peers, builds, runs this

Contenders (each a process; wall time includes its start-up; peak RSS from wait4):
- ours:      `pharmacy-ingest import FILE --force` (shipped templates, audit trigger on);
- floor:     calamine alone reading the sheet (examples/calamine_read, in-process time) plus
             `psql \\copy` of the same rows as CSV into store_schedules (audit trigger on);
- pycal:     python-calamine read + psycopg COPY (rows layouts);
- pandas:    pandas + openpyxl read + psycopg executemany;
- pycsv:     Python csv + psycopg COPY (the CSV input).
Also: 2,000 queued one-shift jobs through `pharmacy-ingest run` (jobs/s), idle enqueue → commit
latency, `preview` vs calamine's read, and the 50-page PDF against pdfplumber.
"""
import argparse
import datetime as dt
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench", "data")
# Cargo's target folder (CARGO_TARGET_DIR when set, as cargo itself reads it).
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BIN = os.path.join(TARGET, "release", "pharmacy-ingest")
EXAMPLES = os.path.join(TARGET, "release", "examples")
PEERS = os.path.join(ROOT, "bench", "peers.py")
PG_BIN = "/usr/lib/postgresql/15/bin"
PORT = int(os.environ.get("BENCH_PG_PORT", "55439"))
CHECKSUM_SQL = (
    "SELECT count(*) || ' ' || coalesce(md5(string_agg(k, E'\\n' ORDER BY k)), '-') FROM ("
    " SELECT st.store_number || '|' || lower(s.employee_name) || '|' || s.schedule_date || '|'"
    "  || s.shift_start || '|' || s.shift_end AS k"
    " FROM store_schedules s JOIN stores st ON st.id = s.store_id) AS x"
)
RESET_SQL = ("TRUNCATE store_schedules, import_history, import_store_dates, document_imports, "
             "import_files, import_jobs, audit_log CASCADE")


class Server:
    """A private cluster for the run: initdb (as `postgres` when root), fsync on."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pharmacy-ingest-bench-")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "pgdata")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgres://postgres@127.0.0.1:{PORT}/bench"

    def start(self):
        run(self.as_user + [f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres",
                            "--auth=trust", "-E", "UTF8"])
        run(self.as_user + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-w", "-l",
                            os.path.join(self.dir, "pg.log"), "-o",
                            f"-p {PORT} -k {self.dir} -c listen_addresses=127.0.0.1 "
                            "-c fsync=on -c max_connections=50", "start"])
        psql(f"postgres://postgres@127.0.0.1:{PORT}/postgres", "CREATE DATABASE bench")

    def stop(self):
        subprocess.run(self.as_user + [f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def psql(url, sql):
    return run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql]).stdout.strip()


def timed(cmd, env=None, stdout=subprocess.DEVNULL):
    """Run a process; (wall seconds, peak RSS MB, exit code, stdout)."""
    out = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=out if stdout is None else stdout,
                         stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    p.returncode = code
    out.seek(0)
    text = out.read().decode(errors="replace")
    if code not in (0, 1):
        raise RuntimeError(f"{cmd[0]} exited {code}: {err.strip()[:400]}")
    return wall, usage.ru_maxrss / 1024, code, text


class Bench:
    def __init__(self, url, rounds, py):
        self.url, self.rounds, self.py = url, rounds, py
        self.env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn")
        self.results = {}  # (work, contender) -> list of (seconds, rss_mb)
        self.sums = {}  # (work, contender) -> checksum
        self.notes = []

    def wait_done(self, name_like):
        """Until the jobs named like `name_like` are done: polled by one process on one
        connection (`peers.py wait_done`). Not imported here: psycopg would grow this process,
        and a child's peak RSS (from wait4) counts the parent's pages it was forked with."""
        run([self.py, PEERS, "wait_done", name_like, self.url])

    def reset(self):
        psql(self.url, RESET_SQL)

    def record(self, work, who, secs, rss):
        self.results.setdefault((work, who), []).append((secs, rss))
        got = psql(self.url, CHECKSUM_SQL)
        prev = self.sums.setdefault((work, who), got)
        if prev != got:
            raise RuntimeError(f"{work}/{who}: stored rows changed between rounds")

    # -- contenders -------------------------------------------------------------------------
    def ours(self, path):
        secs, rss, _, _ = timed([BIN, "import", path, "--force", "--format", "json"], self.env)
        return secs, rss

    def floor(self, path, csv_path):
        read_ms = 0.0
        rss = 0.0
        if not path.endswith(".csv"):
            _, rss, _, out = timed([os.path.join(EXAMPLES, "calamine_read"), path], stdout=None)
            read_ms = float(out.split()[1])
        cols = ("store_id, employee_name, employee_phone, schedule_date, shift_start, shift_end, "
                "position, notes")
        secs, rss2, _, _ = timed(["psql", self.url, "-Xq", "-v", "ON_ERROR_STOP=1", "-c",
                                  f"\\copy store_schedules ({cols}) from '{csv_path}' csv"])
        return read_ms / 1000 + secs, max(rss, rss2)

    def peer(self, kind, path):
        secs, rss, _, _ = timed([self.py, PEERS, kind, path, self.url])
        return secs, rss

    def export_csv(self, work):
        """The rows ours stored, as the CSV the floor copies (same rows for everyone)."""
        path = os.path.join(DATA, f"{work}.floor.csv")
        q = ("SELECT store_id, employee_name, employee_phone, schedule_date, shift_start, "
             "shift_end, position, notes FROM store_schedules")
        run(["psql", self.url, "-Xq", "-c", f"\\copy ({q}) to '{path}' csv"])
        return path

    def import_work(self, work, path, peers):
        self.reset()
        self.ours(path)  # warm-up, and the rows the floor copies
        csv_path = self.export_csv(work)
        contenders = [("ours", lambda: self.ours(path)),
                      ("floor", lambda: self.floor(path, csv_path))]
        contenders += [(k, (lambda k=k: self.peer(k, path))) for k in peers]
        for r in range(self.rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for who, fn in order:
                self.reset()
                secs, rss = fn()
                self.record(work, who, secs, rss)
        sums = {who: self.sums[(work, who)] for who, _ in contenders}
        if len(set(sums.values())) != 1:
            self.notes.append(f"{work}: stored rows differ: {sums}")
        else:
            self.notes.append(f"{work}: every contender stored {next(iter(sums.values()))} "
                              "(count, md5 of store|name|date|start|end)")

    def preview_vs_calamine(self, path, work):
        for _ in range(self.rounds):
            secs, rss, _, _ = timed([BIN, "preview", path, "--format", "json"], self.env)
            self.results.setdefault((work, "preview"), []).append((secs, rss))
            _, rss, _, out = timed([os.path.join(EXAMPLES, "calamine_read"), path], stdout=None)
            self.results.setdefault((work, "calamine read"), []).append(
                (float(out.split()[1]) / 1000, rss))

    def pdf(self, path):
        import json
        for _ in range(self.rounds):
            _, rss, _, out = timed([os.path.join(EXAMPLES, "pdf_words"), "--time", "1", path],
                                   stdout=None)
            ours = json.loads(out.strip().splitlines()[-1])["median_ms"] / 1000
            self.results.setdefault(("pdf_50p", "ours"), []).append((ours, rss))
            _, rss, _, out = timed([self.py, PEERS, "pdfplumber", path, "-"], stdout=None)
            self.results.setdefault(("pdf_50p", "pdfplumber"), []).append((float(out), rss))

    def queue(self, jobs):
        """2,000 one-shift jobs through a running worker, then idle enqueue → commit."""
        self.reset()
        work = tempfile.mkdtemp(prefix="bench-queue-")
        cfg = os.path.join(work, "bench.toml")
        with open(cfg, "w") as f:
            f.write(f'data_dir = "{work}"\n[intake]\ninboxes = []\n[http]\nlisten = ""\n')
        worker = subprocess.Popen([BIN, "--config", cfg, "run"], env=self.env, cwd=work,
                                  stderr=open(os.path.join(work, "worker.log"), "w"))
        try:
            time.sleep(3)
            rates = []
            for _ in range(max(1, self.rounds // 2)):
                self.reset()
                # From the enqueuing transaction's commit (the jobs' created_at is its start,
                # seconds earlier for 2,000 jobs).
                t0 = float(run([self.py, PEERS, "enqueue", str(jobs), self.url]).stdout.split()[-1])
                self.wait_done("%")
                t1 = float(psql(self.url, "SELECT extract(epoch FROM max(finished_at)) FROM import_jobs"))
                ok = int(psql(self.url, "SELECT count(*) FROM import_jobs WHERE state = 'succeeded'"))
                rates.append(ok / (t1 - t0))
            # 50 jobs queued one at a time on one connection, each into an idle worker.
            run([self.py, PEERS, "enqueue_each", "50", self.url])
            self.wait_done("latency-%")
            # heartbeat_at is the claim's time for a job this short (its first heartbeat
            # would come later): the wait split at the claim.
            out = psql(self.url, "SELECT extract(epoch FROM finished_at - created_at) || ' ' || "
                                 "extract(epoch FROM heartbeat_at - created_at) "
                                 "FROM import_jobs WHERE state = 'succeeded' "
                                 "AND file_name LIKE 'latency-%'")
            lat = [tuple(float(x) for x in line.split()) for line in out.splitlines()]
            return rates, lat
        finally:
            worker.terminate()
            worker.wait(timeout=60)
            shutil.rmtree(work, ignore_errors=True)


def stats(xs):
    return statistics.median(xs), min(xs), max(xs)


def machine():
    cpu = "unknown cpu"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = run(["psql", "--version"]).stdout.strip()
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, "
            f"{pg}, load average at start {os.getloadavg()[0]:.1f}")


def report(b, rates, lat, command):
    out = ["# Benchmarks", "",
           f"Command: `{command}` ({b.rounds} rounds, contenders interleaved round by round, on a",
           "PostgreSQL cluster started for the run with fsync on; every import contender stores",
           "the same rows, checked by count and checksum).", "",
           f"Machine: {machine()}.", f"Date: {dt.datetime.utcnow():%Y-%m-%d %H:%M} UTC.", "",
           "## Imports (wall time of the whole process, peak RSS)", "",
           "| work | contender | median | min–max | ratio to floor | to ours | peak RSS |",
           "|---|---|---|---|---|---|---|"]
    works = []
    for (w, _) in b.results:
        if w not in works:
            works.append(w)
    for w in works:
        floor = (b.results.get((w, "floor")) or b.results.get((w, "calamine read"))
                 or b.results.get((w, "ours")))
        fmed = statistics.median(x[0] for x in floor) if floor else None
        mine = b.results.get((w, "ours")) or b.results.get((w, "preview"))
        omed = statistics.median(x[0] for x in mine) if mine else None
        for (w2, who), xs in b.results.items():
            if w2 != w:
                continue
            med, lo, hi = stats([x[0] for x in xs])
            ratio = f"{med / fmed:.2f}×" if fmed else "–"
            to_ours = f"{med / omed:.2f}×" if omed else "–"
            rss = max(x[1] for x in xs)
            out.append(f"| {w} | {who} | {med * 1000:.0f} ms | {lo * 1000:.0f}–{hi * 1000:.0f} ms "
                       f"| {ratio} | {to_ours} | {rss:.0f} MB |")
    out += ["", "Ratio to floor: to the floor (imports), to calamine's read (preview) or to ours "
            "(PDF). To ours: each contender's median over ours (above 1: slower than ours).", "",
            "## Queue", ""]
    if rates:
        m, lo, hi = stats(rates)
        out.append(f"- one-shift jobs through `pharmacy-ingest run` (default settings; {b.jobs} "
                   f"queued in one transaction, from its commit to the last job's commit): median "
                   f"{m:.0f} jobs/s (min {lo:.0f}, max {hi:.0f}) over {len(rates)} runs")
    if lat:
        total = [t for t, _ in lat]
        m, lo, hi = stats(total)
        p90 = sorted(total)[int(0.9 * (len(total) - 1))]
        to_claim = statistics.median(c for _, c in lat)
        after = statistics.median(t - c for t, c in lat)
        out.append(f"- idle enqueue → commit (job `created_at` → `finished_at`; jobs queued one "
                   f"at a time, 0.15 s apart, on one long-lived connection): median "
                   f"{m * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, min {lo * 1000:.1f} ms, "
                   f"max {hi * 1000:.1f} ms over {len(lat)} jobs; of which enqueue → claim "
                   f"{to_claim * 1000:.1f} ms and claim → the finishing statement "
                   f"{after * 1000:.1f} ms (medians)")
    out += ["", "## Checks", ""] + [f"- {n}" for n in b.notes] + [""]
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(out))
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated works (rows_100k, grid, ...)")
    ap.add_argument("--jobs", type=int, default=2000)
    args = ap.parse_args()
    only = [w for w in args.only.split(",") if w]
    want = lambda w: not only or any(o in w for o in only)  # noqa: E731
    server = Server()
    server.start()
    try:
        run([BIN, "migrate"], env=dict(os.environ, DATABASE_URL=server.url))
        psql(server.url, "INSERT INTO stores (store_number, address, city, state, zip_code) "
                         "SELECT n, n || ' Main St', 'Springfield', 'IL', '62701' "
                         "FROM generate_series(5000, 5100) AS n UNION ALL "
                         "SELECT 2207, '1 Elm St', 'Springfield', 'IL', '62701'")
        b = Bench(server.url, args.rounds, sys.executable)
        works = [("rows_10k", "rows_10k.xlsx", ["pycal", "pandas"]),
                 ("rows_100k", "rows_100k.xlsx", ["pycal", "pandas"]),
                 ("rows_100k_csv", "rows_100k.csv", ["pycsv"]),
                 ("grid_2000x7", "grid_2000x7.xlsx", ["pandas_grid"]),
                 ("rows_1m", "rows_1m.xlsx", ["pycal"])]
        for work, file, peers in works:
            if want(work):
                print(f"{work} ...", flush=True)
                b.import_work(work, os.path.join(DATA, file), peers)
        if want("preview"):
            b.preview_vs_calamine(os.path.join(DATA, "rows_100k.xlsx"), "preview rows_100k")
        if want("pdf"):
            b.pdf(os.path.join(DATA, "schedule_50p.pdf"))
        b.jobs = args.jobs
        rates, lat = b.queue(args.jobs) if want("queue") else ([], [])
        report(b, rates, lat, "bench/all.sh " + str(args.rounds))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
