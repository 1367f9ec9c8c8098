#!/usr/bin/env python3
"""Generate the benchmark inputs in bench/data/ (git-ignored; bench/run.sh and bench/all.sh
call this).

- rows_10k.xlsx, rows_100k.xlsx, rows_1m.xlsx: a rows layout like the corpus's rows_openpyxl
  files, 10,000 / 100,000 / 1,000,000 shifts (Store # | Employee Name | Phone | Date | Start
  Time | End Time | Position | Notes) with real date and time cells;
- rows_100k.csv: the 100,000 shifts as CSV (`11/17/2025`, `9:00 AM`);
- grid_2000x7.xlsx: the weekly grid like the corpus's grid_xlsxwriter files, 2,000 employees
  by 7 days (`8a-4:30p`, `10p-6a`, `OFF`, split shifts), with section rows;
- schedule_50p.pdf: 50 pages of a rows-layout shift list (reportlab), as bench/pdf_speed.sh.

Written by xlsxwriter in constant-memory mode. Usage: python3 bench/make_bench_data.py [--all]
(without --all only the read benchmark's two workbooks).
"""

import csv
import datetime as dt
import os
import random
import sys

import xlsxwriter

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "June", "Kwame", "Lia"]
LAST = ["Silva", "Wang", "Ivanov", "Okafor", "Novak", "Garcia", "Kim", "Rossi", "Haddad", "Berg"]
POSITIONS = ["Pharmacist", "Technician", "Cashier", "Intern"]


def name(i):
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"


def shift_rows(shifts):
    """The rows shifts: (store, name, phone, date, start, end, position, notes)."""
    rnd = random.Random(7)
    monday = dt.date(2025, 11, 17)
    for i in range(shifts):
        emp = i // 7
        start = rnd.choice([7, 8, 9, 10, 13])
        length = rnd.choice([4, 6, 8, 8.5])
        end_min = int((start + length) * 60)
        yield (5009, name(emp), f"(555) {100 + emp % 900:03d}-{emp % 10000:04d}",
               monday + dt.timedelta(days=i % 7), dt.time(start, 0),
               dt.time(end_min // 60, end_min % 60), POSITIONS[emp % len(POSITIONS)],
               "Training" if i % 5 == 0 else None)


def rows_csv(path, shifts=100_000):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position", "Notes"])
        for s in shift_rows(shifts):
            w.writerow([s[0], s[1], s[2], s[3].strftime("%m/%d/%Y"), s[4].strftime("%I:%M %p").lstrip("0"),
                        s[5].strftime("%I:%M %p").lstrip("0"), s[6], s[7] or ""])


def pdf_50p(path):
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    rnd = random.Random(50)
    c = canvas.Canvas(path, pagesize=letter, invariant=1)
    names = ["Nguyen, Ava", "Sharma, Liam", "Okafor, Noah", "Rossi, Mia", "Müller, Omar", "Kim, Priya"]
    times = [("9:00 AM", "5:30 PM"), ("8:00 AM", "4:00 PM"), ("10:00 PM", "6:00 AM"), ("12:00 PM", "9:00 PM")]
    xs = [40, 90, 220, 300, 370, 440]
    for page in range(50):
        c.setFont("Helvetica-Bold", 12)
        c.drawString(40, 750, "Store #4471 - shift list, week of 11/24/2025")
        c.setFont("Helvetica-Bold", 9)
        for x, t in zip(xs, ["Store", "Employee", "Date", "Start", "End", "Position"]):
            c.drawString(x, 725, t)
        c.setFont("Helvetica", 9)
        y = 710
        while y > 50:
            s, e = rnd.choice(times)
            d = dt.date(2025, 11, 24) + dt.timedelta(days=rnd.randrange(7))
            cells = ["4471", rnd.choice(names), d.strftime("%m/%d/%Y"), s, e, rnd.choice(["CPhT", "Pharmacist", "Cashier"])]
            for x, t in zip(xs, cells):
                c.drawString(x, y, t)
            y -= 12
        c.drawString(280, 30, f"Page {page + 1} of 50")
        c.showPage()
    c.save()


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
    if "--all" in sys.argv:
        targets.update({
            "rows_10k.xlsx": lambda p: rows(p, 10_000),
            "rows_1m.xlsx": lambda p: rows(p, 1_000_000),
            "rows_100k.csv": rows_csv,
            "schedule_50p.pdf": pdf_50p,
        })
    for file, make in targets.items():
        p = os.path.join(OUT, file)
        if not os.path.exists(p):
            make(p)
            print(f"wrote {p} ({os.path.getsize(p)} bytes)")


if __name__ == "__main__":
    main()
