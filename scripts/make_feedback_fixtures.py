#!/usr/bin/env python3
"""Generate the fixtures of the store manager's feedback tests (fixtures/feedback/): receipts,
error reports and workbooks, folder moves after a fix, safe replaces. Deterministic; needs
openpyxl (python3 -m venv /tmp/venv && /tmp/venv/bin/pip install openpyxl). Run from the
repository root:

    python3 scripts/make_feedback_fixtures.py

- typos.xlsx         one week of store 1042 in a rows layout (35 shifts) with three typed
                     slips: a start time `9:3O` (letter O), an end time `5:30pn`, and a date
                     `someday`; 32 shifts read, 3 rows rejected
- typos-fixed.xlsx   the same week with the slips corrected (35 shifts)
- typos.csv          the same slips as CSV (sheet named after the file)
- thu-wed-1042.csv   store 1042 from Thu 11/27 to Wed 12/03/2025 with nobody on Saturday
                     11/29 and without one employee (Tom Okafor) of the week before: replacing
                     week-1042.csv's shifts empties a day and drops an employee
- MANIFEST.json      shifts each file holds (readable rows)
"""
import csv
import datetime as dt
import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "feedback")
HEADER = ["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position"]
STAFF = [("Maria Lopez", "+12175552000", "09:00", "17:30", "Pharmacist"),
         ("James Becker", "+12175552001", "08:00", "16:00", "Technician"),
         ("Priya Haddad", "+12175552002", "12:00", "20:00", "Technician"),
         ("Tom Okafor", "+12175552003", "10:00", "18:00", "Cashier"),
         ("Alex Nair", "+12175552004", "22:00", "06:00", "Pharmacist")]
MONDAY = dt.date(2025, 11, 24)
# (row index among data rows, column, bad text): the slips a manager types.
SLIPS = [(2, 4, "9:3O"), (9, 5, "5:30pn"), (17, 3, "someday")]


def week(store=1042):
    rows = []
    for name, phone, start, end, pos in STAFF:
        for d in range(7):
            day = MONDAY + dt.timedelta(days=d)
            rows.append([store, name, phone, day.strftime("%m/%d/%Y"), start, end, pos])
    return rows


def with_slips(rows):
    out = [list(r) for r in rows]
    for i, col, text in SLIPS:
        out[i][col] = text
    return out


def write_xlsx(path, rows):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Week 48"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    # openpyxl stamps the save time into docProps: make the file byte-stable.
    _normalise_zip(path)


def _normalise_zip(path):
    import zipfile
    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                import re
                data = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 11, 24, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)


def thu_wed():
    rows = []
    for name, phone, start, end, pos in STAFF:
        if name == "Tom Okafor":
            continue
        for d in range(3, 10):
            day = MONDAY + dt.timedelta(days=d)
            if day == dt.date(2025, 11, 29):
                continue
            rows.append([1042, name, phone, day.strftime("%m/%d/%Y"), start, end, pos])
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {}
    good = week()
    write_xlsx(os.path.join(OUT, "typos.xlsx"), with_slips(good))
    manifest["typos.xlsx"] = len(good) - len(SLIPS)
    write_xlsx(os.path.join(OUT, "typos-fixed.xlsx"), good)
    manifest["typos-fixed.xlsx"] = len(good)
    write_csv(os.path.join(OUT, "typos.csv"), with_slips(good))
    manifest["typos.csv"] = len(good) - len(SLIPS)
    rows = thu_wed()
    write_csv(os.path.join(OUT, "thu-wed-1042.csv"), rows)
    manifest["thu-wed-1042.csv"] = len(rows)
    with open(os.path.join(OUT, "MANIFEST.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
