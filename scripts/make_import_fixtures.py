#!/usr/bin/env python3
"""Generate the CSV fixtures of the import sink's CLI tests (fixtures/import/).

Run from the repository root: python3 scripts/make_import_fixtures.py
The names and phone numbers are invented (555-01xx numbers are reserved for fiction).
"""
import csv
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "import")
HEADER = ["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position"]
DAYS = ["11/24/2025", "11/25/2025", "11/26/2025", "11/27/2025", "11/28/2025"]


def write(name, rows):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)


def week(store, people):
    return [[store, n, p, d, "9:00 AM", "5:30 PM", pos] for (n, p, pos) in people for d in DAYS]


PEOPLE = [
    ("Dana Whitfield", "(555) 010-0101", "Pharmacist"),
    ("Luis Ortega", "555-010-0102", "Technician"),
]

# A clean week for store 101: every row imports (exit 0).
write("week48_store101.csv", week(101, PEOPLE))

# The same week with two unreadable rows (exit 1: imported, rows rejected).
bad = week(101, PEOPLE)
bad[3][4] = "nine-ish"
bad[7][3] = "someday"
write("week48_store101_bad_rows.csv", bad)

# A store number the database does not know (exit 2: the whole file is refused).
write("week48_store999.csv", week(999, PEOPLE))
