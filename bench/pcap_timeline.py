#!/usr/bin/env python3
"""The median timeline of an idle job on the wire, from a loopback capture taken beside
bench/idle_probe.sh:

    tcpdump -i lo -nn -s 300 -w cap.pcap 'tcp port 5432 and (tcp[tcpflags] & tcp-push != 0)'
    python3 bench/pcap_timeline.py cap.pcap

Each job's steps are counted from the worker's job notification (`A` on the LISTEN
connection), up to its COMMIT's reply (its commit's end): every message the worker sends (`bind sqlx_s_N` for a
prepared statement, `send Q:…` for a simple query, `send P` for a pipelined BEGIN with its
statement) and every reply. Jobs whose steps differ from the most common sequence (a pool
probe, a new prepare) are left out of the medians. Only the packets of the probe phase count
(from the first `latency-0.csv`)."""
import statistics
import struct
import sys
from collections import Counter


def packets(path):
    """(seconds, source port, destination port, TCP payload) of a classic pcap (µs stamps)."""
    with open(path, "rb") as f:
        f.read(24)
        while True:
            head = f.read(16)
            if len(head) < 16:
                return
            sec, usec, incl, _ = struct.unpack("<IIII", head)
            data = f.read(incl)
            ip = 14  # Ethernet header on Linux loopback
            ihl = (data[ip] & 0xF) * 4
            sport, dport = struct.unpack("!HH", data[ip + ihl:ip + ihl + 4])
            thl = (data[ip + ihl + 12] >> 4) * 4
            yield sec + usec / 1e6, sport, dport, data[ip + ihl + thl:]


def label(dport, payload):
    if dport != 5432:
        return "recv " + (chr(payload[0]) if payload else "?")
    kind = chr(payload[0]) if payload else "?"
    if kind == "Q":
        return "send Q:" + payload[5:15].decode("latin1").strip("\x00")
    if kind == "B":
        return "bind " + payload[5:].split(b"\x00")[1].decode("latin1")
    return "send " + kind


def jobs(rows):
    started, i = False, 0
    while i < len(rows):
        ts, _, dport, p = rows[i]
        started = started or b"latency-0.csv" in p
        if started and dport != 5432 and p[:1] == b"A" and b"pharmacy_ingest_jobs" in p:
            steps, committing = [], False
            for t, _, d, q in rows[i + 1:]:
                if t - ts > 0.05:
                    break
                steps.append((t - ts, label(d, q)))
                if committing and d != 5432:
                    break
                committing = committing or steps[-1][1].startswith("send Q:COMMIT")
            yield steps
        i += 1


def main():
    rows = list(packets(sys.argv[1]))
    all_jobs = [j for j in jobs(rows) if j]
    shape = Counter(tuple(s for _, s in j) for j in all_jobs).most_common(1)
    if not shape:
        sys.exit("no job found (was the capture taken during bench/idle_probe.sh?)")
    steps = shape[0][0]
    same = [j for j in all_jobs if tuple(s for _, s in j) == steps]
    print(f"{len(all_jobs)} jobs, {len(same)} with the most common {len(steps)} steps "
          f"(ms from the job's notification; + the step's own)")
    prev = 0.0
    for k, name in enumerate(steps):
        at = statistics.median(j[k][0] for j in same) * 1000
        print(f"{at:7.3f} (+{at - prev:6.3f})  {name}")
        prev = at


if __name__ == "__main__":
    main()
