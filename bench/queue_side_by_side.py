#!/usr/bin/env python3
"""The queue, binary against binary: each pharmacy-ingest binary gets its own database (migrated
by itself, so an older one runs on its own schema) on one private cluster (fsync on), and they
alternate round by round: N one-shift jobs queued in one transaction → jobs/s from that commit
to the last job's commit, then 30 jobs queued one at a time into the idle worker → enqueue →
commit latency. Use it to judge a queue change: build the binary before and after, then

    target/bench-venv/bin/python bench/queue_side_by_side.py OLD_BIN,NEW_BIN [ROUNDS] [JOBS]

Set QUEUE_CONFIG to add TOML to every worker's config (e.g. '[worker]\\nconcurrency = 4').
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

STORES_SQL = ("INSERT INTO stores (store_number, address, city, state, zip_code) "
              "SELECT n, n || ' Main St', 'Springfield', 'IL', '62701' "
              "FROM generate_series(5000, 5100) AS n")


def one_round(binary, url, jobs, extra):
    """One worker of `binary` on `url`: (jobs/s of a batch, latencies in ms of single jobs)."""
    env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn")
    bench.psql(url, bench.RESET_SQL)
    work = tempfile.mkdtemp(prefix="queue-sbs-")
    cfg = os.path.join(work, "bench.toml")
    with open(cfg, "w") as f:
        f.write(f'data_dir = "{work}"\n[intake]\ninboxes = []\n[http]\nlisten = ""\n{extra}\n')
    worker = subprocess.Popen([binary, "--config", cfg, "run"], env=env, cwd=work,
                              stderr=open(os.path.join(work, "worker.log"), "w"))
    try:
        time.sleep(2)
        t0 = float(bench.run([sys.executable, bench.PEERS, "enqueue", str(jobs), url])
                   .stdout.split()[-1])
        bench.run([sys.executable, bench.PEERS, "wait_done", "%", url])
        t1 = float(bench.psql(url, "SELECT extract(epoch FROM max(finished_at)) FROM import_jobs"))
        ok = int(bench.psql(url, "SELECT count(*) FROM import_jobs WHERE state = 'succeeded'"))
        bench.run([sys.executable, bench.PEERS, "enqueue_each", "30", url])
        bench.run([sys.executable, bench.PEERS, "wait_done", "latency-%", url])
        out = bench.psql(url, "SELECT extract(epoch FROM finished_at - created_at) FROM "
                              "import_jobs WHERE state = 'succeeded' AND file_name LIKE 'latency-%'")
        return ok / (t1 - t0), [float(x) * 1000 for x in out.split()]
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def main():
    binaries = sys.argv[1].split(",")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    extra = os.environ.get("QUEUE_CONFIG", "").replace("\\n", "\n")
    server = bench.Server()
    server.start()
    try:
        admin = server.url.rsplit("/", 1)[0] + "/postgres"
        urls = []
        for k, binary in enumerate(binaries):
            bench.psql(admin, f"CREATE DATABASE side_{k}")
            url = server.url.rsplit("/", 1)[0] + f"/side_{k}"
            bench.run([binary, "migrate"], env=dict(os.environ, DATABASE_URL=url))
            bench.psql(url, STORES_SQL)
            urls.append(url)
        rates = {b: [] for b in binaries}
        latency = {b: [] for b in binaries}
        for r in range(rounds):
            for binary, url in zip(binaries, urls):
                rate, lat = one_round(binary, url, jobs, extra)
                rates[binary].append(rate)
                latency[binary] += lat
                print(f"round {r + 1}: {binary}: {rate:.0f} jobs/s", flush=True)
        for binary in binaries:
            print(f"{binary}: median {statistics.median(rates[binary]):.0f} jobs/s "
                  f"(runs {', '.join(f'{x:.0f}' for x in rates[binary])}); idle enqueue → commit "
                  f"median {statistics.median(latency[binary]):.1f} ms over "
                  f"{len(latency[binary])} jobs")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
