#!/usr/bin/env python3
"""Latency from a file landing in the watched folder to its shifts committed, for a one-week
store schedule (35 shifts, CSV), minus the configured settle time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python3 bench/inbox_latency.py \
        [--bin target/release/pharmacy-ingest] [--files 20] [--settle-ms 1000]

A fresh database (`bench_inbox_<pid>`) is created on the server of DATABASE_URL and dropped at
the end. The worker runs as a real process; each file is written under a temporary name and
renamed into the inbox (t0), one at a time. The commit time is the job's `finished_at`, which
the worker sets with `clock_timestamp()` as the last statement of the import transaction.
Prints a table: landing → queued (settle check, read, move, enqueue), queued → committed
(wake-up, claim, plan, write), and the total minus the settle time.
"""
import argparse
import csv
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def psql(url, sql):
    out = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def with_db(url, name):
    head, _, tail = url.partition("://")
    auth = tail.split("/")[0].split("?")[0]
    return f"{head}://{auth}/{name}"


def week_csv(path, monday):
    names = ["Maria Lopez", "James Carter", "Priya Nair", "Tom Becker", "Alex Ortiz"]
    shifts = [("09:00", "17:30", "Pharmacist"), ("08:00", "16:00", "Technician"),
              ("12:00", "20:00", "Technician"), ("10:00", "18:00", "Cashier"),
              ("22:00", "06:00", "Pharmacist")]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position"])
        for e, name in enumerate(names):
            s, t, pos = shifts[e]
            for d in range(7):
                day = monday + dt.timedelta(days=d)
                w.writerow([1042, name, "+1217555%04d" % (3000 + e), day.strftime("%m/%d/%Y"), s, t, pos])


def pct(xs, p):
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/pharmacy-ingest")
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--settle-ms", type=int, default=1000)
    args = ap.parse_args()
    server = os.environ.get("DATABASE_URL")
    if not server:
        sys.exit("set DATABASE_URL to a server where a database may be created")
    dbname = f"bench_inbox_{os.getpid()}"
    psql(server, f"CREATE DATABASE {dbname}")
    url = with_db(server, dbname)
    work = tempfile.mkdtemp(prefix="bench-inbox-")
    worker = None
    try:
        env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn")
        binary = os.path.abspath(args.bin)
        subprocess.run([binary, "migrate"], env=env, cwd=work, check=True, capture_output=True)
        subprocess.run([binary, "demo-data"], env=env, cwd=work, check=True, capture_output=True)
        inbox = os.path.join(work, "inbox")
        os.makedirs(inbox)
        cfg = os.path.join(work, "bench.toml")
        with open(cfg, "w") as f:
            f.write(f'[intake]\ninboxes = ["{inbox}"]\nsettle_ms = {args.settle_ms}\n'
                    f'text_settle_ms = {args.settle_ms}\n'
                    '[http]\nlisten = ""\n')
        worker = subprocess.Popen([binary, "--config", cfg, "run"], env=env, cwd=work,
                                  stderr=open(os.path.join(work, "worker.log"), "w"))
        time.sleep(3)  # start-up: template sync, LISTEN
        rows = []
        src = os.path.join(work, "src")
        os.makedirs(src)
        for i in range(args.files):
            name = f"week-{i:03}.csv"
            week_csv(os.path.join(src, name), dt.date(2026, 1, 5) + dt.timedelta(weeks=i))
            shutil.copy(os.path.join(src, name), os.path.join(inbox, name + ".part"))
            os.rename(os.path.join(inbox, name + ".part"), os.path.join(inbox, name))
            t0 = time.time()
            deadline = t0 + 30
            while True:
                r = psql(url, "SELECT extract(epoch FROM created_at), extract(epoch FROM finished_at), "
                              f"state FROM import_jobs WHERE file_name = '{name}'")
                if r and r.split("|")[2] in ("succeeded", "failed"):
                    created, finished, state = r.split("|")
                    break
                if time.time() > deadline:
                    sys.exit(f"{name}: not imported within 30 s (see {work}/worker.log)")
                time.sleep(0.05)
            if state != "succeeded":
                sys.exit(f"{name}: job {state}")
            rows.append((float(created) - t0, float(finished) - float(created), float(finished) - t0))
        settle = args.settle_ms / 1000
        queued = [r[0] for r in rows]
        committed = [r[1] for r in rows]
        total = [r[2] for r in rows]
        beyond = [t - settle for t in total]
        shifts = psql(url, "SELECT count(*) FROM store_schedules")
        print(f"one-week schedule (35 shifts, CSV), {len(rows)} files, settle {args.settle_ms} ms, "
              f"{shifts} shifts stored, binary {args.bin}")
        print(f"{'stage':<34}{'median':>10}{'p90':>10}{'max':>10}")
        for label, xs in [("landing -> queued (incl. settle)", queued),
                          ("queued -> committed", committed),
                          ("landing -> committed", total),
                          ("beyond the settle time", beyond)]:
            print(f"{label:<34}{statistics.median(xs) * 1000:>8.0f}ms{pct(xs, 90) * 1000:>8.0f}ms"
                  f"{max(xs) * 1000:>8.0f}ms")
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=30)
        psql(server, f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
