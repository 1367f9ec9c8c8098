#!/usr/bin/env python3
"""Write the schedule fixtures in fixtures/schedules/ with real writers, each with its expected
shifts beside it (NAME.expected.json, the corpus truth's shape plus the expected issues).

    pip install openpyxl xlsxwriter xlwt odfpy
    python3 scripts/make_schedule_fixtures.py            # writes fixtures/schedules/

Layouts (one file each, plus files that must fail cleanly):
  rows_title_typed.xlsx      openpyxl: title rows, header on row 4, typed date/time cells, two
                             stores, notes; one unreadable time and one row without a name
  rows_legacy.xls            xlwt (BIFF8): `Store 1042` text, last/first columns, text dates and
                             `9:00 AM` text times
  rows_combined_shift.csv    `Employee,Date,Shift` with ISO dates and `9a-5p`, `8-12, 1-5`;
                             store from the file name (store_3315_...)
  rows_european.xlsx         German headers, `24.11.2025` dates, 24-hour text times
  wfm_export.csv             UTF-8 BOM, `Location`, `Shift Start`/`Shift End` date-times,
                             overnight shifts ending the next day
  grid_weekly.xlsx           xlsxwriter: `Mon 11/24` headers, `Week of:` date cell, section and
                             totals rows, `Last, First` names, split/overnight/OFF/PTO cells
  grid_daynames.xlsx         day names only with a `Week of November 24, 2025` title text
  grid_date_cells.xlsx       header cells are real dates; store from the sheet name
  grid_weekly_ods.ods        odfpy: the weekly grid as OpenDocument
  grid_week_ending.xlsx      day names with a `Week Ending 11/30/2025` title (the week ends there)
  grid_first_last.xlsx       separate Last Name / First Name columns; cells with notes on their own
                             line or before the times, and no-shift phrases (`Request Off`)
  grid_weekof_in_header.xlsx `Week of 11/24/2025` in the header row, over the name column
  grid_two_row_header.xlsx   day names in one row, their dates (text) in the row below
  rows_grouped.xlsx          a report grouped by employee: the name on each group's first row
  rows_daily_sections.xlsx   a daily roster: no date column, each day's date on a row of its own
                             (the first above the header), the header repeated under each
  rows_ids_and_footer.csv    `Employee #` beside `Employee Name`, `1042 - Springfield` stores,
                             `Mon 11/24/2025` dates, `08:00:00` times, a totals row and a
                             `Printed …` footer line
  rows_six_months.csv        six months of consecutive days (a long export keeps its tails) and
                             one 2052 typo (rejected as far from the file's dates)
  error_*                    a corrupt xlsx, an empty file, a PDF renamed .xlsx, an unknown
                             layout (expected: a one-line error, exit 2)
"""

import csv
import datetime as dt
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "schedules")

D = dt.date
T = dt.time


def hm(t):
    return t.strftime("%H:%M")


def expected(name, layout, shifts, issues=(), notes=""):
    doc = {
        "layout": layout,
        "notes": notes,
        "shifts": [
            {
                "store_number": s[0],
                "employee_name": s[1],
                "date": s[2].isoformat(),
                "start": hm(s[3]),
                "end": hm(s[4]),
                "position": s[5],
            }
            for s in shifts
        ],
        "issues": [{"code": c, "cell": cell} for c, cell in issues],  # cells without the sheet name,
    }
    with open(os.path.join(OUT, name + ".expected.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def ampm(t):
    h = t.hour % 12 or 12
    return f"{h}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


# ---------------------------------------------------------------- rows layouts

def rows_title_typed():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Schedule"
    ws["A1"] = "Weekly Pharmacy Staff Schedule"
    ws["A2"] = "Generated 11/20/2025"
    ws.append([])
    ws.append(["Store #", "Employee Name", "Phone", "Date", "Start Time", "End Time", "Position", "Notes"])
    rows = [
        (1042, "Ana Ruiz", "(555) 010-1000", D(2025, 11, 24), T(9, 0), T(17, 30), "Pharmacist", "Training"),
        (1042, "Ben Okafor", "(555) 010-1001", D(2025, 11, 24), T(22, 0), T(6, 0), "Pharmacy Technician", None),
        (1042, "Ana Ruiz", "(555) 010-1000", D(2025, 11, 25), T(8, 0), T(12, 0), "Pharmacist", None),
        (2207, "Chen Li", "(555) 010-1002", D(2025, 11, 25), T(13, 0), T(21, 0), "Cashier", "Covering"),
        (2207, "Dana Cole", "(555) 010-1003", D(2025, 11, 26), T(7, 30), T(15, 30), "CPhT", None),
    ]
    for r in rows:
        ws.append(list(r))
    ws.append([2207, "Dana Cole", "(555) 010-1003", D(2025, 11, 27), "9;30", T(17, 0), "CPhT", None])  # row 10
    ws.append([2207, None, None, D(2025, 11, 27), T(9, 0), T(17, 0), "Cashier", None])  # row 11
    for row in ws.iter_rows(min_row=5):
        row[3].number_format = "mm/dd/yyyy"
        for c in row[4:6]:
            if isinstance(c.value, dt.time):
                c.number_format = "h:mm AM/PM"
    wb.save(os.path.join(OUT, "rows_title_typed.xlsx"))
    expected(
        "rows_title_typed", "rows",
        [(r[0], r[1], r[3], r[4], r[5], r[6]) for r in rows],
        [("unreadable_time", "E10"), ("open_shift", "B11")],
        "header under a title; typed cells; two stores; one unreadable time, one row without a name (an open shift)",
    )


def rows_legacy():
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Shifts")
    head = ["Store", "Last Name", "First Name", "Shift Date", "In", "Out", "Job Title"]
    rows = [
        ("Store 1042", "Lopez", "Grace", D(2026, 3, 23), T(13, 0), T(21, 30), "Pharmacist"),
        ("Store 1042", "Lopez", "Grace", D(2026, 3, 24), T(7, 30), T(15, 30), "Pharmacist"),
        ("Store 1042", "Garcia", "Dmitri", D(2026, 3, 23), T(14, 0), T(18, 0), "Pharmacist"),
        ("Store 1042", "Hernández", "Ethan", D(2026, 3, 25), T(22, 0), T(6, 0), "Cashier"),
        ("Store 1042", "Kim", "Fatima", D(2026, 3, 29), T(12, 0), T(21, 0), "Intern"),
    ]
    for c, h in enumerate(head):
        ws.write(0, c, h)
    for i, r in enumerate(rows, start=1):
        vals = [r[0], r[1], r[2], f"{r[3].month}/{r[3].day}/{r[3].year}", ampm(r[4]), ampm(r[5]), r[6]]
        for c, v in enumerate(vals):
            ws.write(i, c, v)
    wb.save(os.path.join(OUT, "rows_legacy.xls"))
    expected(
        "rows_legacy", "rows",
        [(1042, f"{r[2]} {r[1]}", r[3], r[4], r[5], r[6]) for r in rows],
        notes="legacy .xls; Store 1042 text; last/first columns; text dates and 9:00 AM times",
    )


def rows_combined_shift():
    rows = [
        ("Ana Ruiz", D(2025, 11, 24), "9a-5:30p", [(T(9, 0), T(17, 30))], "Pharmacist"),
        ("Ben Okafor", D(2025, 11, 24), "8-12, 1-5", [(T(8, 0), T(12, 0)), (T(13, 0), T(17, 0))], "Cashier"),
        ("Chen Li", D(2025, 11, 25), "10p-6a", [(T(22, 0), T(6, 0))], "Pharmacy Technician"),
        ("Chen Li", D(2025, 11, 26), "OFF", [], "Pharmacy Technician"),
        ("Dana Cole", D(2025, 11, 26), "0930-1800", [(T(9, 30), T(18, 0))], "CPhT"),
        ("Dana Cole", D(2025, 11, 27), "9-5", [(T(9, 0), T(17, 0))], "CPhT"),
    ]
    name = "store_3315_rows_combined_shift.csv"
    with open(os.path.join(OUT, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Employee", "Date", "Shift", "Role"])
        for r in rows:
            w.writerow([r[0], r[1].isoformat(), r[2], r[4]])
    shifts = [(3315, r[0], r[1], a, b, r[4]) for r in rows for (a, b) in r[3]]
    expected(
        "store_3315_rows_combined_shift", "rows", shifts,
        notes="combined Shift column (9a-5:30p, 8-12, 1-5, 10p-6a, 0930-1800); ISO dates; store from the file name",
    )


def rows_european():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dienstplan"
    ws.append(["Dienstplan Filiale 4120"])
    ws.append(["Mitarbeiter", "Datum", "Beginn", "Ende", "Funktion"])
    rows = [
        ("Anna Schmidt", D(2025, 11, 24), T(7, 0), T(15, 30), "Apothekerin"),
        ("Jonas Weber", D(2025, 11, 24), T(12, 0), T(20, 0), "PTA"),
        ("Anna Schmidt", D(2025, 11, 25), T(7, 0), T(15, 30), "Apothekerin"),
        ("Jonas Weber", D(2025, 11, 27), T(21, 0), T(5, 0), "PTA"),
    ]
    for r in rows:
        ws.append([r[0], r[1].strftime("%d.%m.%Y"), hm(r[2]), hm(r[3]), r[4]])
    ws.append(["Jonas Weber", "28.11.2025", "frei", "frei", "PTA"])
    wb.save(os.path.join(OUT, "rows_european.xlsx"))
    expected(
        "rows_european", "rows",
        [(4120, r[0], r[1], r[2], r[3], r[4]) for r in rows],
        notes="German headers, day-first dates, 24-hour times; store from the title; a 'frei' (day off) row",
    )


def wfm_export():
    rows = [
        ("Pharmacy #4120", "10000", "Rahul Wilson", "+15559856496", dt.datetime(2025, 10, 6, 9, 0), dt.datetime(2025, 10, 6, 17, 30), "Pharmacist"),
        ("Pharmacy #4120", "10000", "Rahul Wilson", "+15559856496", dt.datetime(2025, 10, 7, 22, 0), dt.datetime(2025, 10, 8, 6, 0), "Pharmacist"),
        ("Pharmacy #4120", "10001", "Olivia Davis", "+15556507646", dt.datetime(2025, 10, 6, 8, 0), dt.datetime(2025, 10, 6, 12, 0), "Cashier"),
        ("Pharmacy #4120", "10001", "Olivia Davis", "+15556507646", dt.datetime(2025, 10, 6, 13, 0), dt.datetime(2025, 10, 6, 17, 0), "Cashier"),
        ("Pharmacy #2207", "10002", "Ethan Cohen", "+15554993617", dt.datetime(2025, 10, 8, 12, 0), dt.datetime(2025, 10, 8, 21, 0), "Pharmacist"),
    ]
    with open(os.path.join(OUT, "wfm_export.csv"), "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["Location", "Employee ID", "Employee", "Mobile", "Shift Start", "Shift End", "Job"])
        for r in rows:
            w.writerow([r[0], r[1], r[2], r[3], r[4].strftime("%m/%d/%Y %H:%M"), r[5].strftime("%m/%d/%Y %H:%M"), r[6]])
        # A shift that ends before it starts.
        w.writerow(["Pharmacy #2207", "10002", "Ethan Cohen", "+15554993617", "10/09/2025 17:00", "10/09/2025 09:00", "Pharmacist"])
    shifts = [(int(r[0].split("#")[1]), r[2], r[4].date(), r[4].time(), r[5].time(), r[6]) for r in rows]
    expected("wfm_export", "rows", shifts, [("end_before_start", "F7")],
             notes="UTF-8 BOM; start/end date-times; overnight ends the next day; one end before its start")


# ---------------------------------------------------------------- grid layouts

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEEK = D(2025, 11, 24)

# (last, first, role, [cell per day]) and the shifts each cell means.
GRID = [
    ("PHARMACISTS",),
    ("Silva", "Hannah", "Pharmacist", ["8a-12p, 1p-5p", "7:30a-3:30p", "OFF", "7:30 AM-3:30 PM", "", "1p-9:30p", "PTO"]),
    ("Nguyen", "Priya", "Pharmacist", ["OFF", "10p-6a", "9-5:30", "12:00 PM-9:00 PM", "12p-9p", "-", "OFF"]),
    ("TECHNICIANS & STAFF",),
    ("Müller", "Nia", "Cashier", ["2p-6p", "10a-7p", "8-12, 1-5", "VAC", "8:00 AM-12:00 PM, 1:00 PM-5:00 PM", "12p–9p", "10p-6a"]),
    ("Chen", "José", "CPhT", ["OFF", "9:00 AM-1:00 PM", "10p-6a", "OFF", "7:30a-3:30p", "OFF", "9a-1p"]),
]
CELL_SHIFTS = {
    "8a-12p, 1p-5p": [(T(8, 0), T(12, 0)), (T(13, 0), T(17, 0))],
    "8-12, 1-5": [(T(8, 0), T(12, 0)), (T(13, 0), T(17, 0))],
    "8:00 AM-12:00 PM, 1:00 PM-5:00 PM": [(T(8, 0), T(12, 0)), (T(13, 0), T(17, 0))],
    "7:30a-3:30p": [(T(7, 30), T(15, 30))],
    "7:30 AM-3:30 PM": [(T(7, 30), T(15, 30))],
    "1p-9:30p": [(T(13, 0), T(21, 30))],
    "10p-6a": [(T(22, 0), T(6, 0))],
    "9-5:30": [(T(9, 0), T(17, 30))],
    "12:00 PM-9:00 PM": [(T(12, 0), T(21, 0))],
    "12p-9p": [(T(12, 0), T(21, 0))],
    "12p–9p": [(T(12, 0), T(21, 0))],
    "2p-6p": [(T(14, 0), T(18, 0))],
    "10a-7p": [(T(10, 0), T(19, 0))],
    "9:00 AM-1:00 PM": [(T(9, 0), T(13, 0))],
    "9a-1p": [(T(9, 0), T(13, 0))],
}


def grid_shifts(store, week=WEEK):
    out = []
    for r in GRID:
        if len(r) == 1:
            continue
        last, first, role, cells = r
        for i, c in enumerate(cells):
            for a, b in CELL_SHIFTS.get(c, []):
                out.append((store, f"{first} {last}", week + dt.timedelta(days=i), a, b, role))
    return out


def grid_rows():
    """Rows of the grid below the header: section rows, employees, a blank, totals."""
    rows = []
    for r in GRID:
        if len(r) == 1:
            rows.append([r[0]])
        else:
            rows.append([f"{r[0]}, {r[1]}", r[2]] + r[3] + [40])
    rows.append([])
    rows.append(["Total hours"])
    return rows


def grid_weekly_xlsx():
    import xlsxwriter

    wb = xlsxwriter.Workbook(os.path.join(OUT, "grid_weekly.xlsx"))
    ws = wb.add_worksheet("Week")
    datefmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    ws.merge_range(0, 0, 0, 9, "Store #2207 - Pharmacy Schedule")
    ws.write(1, 0, "Week of:")
    ws.write_datetime(1, 1, dt.datetime.combine(WEEK, T(0, 0)), datefmt)
    head = ["Employee", "Role"] + [f"{d} {(WEEK + dt.timedelta(days=i)).month}/{(WEEK + dt.timedelta(days=i)).day}" for i, d in enumerate(DAYS)] + ["Total Hrs"]
    ws.write_row(3, 0, head)
    for i, r in enumerate(grid_rows()):
        ws.write_row(4 + i, 0, r)
    wb.close()
    expected("grid_weekly", "grid", grid_shifts(2207),
             notes="Mon 11/24 headers; Week of date cell; sections, totals; split, overnight, OFF/PTO/VAC/- cells")


FULL_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def openpyxl_grid(name, top, store, notes, sheet_title=None):
    """The shared grid (grid_rows(), with no totals column) under `top`, the rows that stand
    above it (title, week cell, header), written by openpyxl; expected: grid_shifts(store)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if sheet_title:
        ws.title = sheet_title
    for r in top:
        ws.append(r)
    for r in grid_rows():
        ws.append(r[:9])
    wb.save(os.path.join(OUT, name + ".xlsx"))
    expected(name, "grid", grid_shifts(store), notes=notes)


def grid_daynames():
    openpyxl_grid("grid_daynames", [
        ["Pharmacy #4120 — Week of November 24, 2025"], [], ["Name", "Position"] + FULL_DAYS,
    ], 4120, "day names only; the week and store from one title text", sheet_title="Schedule")


def grid_week_ending():
    openpyxl_grid("grid_week_ending", [
        ["Store #1042"], ["Week Ending 11/30/2025"], [], ["Employee", "Role"] + FULL_DAYS,
    ], 1042, "day names; the week is given by its last day (Week Ending), so it starts 6 days earlier")


def grid_weekof_in_header():
    openpyxl_grid("grid_weekof_in_header", [
        ["Store #3315 Pharmacy Schedule"], [], ["Week of 11/24/2025", "Role"] + FULL_DAYS,
    ], 3315, "the Week of date stands in the header row, over the name column")


def grid_two_row_header():
    openpyxl_grid("grid_two_row_header", [
        ["Store #1042 Pharmacy"], [], ["Employee", "Role"] + DAYS,
        [None, None] + [(WEEK + dt.timedelta(days=i)).strftime("%m/%d/%Y") for i in range(7)],
    ], 1042, "a two-line header: day names above, dates below")

def grid_date_cells():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Store 5009"
    ws.append(["Employee", "Role"] + [WEEK + dt.timedelta(days=i) for i in range(7)])
    for c in ws[1][2:]:
        c.number_format = "ddd m/d"
    for r in grid_rows():
        ws.append(r[:9])
    wb.save(os.path.join(OUT, "grid_date_cells.xlsx"))
    expected("grid_date_cells", "grid", grid_shifts(5009),
             notes="header cells are real dates; store from the sheet name")


def grid_weekly_ods():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow, TableCell
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    t = Table(name="Week")

    def row(values):
        tr = TableRow()
        for v in values:
            if isinstance(v, (int, float)):
                c = TableCell(valuetype="float", value=v)
                c.addElement(P(text=str(v)))
            elif isinstance(v, dt.date):
                c = TableCell(valuetype="date", datevalue=v.isoformat())
                c.addElement(P(text=v.strftime("%m/%d/%Y")))
            elif v:
                c = TableCell(valuetype="string")
                c.addElement(P(text=v))
            else:
                c = TableCell()
            tr.addElement(c)
        t.addElement(tr)

    row(["Store #1042 - Pharmacy Schedule"])
    row(["Week of:", WEEK])
    row([])
    row(["Employee", "Role"] + [f"{d} {(WEEK + dt.timedelta(days=i)).month}/{(WEEK + dt.timedelta(days=i)).day}" for i, d in enumerate(DAYS)] + ["Total Hrs"])
    for r in grid_rows():
        row(r)
    doc.spreadsheet.addElement(t)
    doc.save(os.path.join(OUT, "grid_weekly_ods.ods"))
    expected("grid_weekly_ods", "grid", grid_shifts(1042), notes="the weekly grid as OpenDocument")


# ---------------------------------------------------------------- layouts from the stress test
# (scripts/make_layout_variants.py found them read wrong; each is kept here as a fixture)

# (last, first, role, [cell per day], [(day, start, end)]) for grid_first_last.
FIRST_LAST = [
    ("Garcia", "Maria", "Pharmacist",
     ["9a-5p\nPharmacy Tech", "Training 9a-1p", "Request Off", "OFF - Vacation", "10p-6a", "", "Holiday - Store Closed"],
     [(0, T(9, 0), T(17, 0)), (1, T(9, 0), T(13, 0)), (4, T(22, 0), T(6, 0))]),
    ("Okafor", "Dan", "CPhT",
     ["8:00:00 AM-4:30:00 PM", "12p-9p Covering", "RTO", "Jury Duty", "7a-3:30p", "9a-1p", "OFF"],
     [(0, T(8, 0), T(16, 30)), (1, T(12, 0), T(21, 0)), (4, T(7, 0), T(15, 30)), (5, T(9, 0), T(13, 0))]),
]


def grid_first_last():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Store 2207"
    head = ["Last Name", "First Name", "Position"] + [
        f"{d} {(WEEK + dt.timedelta(days=i)).month}/{(WEEK + dt.timedelta(days=i)).day}" for i, d in enumerate(DAYS)]
    ws.append(head)
    shifts = []
    for last, first, role, cells, want in FIRST_LAST:
        ws.append([last, first, role] + cells)
        shifts += [(2207, f"{first} {last}", WEEK + dt.timedelta(days=d), a, b, role) for d, a, b in want]
    wb.save(os.path.join(OUT, "grid_first_last.xlsx"))
    expected("grid_first_last", "grid", shifts,
             notes="first and last name columns joined; notes beside times; no-shift phrases")


def rows_daily_sections():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Store #1042 - Weekly Schedule"])
    ws.append([])
    days = [
        (D(2025, 11, 24), [("Maria Garcia", "12:00 PM", "9:00 PM", "Pharmacist", T(12, 0), T(21, 0)),
                           ("Dan Okafor", "9:30 AM", "6:00 PM", "CPhT", T(9, 30), T(18, 0))]),
        (D(2025, 11, 25), [("Dan Okafor", "10:00 PM", "6:00 AM", "CPhT", T(22, 0), T(6, 0))]),
    ]
    shifts = []
    for day, people in days:
        ws.append([day.strftime("%A, %B %d, %Y")])
        ws.append(["Employee", "Start", "End", "Role"])
        for name, a, b, role, ta, tb in people:
            ws.append([name, a, b, role])
            shifts.append((1042, name, day, ta, tb, role))
        ws.append([])
    wb.save(os.path.join(OUT, "rows_daily_sections.xlsx"))
    expected("rows_daily_sections", "rows", shifts,
             notes="daily roster: the date is a section row above each day's header")


def rows_grouped():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Store #2207 - Schedule by Employee"])
    ws.append([])
    ws.append(["Employee", "Date", "Start Time", "End Time", "Position"])
    groups = [
        ("Garcia, Maria", "Maria Garcia", "Pharmacist", [(24, T(9, 0), T(17, 30)), (25, T(10, 0), T(19, 0)), (27, T(22, 0), T(6, 0))]),
        ("Okafor, Dan", "Dan Okafor", "CPhT", [(24, T(8, 0), T(12, 0)), (24, T(13, 0), T(17, 0)), (26, T(7, 0), T(15, 30))]),
    ]
    shifts = []
    for written, name, role, rows in groups:
        for i, (day, a, b) in enumerate(rows):
            ws.append([written if i == 0 else None, dt.datetime(2025, 11, day), a, b, role])
            shifts.append((2207, name, D(2025, 11, day), a, b, role))
        ws.append([])
    wb.save(os.path.join(OUT, "rows_grouped.xlsx"))
    expected("rows_grouped", "rows", shifts,
             notes="grouped by employee: the name stands on each group's first row only")


def rows_ids_and_footer():
    rows = [
        ("1042 - Springfield", 20450, "Maria Garcia", "Mon 11/24/2025", "08:00:00", "16:30:00", "Pharmacist"),
        ("1042 - Springfield", 20451, "Dan Okafor", "Tue 11/25/2025", "22:00:00", "06:00:00", "CPhT"),
        ("CVS #5009", 20452, "Lena Park", "Wednesday 11/26/2025", "9:00:00 AM", "5:30:00 PM", "Cashier"),
    ]
    path = os.path.join(OUT, "rows_ids_and_footer.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Store", "Employee #", "Employee Name", "Date", "Start", "End", "Position"])
        for r in rows:
            w.writerow(r)
        w.writerow(["", "", "Total", "", "", "", ""])
        w.writerow(["Printed 11/22/2025 3:15 PM"])
    expected("rows_ids_and_footer", "rows", [
        (1042, "Maria Garcia", D(2025, 11, 24), T(8, 0), T(16, 30), "Pharmacist"),
        (1042, "Dan Okafor", D(2025, 11, 25), T(22, 0), T(6, 0), "CPhT"),
        (5009, "Lena Park", D(2025, 11, 26), T(9, 0), T(17, 30), "Cashier"),
    ], notes="an ID column beside the name; store text with a city; weekday dates; h:mm:ss times; totals and footer lines")


def rows_six_months():
    """A long export: six months of consecutive days (the tails are no outliers), with one
    mistyped year (2052) that is rejected as far from the file's dates."""
    start = D(2025, 6, 2)
    people = [("Ana Ruiz", T(9, 0), T(17, 30), "Pharmacist"), ("Ben Okafor", T(13, 0), T(21, 0), "Cashier")]
    path = os.path.join(OUT, "rows_six_months.csv")
    shifts, issues = [], []
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Store", "Employee", "Date", "Start", "End", "Position"])
        line = 1
        for day in range(183):
            d = start + dt.timedelta(days=day)
            for name, a, b, pos in people:
                typo = day == 100 and name == "Ben Okafor"
                shown = d.replace(year=2052) if typo else d
                w.writerow(["1042", name, shown.strftime("%m/%d/%Y"), ampm(a), ampm(b), pos])
                line += 1
                if typo:
                    # rows layouts cite the row's first mapped cell (the store column)
                    issues.append(("date_far_from_week", f"A{line}"))
                else:
                    shifts.append((1042, name, d, a, b, pos))
    expected("rows_six_months", "rows", shifts, issues,
             notes="six months of consecutive days (2025-06-02 to 2025-12-01): every date kept; one 2052 typo rejected")


# ---------------------------------------------------------------- files that must fail cleanly


def error_files():
    with open(os.path.join(OUT, "error_corrupt.xlsx"), "wb") as f:
        f.write(b"PK\x03\x04" + b"\x00" * 26 + b"this is not a zip archive" * 8)
    open(os.path.join(OUT, "error_empty.csv"), "wb").close()
    with open(os.path.join(OUT, "error_pdf_renamed.xlsx"), "wb") as f:
        f.write(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Product", "Price", "Stock"])
    ws.append(["Aspirin 100", 3.5, 120])
    ws.append(["Bandages", 2.25, 40])
    wb.save(os.path.join(OUT, "error_unknown_layout.xlsx"))


def main():
    os.makedirs(OUT, exist_ok=True)
    rows_title_typed()
    rows_legacy()
    rows_combined_shift()
    rows_european()
    wfm_export()
    grid_weekly_xlsx()
    grid_daynames()
    grid_date_cells()
    grid_weekly_ods()
    grid_week_ending()
    grid_first_last()
    grid_weekof_in_header()
    grid_two_row_header()
    rows_daily_sections()
    rows_grouped()
    rows_ids_and_footer()
    rows_six_months()
    error_files()
    print(f"fixtures written to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
