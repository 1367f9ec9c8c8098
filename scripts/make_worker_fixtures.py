#!/usr/bin/env python3
"""Generate the worker's test fixtures (fixtures/worker/): rows-layout CSV schedules as a
workforce tool exports them. Deterministic; run from the repository root:

    python3 scripts/make_worker_fixtures.py

- week-1042.csv            one week of store 1042 (35 shifts): the latency benchmark's file
- weeks/week-1042-wNN.csv  six different weeks of store 1042 (two-worker test)
- big-3315.csv             20,000 shifts of store 3315 (crash-in-the-middle test)
- not-a-schedule.csv       a CSV with no schedule in it (refused, ends in failed/)
- MANIFEST.json            the number of shifts each schedule holds
"""
import csv
import datetime as dt
import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "worker")
FIRST = ["Maria", "James", "Priya", "Tom", "Alex", "Sam", "Jordan", "Casey", "Robin", "Taylor",
         "Morgan", "Jamie", "Avery", "Riley", "Quinn", "Drew", "Kim", "Lee", "Noor", "Ana"]
LAST = ["Lopez", "Carter", "Nair", "Becker", "Ortiz", "Novak", "Haddad", "Silva", "Ivanova", "Okafor"]
SHIFTS = [("09:00", "17:30", "Pharmacist"), ("08:00", "16:00", "Technician"),
          ("12:00", "20:00", "Technician"), ("10:00", "18:00", "Cashier"),
          ("22:00", "06:00", "Pharmacist")]
HEADER = ["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position"]


def phone(i):
    return "+1217555%04d" % (2000 + i)


def week_rows(store, monday, employees=5, salt=0):
    rows = []
    for e in range(employees):
        name = f"{FIRST[(e + salt) % len(FIRST)]} {LAST[(e * 3 + salt) % len(LAST)]}"
        start, end, pos = SHIFTS[(e + salt) % len(SHIFTS)]
        for d in range(7):
            day = monday + dt.timedelta(days=d)
            rows.append([store, name, phone(e + 10 * salt), day.strftime("%m/%d/%Y"), start, end, pos])
    return rows


def write(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return len(rows)


def main():
    manifest = {}
    monday = dt.date(2025, 11, 24)
    manifest["week-1042.csv"] = write(os.path.join(OUT, "week-1042.csv"), week_rows(1042, monday))
    for n in range(6):
        name = f"weeks/week-1042-w{n + 1:02}.csv"
        rows = week_rows(1042, monday + dt.timedelta(weeks=n + 1), employees=4, salt=n + 1)
        manifest[name] = write(os.path.join(OUT, name), rows)
    big = []
    start_day = dt.date(2025, 1, 6)
    for e in range(200):
        name = f"{FIRST[e % 20]} {LAST[e // 20]}"
        s, t, pos = SHIFTS[e % 4]
        for d in range(100):
            day = start_day + dt.timedelta(days=d)
            big.append([3315, name, phone(100 + e), day.strftime("%m/%d/%Y"), s, t, pos])
    manifest["big-3315.csv"] = write(os.path.join(OUT, "big-3315.csv"), big)
    with open(os.path.join(OUT, "not-a-schedule.csv"), "w", encoding="utf-8") as f:
        f.write("Item,Quantity,Price\nGloves,12,3.50\nLabels,400,9.99\n")
    with open(os.path.join(OUT, "MANIFEST.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
