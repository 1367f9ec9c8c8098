#!/usr/bin/env python3
"""Generate the read benchmark's inputs in bench/data/ (git-ignored; bench/run.sh calls this).

- rows_100k.xlsx: a rows layout like the corpus's rows_openpyxl files, 100,000 shifts
  (Store # | Employee Name | Phone | Date | Start Time | End Time | Position | Notes) with real
  date and time cells.
- grid_2000x7.xlsx: the weekly grid like the corpus's grid_xlsxwriter files, 2,000 employees
  by 7 days (`8a-4:30p`, `10p-6a`, `OFF`, split shifts), with section rows.

Written by xlsxwriter in constant-memory mode. Usage: python3 bench/make_bench_data.py
"""

import datetime as dt
import os
import random

import xlsxwriter

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "June", "Kwame", "Lia"]
LAST = ["Silva", "Wang", "Ivanov", "Okafor", "Novak", "Garcia", "Kim", "Rossi", "Haddad", "Berg"]
POSITIONS = ["Pharmacist", "Technician", "Cashier", "Intern"]


def name(i):
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"


def rows(path, shifts=100_000):
    rnd = random.Random(7)
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    date_f = wb.add_format({"num_format": "mm/dd/yyyy"})
    time_f = wb.add_format({"num_format": "h:mm AM/PM"})
    ws = wb.add_worksheet("Schedule")
    ws.write_string(0, 0, "Weekly Pharmacy Staff Schedule")
    ws.write_string(1, 0, "Generated 11/17/2025")
    heads = ["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position", "Notes"]
    for c, h in enumerate(heads):
        ws.write_string(3, c, h)
    monday = dt.date(2025, 11, 17)
    for i in range(shifts):
        r = 4 + i
        emp = i // 7
        start = rnd.choice([7, 8, 9, 10, 13])
        length = rnd.choice([4, 6, 8, 8.5])
        ws.write_number(r, 0, 5009)
        ws.write_string(r, 1, name(emp))
        ws.write_string(r, 2, f"(555) {100 + emp % 900:03d}-{emp % 10000:04d}")
        ws.write_datetime(r, 3, dt.datetime.combine(monday + dt.timedelta(days=i % 7), dt.time()), date_f)
        ws.write_datetime(r, 4, dt.time(start, 0), time_f)
        end_min = int((start + length) * 60)
        ws.write_datetime(r, 5, dt.time(end_min // 60, end_min % 60), time_f)
        ws.write_string(r, 6, POSITIONS[emp % len(POSITIONS)])
        if i % 5 == 0:
            ws.write_string(r, 7, "Training")
    wb.close()


def grid(path, employees=2_000):
    rnd = random.Random(11)
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    date_f = wb.add_format({"num_format": "mm/dd/yyyy"})
    ws = wb.add_worksheet("Week")
    ws.write_string(0, 0, "Store #2207 - Pharmacy Schedule")
    ws.write_string(1, 0, "Week of:")
    ws.write_datetime(1, 1, dt.datetime(2025, 11, 17), date_f)
    days = ["Mon 11/17", "Tue 11/18", "Wed 11/19", "Thu 11/20", "Fri 11/21", "Sat 11/22", "Sun 11/23"]
    for c, h in enumerate(["Employee", "Role"] + days + ["Total Hrs"]):
        ws.write_string(3, c, h)
    cells = ["8a-4:30p", "9a-5:30p", "7:30a-3:30p", "10p-6a", "8a-12p, 1p-5p", "1p-9:30p", "OFF", "PTO"]
    r = 4
    for i in range(employees):
        if i % 500 == 0:
            ws.write_string(r, 0, ["PHARMACISTS", "TECHNICIANS", "CASHIERS", "INTERNS"][(i // 500) % 4])
            r += 1
        last, first = LAST[i % len(LAST)], FIRST[(i // len(LAST)) % len(FIRST)]
        ws.write_string(r, 0, f"{last}{i}, {first}")
        ws.write_string(r, 1, POSITIONS[i % len(POSITIONS)])
        for d in range(7):
            ws.write_string(r, 2 + d, rnd.choice(cells))
        ws.write_number(r, 9, 40)
        r += 1
    wb.close()


def main():
    os.makedirs(OUT, exist_ok=True)
    targets = {"rows_100k.xlsx": rows, "grid_2000x7.xlsx": grid}
    for file, make in targets.items():
        p = os.path.join(OUT, file)
        if not os.path.exists(p):
            make(p)
            print(f"wrote {p} ({os.path.getsize(p)} bytes)")


if __name__ == "__main__":
    main()
