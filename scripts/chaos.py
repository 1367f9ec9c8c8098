#!/usr/bin/env python3
"""The long reliability runs of issue 9 (run through `scripts/chaos`, which builds the binary and
the venv): a private PostgreSQL cluster under target/chaos/, loopback only, real worker
processes of this build.

crash       files dropped into a shared inbox while 3 workers run; workers are SIGKILLed at
            random and at chosen stages (reading, planning, writing) and PostgreSQL is restarted
            fast and immediate. Checks: every file ends in processed/ or failed/ exactly once,
            nothing is left in inbox/ or processing/, every schedule has exactly one import
            with exactly its shifts, the shift total equals the truth, no partial import was
            ever visible (a monitor compares each import's shifts with its file all along), and
            SIGTERM ends every worker within its grace period.
contention  a fresh database: three `migrate` runs at once (exactly one applies), then three
            workers started together on it (template sync race) with files waiting in the
            inbox and queued through SQL `enqueue_import`. Checks: every file imported exactly
            once, no worker died.
pii         no employee name or phone of the generated files appears in any worker log.

Usage: scripts/chaos [--short] [--seed N] [--keep]
"""
import argparse
import csv
import datetime as dt
import glob
import io
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import psycopg

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "target", "debug", "pharmacy-ingest")
WORK = os.path.join(ROOT, "target", "chaos")
STORES = [1042, 2207, 3315]
HEADER = ["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position"]
SHIFTS = [("09:00", "17:30", "Pharmacist"), ("08:00", "16:00", "Technician"),
          ("12:00", "20:00", "Technician"), ("10:00", "18:00", "Cashier")]
SYL = ["ka", "lo", "mi", "ren", "sa", "to", "vi", "del", "mar", "no", "pe", "ri", "zu", "ha",
       "jo", "el", "an", "bo", "ci", "du"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- PostgreSQL ---------------------------------------------------------------------------

def pg_bin(tool):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    return found[-1] if found else shutil.which(tool)


def as_postgres(cmd):
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A private cluster under target/chaos/pg, loopback TCP only (no unix socket)."""

    def __init__(self):
        self.data = os.path.join(WORK, "pg")
        self.port = free_port()
        self.log = os.path.join(WORK, "pg.log")

    def init(self):
        if os.path.exists(self.data):
            shutil.rmtree(self.data)
        os.makedirs(self.data)
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            open(self.log, "a").close()
            shutil.chown(self.log, "postgres", "postgres")
        subprocess.run(as_postgres([pg_bin("initdb"), "-D", self.data, "-U", "postgres",
                                    "--auth=trust", "-E", "UTF8"]),
                       check=True, stdout=subprocess.DEVNULL)
        self.start()

    def start(self):
        opts = (f"-p {self.port} -k '' -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c full_page_writes=off -c max_connections=200")
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w",
                                    "-t", "60", "-o", opts, "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode="fast"):
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w",
                                    "stop"]), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def restart(self, mode):
        self.stop(mode)
        self.start()

    def url(self, db="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def create_db(self, name):
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')


# --- files and their truth ----------------------------------------------------------------

class Files:
    """Generated schedules: each covers its own store and days, so replace mode never makes
    two files touch the same shifts; the truth is the rows written."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cursor = {s: dt.date(2024, 1, 1) for s in STORES}
        self.names = set()
        self.phones = set()

    def person(self, i, salt):
        """A made-up name, unique within a file for i < 400 (no digits: names are letters)."""
        a = SYL[i % len(SYL)] + SYL[(i // len(SYL)) % len(SYL)]
        b = SYL[salt % len(SYL)] + SYL[(salt // len(SYL)) % len(SYL)] + "ski"
        name = f"{a.capitalize()} {b.capitalize()}"
        phone = "+1312555%04d" % ((salt * 997 + i) % 10000)
        self.names.add(name)
        self.phones.add(phone)
        return name, phone

    def schedule(self, name, employees, days):
        store = self.rng.choice(STORES)
        first = self.cursor[store]
        self.cursor[store] = first + dt.timedelta(days=days)
        salt = self.rng.randrange(1000)
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(HEADER)
        rows = 0
        for e in range(employees):
            person, phone = self.person(e, salt)
            start, end, pos = SHIFTS[(e + salt) % len(SHIFTS)]
            for d in range(days):
                day = first + dt.timedelta(days=d)
                w.writerow([store, person, phone, day.strftime("%m/%d/%Y"), start, end, pos])
                rows += 1
        return {"name": name, "bytes": out.getvalue().encode(), "rows": rows, "good": True}

    def bad(self, name):
        body = f"Item,Quantity,Price\nGloves,{self.rng.randrange(99)},3.50\n"
        return {"name": name, "bytes": body.encode(), "rows": 0, "good": False}

    def batch(self, prefix, n, big_every=0, bad_every=0):
        files = []
        for i in range(n):
            name = f"{prefix}-{i:04}.csv"
            if bad_every and i % bad_every == bad_every - 1:
                files.append(self.bad(name))
            elif big_every and i % big_every == big_every // 2:
                files.append(self.schedule(name, employees=300, days=14))
            else:
                files.append(self.schedule(name, employees=5, days=7))
        return files


# --- workers ------------------------------------------------------------------------------

def worker_config(path, inbox, grace):
    with open(path, "w") as f:
        f.write(f"""
[worker]
concurrency = 2
lease_secs = 3
heartbeat_ms = 500
rescue_interval_ms = 500
poll_interval_ms = 250
backoff_base_secs = 0.05
max_attempts = 25
shutdown_grace_secs = {grace}

[intake]
inboxes = ["{inbox}"]
settle_ms = 200
text_settle_ms = 400
rescan_secs = 1
recover_grace_secs = 2

[http]
listen = ""
""")


ALL_WORKERS = []


class Worker:
    def __init__(self, name, url, config, logs):
        ALL_WORKERS.append(self)
        self.name, self.url, self.config = name, url, config
        self.log_path = os.path.join(logs, f"{name}.log")
        self.proc = None
        self.kills = 0

    def start(self):
        env = dict(os.environ, DATABASE_URL=self.url, RUST_LOG="info",
                   PHARMACY_INGEST_WORKER_ID=self.name,
                   PHARMACY_INGEST_DATA_DIR=os.path.join(WORK, "var"))
        for k in list(env):
            if k.startswith("PHARMACY_INGEST_") and k not in (
                    "PHARMACY_INGEST_WORKER_ID", "PHARMACY_INGEST_DATA_DIR"):
                del env[k]
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "--config", self.config, "run"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=logf)
        logf.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
            return True
        return False

    def terminate(self, limit):
        """SIGTERM; seconds until it exited (None: still running after `limit`)."""
        if not self.alive():
            return 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=limit)
            return time.monotonic() - t0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def run_bin(url, *args):
    env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn",
               PHARMACY_INGEST_DATA_DIR=os.path.join(WORK, "var"))
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True)


# --- checks -------------------------------------------------------------------------------

class Monitor(threading.Thread):
    """Polls all along: an import that is visible must show exactly its file's shifts."""

    QUERY = """SELECT d.file_name, d.rows_imported,
                      (SELECT count(*) FROM store_schedules s WHERE s.import_id = d.id)
               FROM document_imports d WHERE d.status IN ('succeeded', 'partial')"""

    def __init__(self, url, truth):
        super().__init__(daemon=True)
        self.url, self.truth = url, truth
        self.stop = threading.Event()
        self.samples = 0
        self.violations = []

    def run(self):
        conn = None
        while not self.stop.is_set():
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.url, autocommit=True, connect_timeout=2)
                for name, imported, visible in conn.execute(self.QUERY).fetchall():
                    want = self.truth.get(name)
                    if visible != imported or (want is not None and visible != want):
                        self.violations.append((name, imported, visible, want))
                self.samples += 1
            except psycopg.Error:
                conn = None
                time.sleep(0.2)
            self.stop.wait(0.25)


SUFFIX = re.compile(r" \(\d+\)(\.[^.]*)?$")


def unsuffixed(name):
    """`x (1).csv` → `x.csv`: a move never overwrites, so two workers racing for one file may
    leave its one copy under a suffixed name."""
    return SUFFIX.sub(lambda m: m.group(1) or "", name)


def files_under(d):
    out = []
    for base, _, names in os.walk(d):
        out += [os.path.join(base, n) for n in names]
    return out


# What the worker writes beside a file: its report, error workbook and receipt.
SIDECARS = (".errors.txt", ".errors.xlsx", ".result.txt")


def schedules_under(d):
    """The dropped files under `d`, without the worker's sidecars and without hidden
    temporaries (`.NAME.PID-N.report`, `.moving`) that a SIGKILLed worker can leave behind."""
    return [p for p in files_under(d)
            if not p.endswith(SIDECARS) and not os.path.basename(p).startswith(".")]


def outcome_check(url, root, files, expect_inbox=True):
    """Every file once in processed/ (good) or failed/ (bad), nothing left, one import per
    schedule with its shifts, shift total equal to the truth."""
    problems = []
    processed = [unsuffixed(os.path.basename(p))
                 for p in schedules_under(os.path.join(root, "processed"))]
    failed = [unsuffixed(os.path.basename(p))
              for p in schedules_under(os.path.join(root, "failed"))]
    reports = [p for d in ("processed", "failed") for p in files_under(os.path.join(root, d))
               if p.endswith((".errors.txt", ".result.txt"))]
    leftovers = files_under(os.path.join(root, "inbox")) + files_under(
        os.path.join(root, "processing"))
    if leftovers:
        problems.append(f"left in inbox/processing: {len(leftovers)}")
    for f in files if expect_inbox else []:
        where = processed if f["good"] else failed
        n = where.count(f["name"])
        other = (failed if f["good"] else processed).count(f["name"])
        if n != 1 or other:
            problems.append(f"{f['name']}: {n} in the right folder, {other} in the other")
    if expect_inbox and len(processed) + len(failed) != len(files):
        problems.append(f"{len(processed) + len(failed)} files in processed/failed, "
                        f"{len(files)} dropped (a copy or a stray)")
    for r in reports:
        if os.path.getsize(r) == 0:
            problems.append(f"empty report {r}")
    with psycopg.connect(url) as c:
        rows = dict(((n, (k, r)) for n, k, r in c.execute(
            """SELECT file_name, count(*) FILTER (WHERE status IN ('succeeded', 'partial')),
                      coalesce(sum(rows_imported) FILTER (WHERE status IN
                               ('succeeded', 'partial')), 0)
               FROM document_imports GROUP BY file_name""").fetchall()))
        total = c.execute("SELECT count(*) FROM store_schedules").fetchone()[0]
        dupes = c.execute("""SELECT count(*) FROM (SELECT 1 FROM store_schedules
                             GROUP BY store_id, schedule_date, employee_name, shift_start
                             HAVING count(*) > 1) d""").fetchone()[0]
        unfinished = c.execute("""SELECT count(*) FROM import_jobs
                                  WHERE state NOT IN ('succeeded', 'failed', 'cancelled')"""
                               ).fetchone()[0]
    truth = sum(f["rows"] for f in files)
    for f in files:
        if not f["good"]:
            continue
        k, r = rows.get(f["name"], (0, 0))
        if k != 1 or r != f["rows"]:
            problems.append(f"{f['name']}: {k} imports, {r} shifts (want 1, {f['rows']})")
    if total != truth:
        problems.append(f"store_schedules holds {total} shifts, the truth is {truth}")
    if dupes:
        problems.append(f"{dupes} shifts stored twice")
    if unfinished:
        problems.append(f"{unfinished} jobs unfinished")
    return problems, {"shifts": total, "truth": truth, "processed": len(processed),
                      "failed": len(failed)}


def wait_quiet(url, root, files, timeout):
    """Until every file has its ending (or the timeout)."""
    want_good = sum(1 for f in files if f["good"])
    want_bad = len(files) - want_good
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processed = len(schedules_under(os.path.join(root, "processed")))
        failed = len(schedules_under(os.path.join(root, "failed")))
        left = len(files_under(os.path.join(root, "inbox"))) + len(
            files_under(os.path.join(root, "processing")))
        try:
            with psycopg.connect(url, connect_timeout=2) as c:
                unfinished = c.execute("""SELECT count(*) FROM import_jobs WHERE state
                                          NOT IN ('succeeded', 'failed', 'cancelled')"""
                                       ).fetchone()[0]
        except psycopg.Error:
            unfinished = -1
        if processed >= want_good and failed >= want_bad and left == 0 and unfinished == 0:
            return True
        time.sleep(0.5)
    return False


def drop(inbox, f):
    """As a store manager's copy lands: written under a temporary name, then renamed."""
    tmp = os.path.join(inbox, f["name"] + ".part")
    with open(tmp, "wb") as out:
        out.write(f["bytes"])
    os.rename(tmp, os.path.join(inbox, f["name"]))


# --- scenarios ----------------------------------------------------------------------------

def stage_of_running(url, stage):
    """Worker ids holding a running job at `stage`."""
    try:
        with psycopg.connect(url, connect_timeout=2) as c:
            return [r[0] for r in c.execute(
                "SELECT worker_id FROM import_jobs WHERE state = 'running' AND stage = %s",
                (stage,)).fetchall()]
    except psycopg.Error:
        return []


def crash(cluster, args, files_gen):
    n, kills, restarts = (60, 3, 1) if args.short else (320, 14, 2)
    cluster.create_db("chaos_crash")
    url = cluster.url("chaos_crash")
    for cmd in (["migrate"], ["demo-data"]):
        out = run_bin(url, *cmd)
        assert out.returncode == 0, out.stderr
    root = os.path.join(WORK, "crash")
    inbox = os.path.join(root, "inbox")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(inbox)
    config = os.path.join(WORK, "crash.toml")
    grace = 5
    worker_config(config, inbox, grace)
    logs = os.path.join(WORK, "logs")
    files = files_gen.batch("crash", n, big_every=40, bad_every=25)
    truth = {f["name"]: f["rows"] for f in files if f["good"]}
    workers = [Worker(f"crash-w{i}", url, config, logs) for i in range(3)]
    for w in workers:
        w.start()
    monitor = Monitor(url, truth)
    monitor.start()

    rng = random.Random(args.seed)
    duration = 25 if args.short else 150
    t0 = time.monotonic()
    drop_at = sorted(rng.uniform(0, duration * 0.8) for _ in files)
    stages = ["reading", "planning", "writing"]
    events = [(rng.uniform(2, duration), "kill", stages[i % 3] if i % 2 else None)
              for i in range(kills)]
    modes = ["fast", "immediate"]
    events += [(duration * (i + 1) / (restarts + 1), "restart", modes[i % 2])
               for i in range(restarts)]
    events.sort(key=lambda e: e[0])
    done_kills, done_restarts, staged_kills = 0, [], 0
    next_file = 0
    while next_file < len(files) or events:
        now = time.monotonic() - t0
        while next_file < len(files) and drop_at[next_file] <= now:
            drop(inbox, files[next_file])
            next_file += 1
        if events and events[0][0] <= now:
            _, kind, what = events.pop(0)
            if kind == "restart":
                log(f"crash: PostgreSQL restart ({what})")
                cluster.restart(what)
                done_restarts.append(what)
            else:
                victim = None
                if what:
                    # Wait up to 8 s for a job at that stage, then take any worker.
                    until = time.monotonic() + 8
                    while victim is None and time.monotonic() < until:
                        ids = stage_of_running(url, what)
                        victim = next((w for w in workers if w.name in ids and w.alive()), None)
                        if victim is None:
                            time.sleep(0.05)
                    staged_kills += victim is not None
                victim = victim or rng.choice([w for w in workers if w.alive()] or workers)
                if victim.kill9():
                    done_kills += 1
                    log(f"crash: SIGKILL {victim.name} ({what or 'random'})")
                time.sleep(rng.uniform(0.2, 1.5))
                victim.start()
        time.sleep(0.02)
    ok = wait_quiet(url, root, files, timeout=240 if not args.short else 120)
    stop_times = [w.terminate(limit=grace + 15) for w in workers]
    monitor.stop.set()
    monitor.join()
    problems, fig = outcome_check(url, root, files)
    if not ok:
        problems.append("the run did not settle in time")
    if any(t is None or t > grace + 10 for t in stop_times):
        problems.append(f"SIGTERM stop times {stop_times}")
    if monitor.violations:
        problems.append(f"partial imports seen: {monitor.violations[:5]}")
    fig.update(files=len(files), kills=done_kills, staged_kills=staged_kills,
               restarts=done_restarts, monitor_samples=monitor.samples,
               sigterm_max_s=round(max(t or 0 for t in stop_times), 2),
               seconds=round(time.monotonic() - t0, 1))
    return problems, fig, [w.log_path for w in workers]


def contention(cluster, args, files_gen):
    n = 100 if args.short else 500
    cluster.create_db("chaos_contention")
    url = cluster.url("chaos_contention")
    problems = []
    # Three migrate runs at once on the fresh database: exactly one applies.
    procs = [subprocess.Popen([BIN, "migrate"], env=dict(
        os.environ, DATABASE_URL=url, RUST_LOG="warn",
        PHARMACY_INGEST_DATA_DIR=os.path.join(WORK, "var")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate() for p in procs]
    applied = [o for o, _ in outs if "applied" in o]
    if any(p.returncode != 0 for p in procs) or len(applied) != 1:
        problems.append(f"concurrent migrate: {[o.strip() for o, _ in outs]} "
                        f"{[e.strip() for _, e in outs]}")
    out = run_bin(url, "demo-data")
    assert out.returncode == 0, out.stderr
    root = os.path.join(WORK, "contention")
    inbox = os.path.join(root, "inbox")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(inbox)
    config = os.path.join(WORK, "contention.toml")
    worker_config(config, inbox, 5)
    files = files_gen.batch("contention", n)
    by_inbox, by_sql = files[: n // 2], files[n // 2:]
    for f in by_inbox:
        drop(inbox, f)
    with psycopg.connect(url) as c:
        for f in by_sql:
            c.execute("SELECT enqueue_import(file_name => %s, file_bytes => %s)",
                      (f["name"], f["bytes"]))
    logs = os.path.join(WORK, "logs")
    workers = [Worker(f"contention-w{i}", url, config, logs) for i in range(3)]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    ok = wait_quiet(url, root, by_inbox, timeout=300 if not args.short else 150)
    took = time.monotonic() - t0
    dead = [w.name for w in workers if not w.alive()]
    for w in workers:
        w.terminate(limit=20)
    if dead:
        problems.append(f"workers died: {dead}")
    if not ok:
        problems.append("the run did not settle in time")
    p, fig = outcome_check(url, root, by_inbox)
    # Shifts of the SQL files too: the totals cover both halves.
    problems += [x for x in p if not x.startswith("store_schedules holds")]
    with psycopg.connect(url) as c:
        total = c.execute("SELECT count(*) FROM store_schedules").fetchone()[0]
        per_file = dict(c.execute("""SELECT file_name, count(*) FROM document_imports
                                     WHERE status = 'succeeded' GROUP BY file_name""").fetchall())
    truth = sum(f["rows"] for f in files)
    if total != truth:
        problems.append(f"store_schedules holds {total} shifts, the truth is {truth}")
    wrong = [f["name"] for f in by_sql if per_file.get(f["name"]) != 1]
    if wrong:
        problems.append(f"SQL-queued files not imported exactly once: {wrong[:5]}")
    fig.update(files=n, inbox=len(by_inbox), sql=len(by_sql), workers=3, shifts=total,
               truth=truth, seconds=round(took, 1))
    return problems, fig, [w.log_path for w in workers]


def pii(logs, files_gen):
    found = []
    needles = sorted(files_gen.names | files_gen.phones | {p[2:] for p in files_gen.phones})
    for path in logs:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for n in needles:
            if n in text:
                found.append((os.path.basename(path), n))
    return found, {"logs": len(logs), "needles": len(needles),
                   "bytes": sum(os.path.getsize(p) for p in logs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="the CI-sized run (under 4 minutes)")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep", action="store_true", help="leave the cluster's files for a look")
    args = ap.parse_args()
    # The time bound (scripts/chaos) sends SIGTERM: clean up the cluster and workers then.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("chaos: stopped by the time bound"))
    started = time.monotonic()
    os.makedirs(WORK, exist_ok=True)
    shutil.rmtree(os.path.join(WORK, "logs"), ignore_errors=True)
    os.makedirs(os.path.join(WORK, "logs"))
    cluster = Cluster()
    cluster.init()
    files_gen = Files(args.seed)
    failures = 0
    logs = []
    try:
        for name, scenario in (("crash", crash), ("contention", contention)):
            log(f"{name}: starting")
            problems, fig, worker_logs = scenario(cluster, args, files_gen)
            logs += worker_logs
            log(f"{name}: {fig}")
            for p in problems:
                log(f"{name}: PROBLEM {p}")
            failures += len(problems)
        found, fig = pii(logs, files_gen)
        log(f"pii: {fig}; found {len(found)}")
        for f in found[:10]:
            log(f"pii: PROBLEM {f}")
        failures += len(found)
    finally:
        for w in ALL_WORKERS:
            if w.alive():
                w.proc.kill()
                w.proc.wait()
        cluster.stop("fast")
        if not args.keep:
            shutil.rmtree(cluster.data, ignore_errors=True)
    log(f"chaos: {'ok' if failures == 0 else f'{failures} problems'} in "
        f"{time.monotonic() - started:.0f} s")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
