#!/usr/bin/env python3
"""Write fixtures/exports/: files shaped like the exports of the scheduling products stores
use, each with its truth (NAME.expected.json: family, shifts, expected issues).

    python3 -m venv target/venv && target/venv/bin/pip install openpyxl xlsxwriter xlwt
    target/venv/bin/python scripts/make_export_fixtures.py      # writes fixtures/exports/
    scripts/check_corpus.py fixtures/exports                     # one line per family

The columns are reconstructed from each product's help pages and import templates (Deputy's
bulk-import fields and timesheet export, Teams Shifts' Excel export with its Time Off and Day
Notes sheets, UKG Dimensions' schedule grid export, …); values are invented. Producers vary on
purpose: openpyxl and xlsxwriter workbooks; CSV with a UTF-8 BOM, CRLF line ends, every field
quoted, semicolons and day-first dates as European locales write them.

Families (file: what it exercises):
  teams_*            Microsoft Teams Shifts: `Member` as `Last, First`, Start/End Date + Time,
                     Theme Color, Unpaid Break, Notes, Shared, a Time Off and a Day Notes sheet;
                     an open shift; a UK (day-first) export
  wheniwork_*        When I Work: first/last name, `Location`, text dates and `9:00am` times,
                     open shifts (blank employee, `OpenShift`); every date reads both ways
                     (a `date_order_assumed` warning, never a silent guess)
  deputy_*           Deputy: the roster export (DD/MM/YYYY, `HH:MM:SS`, Area, Mealbreak) and the
                     bulk-import CSV (ISO dates, `Open` column, open shift)
  humanity_*         Humanity/TCP: `Employee Names`, month-name dates (`Jun 9, 2025`), break
                     windows, `Store #4410` locations
  sevenshifts_*      7shifts: ISO dates, Role/Department, Unpaid Break, Hours and Wages ignored
  homebase_*         Homebase: weekday + month-name dates (`Mon, Jun 9, 2025`), break minutes
  ukg_*              UKG Dimensions: title rows, `Shift Start`/`Shift End` as times (not the
                     wfm date-times), Primary Job, Paycode; `Last, First`
  sling_*            Sling: `User`, start/end as date-times in one cell each, no date column
  zoomshift_*        ZoomShift: ISO date-times `2025-06-09 09:00`
  planday_*          Planday: semicolons, `dd.mm.yyyy`, From/To, store from the file name
  rotacloud_*        Rotacloud (UK): `Finish`, `Unpaid break`, dd/mm/yyyy
  quinyx_*           Quinyx: Start date/time + End date/time, `Unit` holding the store
  dates_*            weekday names beside day-first dates (`Thursday`, `06/03/2025`): read
                     6 March, never 3 June
  stores_*           stores from a brand title (`Walgreens #4410 - Pharmacy`) and a sheet name
                     (`Filiale 12`)
  typos_*            a grid whose first three employee rows each hold one typo: the good
                     cells import, the typos are errors with their cells

fixtures/suggest/ holds layouts no shipped template reads (`preview` refuses them), for
`templates suggest`: their truth is what the suggested template imports.
  suggest_synonyms     `Crew Member`, `Shift Day`, `Clock Start`, `Clock Stop`: unknown headers,
                       columns assigned by their values
  suggest_typos        `Employe Name`, `Dat`, `Strat Time`, `End Tme`: "did you mean"
  suggest_spanish      Spanish headers, dd/mm/yyyy dates (xlsx)
  suggest_datetimes    `Beginning`/`Ending` ISO date-times under unknown headers
  suggest_dutch        semicolons, `Medewerker`, dd-mm-yyyy dates
  suggest_french       French headers under a title (xlsx), dd/mm/yyyy, `8h00` times
"""

import csv
import datetime as dt
import io
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "exports")
D = dt.date
T = dt.time


def hm(t):
    return f"{t.hour:02d}:{t.minute:02d}"


def expected(name, family, shifts, issues=(), notes=""):
    """shifts: (store, name, date, start, end, position); issues: (code, A1 cell)."""
    doc = {
        "family": family,
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
        "issues": [{"code": c, "cell": cell} for c, cell in issues],
    }
    with open(os.path.join(OUT, name + ".expected.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def write_csv(name, rows, *, delimiter=",", bom=False, crlf=False, quote_all=False, encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = buf.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def ampm(t, space=True, lower=False):
    h = t.hour % 12 or 12
    s = f"{h}:{t.minute:02d}{' ' if space else ''}{'AM' if t.hour < 12 else 'PM'}"
    return s.lower() if lower else s


def us(d):
    return f"{d.month}/{d.day}/{d.year}"


def uk(d):
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


# A week of a small pharmacy: (first, last, role, day offset, start, end). Week of Mon 9 June 2025
# (days above 12 from Friday on, so a day-first export is decidable).
STAFF = [
    ("Hannah", "Silva", "Pharmacist", 0, T(8, 0), T(16, 30)),
    ("Hannah", "Silva", "Pharmacist", 1, T(8, 0), T(16, 30)),
    ("Marcus", "Okafor", "Pharmacy Technician", 0, T(12, 0), T(20, 30)),
    ("Marcus", "Okafor", "Pharmacy Technician", 3, T(9, 30), T(18, 0)),
    ("Priya", "Natarajan", "Cashier", 2, T(10, 0), T(14, 0)),
    ("Priya", "Natarajan", "Cashier", 4, T(16, 0), T(22, 0)),
    ("Tomás", "Reyes", "Pharmacist", 5, T(22, 0), T(6, 0)),
    ("Lena", "Fischer", "Pharmacy Technician", 6, T(9, 0), T(13, 0)),
]
WEEK = D(2025, 6, 9)


def day(off, week=WEEK):
    return week + dt.timedelta(days=off)


def end_date(off, s, e, week=WEEK):
    return day(off + (1 if e < s else 0), week)


# ------------------------------------------------------------------------------- Teams Shifts

def teams(name, order, week, producer):
    """Teams Shifts' export: a Shifts sheet, a Time Off sheet and a Day Notes sheet."""
    fmt = us if order == "mdy" else uk
    head = ["Member", "Work Email", "Group", "Start Date", "Start Time", "End Date", "End Time",
            "Theme Color", "Custom Label", "Unpaid Break (minutes)", "Notes", "Shared"]
    rows, truth = [], []
    for i, (fn, ln, role, off, s, e) in enumerate(STAFF):
        rows.append([f"{ln}, {fn}", f"{fn.lower()}.{ln.lower()}@example.com", role,
                     fmt(day(off, week)), hm(s), fmt(end_date(off, s, e, week)), hm(e),
                     "1. White" if i % 2 else "3. Green", "", 30 if (e.hour - s.hour) % 24 >= 6 else 0,
                     "Flu clinic" if i == 2 else "", "1. Shared"])
        truth.append((4410, f"{fn} {ln}", day(off, week), s, e, role))
    # An open shift: no member.
    rows.append(["", "", "Cashier", fmt(day(2, week)), "16:00", fmt(day(2, week)), "20:00",
                 "5. Purple", "Open shift", 0, "", "1. Shared"])
    open_row = len(rows) + 1
    off_head = ["Member", "Work Email", "Start Date", "Start Time", "End Date", "End Time",
                "Time Off Reason", "Theme Color", "Notes", "Shared"]
    off_rows = [["Silva, Hannah", "hannah.silva@example.com", fmt(day(3, week)), "00:00",
                 fmt(day(4, week)), "00:00", "Vacation", "9. Gray", "", "1. Shared"]]
    notes_head = ["Date", "Notes"]
    notes_rows = [[fmt(day(0, week)), "Delivery 10am"], [fmt(day(4, week)), "Inventory count"]]
    path = os.path.join(OUT, name + ".xlsx")
    sheets = [("Shifts", head, rows), ("Time Off", off_head, off_rows), ("Day Notes", notes_head, notes_rows)]
    if producer == "openpyxl":
        import openpyxl
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for title, h, rs in sheets:
            ws = wb.create_sheet(title)
            ws.append(h)
            for r in rs:
                ws.append(r)
        wb.save(path)
    else:
        import xlsxwriter
        wb = xlsxwriter.Workbook(path)
        for title, h, rs in sheets:
            ws = wb.add_worksheet(title)
            for c, v in enumerate(h):
                ws.write(0, c, v)
            for r, row in enumerate(rs, start=1):
                for c, v in enumerate(row):
                    if v != "":
                        ws.write(r, c, v)
        wb.close()
    return truth, [("open_shift", f"A{open_row}")]


def teams_us():
    truth, issues = teams("teams_store_4410_shifts", "mdy", WEEK, "openpyxl")
    expected("teams_store_4410_shifts", "Teams Shifts", truth, issues,
             "US export; store from the file name; Time Off and Day Notes sheets are not shifts")


def teams_uk():
    truth, issues = teams("teams_store_4410_uk", "dmy", WEEK, "xlsxwriter")
    expected("teams_store_4410_uk", "Teams Shifts", truth, issues,
             "UK export (dd/mm/yyyy): the days above 12 decide the order")


# ------------------------------------------------------------------------------- When I Work

def wheniwork():
    week = D(2025, 6, 2)  # every date reads both ways: reported, read month-first
    head = ["First Name", "Last Name", "Email", "Position", "Location", "Date", "Start", "End",
            "Break (min)", "Hours", "Notes"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        hours = ((e.hour * 60 + e.minute) - (s.hour * 60 + s.minute)) % 1440 / 60
        rows.append([fn, ln, f"{fn.lower()}@example.com", role, "Store 4410 - Downtown",
                     us(day(off, week)), ampm(s, False, True), ampm(e, False, True), 30, f"{hours:.2f}", ""])
        truth.append((4410, f"{fn} {ln}", day(off, week), s, e, role))
    rows.insert(3, ["", "", "", "Cashier", "Store 4410 - Downtown", us(day(5, week)), "9:00am", "1:00pm", 0, "4.00", ""])
    rows.append(["OpenShift", "", "", "Pharmacy Technician", "Store 4410 - Downtown", us(day(6, week)), "10:00am", "4:00pm", 0, "6.00", ""])
    write_csv("wheniwork_shifts.csv", rows, bom=True, crlf=True, quote_all=True)
    expected("wheniwork_shifts", "When I Work", truth,
             [("open_shift", "B4"), ("open_shift", f"B{len(rows)}"), ("date_order_assumed", "A2")],
             "BOM, CRLF, every field quoted; open shifts; every date ambiguous (warning)")


# ------------------------------------------------------------------------------- Deputy

def deputy_roster():
    head = ["Employee", "Employee Export Code", "Location", "Area", "Date", "Start", "End",
            "Mealbreak", "Total Hours", "Total Cost", "Comment"]
    rows, truth = [head], []
    for i, (fn, ln, role, off, s, e) in enumerate(STAFF):
        rows.append([f"{fn} {ln}", f"E{100 + i}", "Pharmacy 4410 Parramatta", role, uk(day(off)),
                     f"{hm(s)}:00", f"{hm(e)}:00", "00:30:00", "8", "250.40", ""])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    rows.append(["", "", "Pharmacy 4410 Parramatta", "Cashier", uk(day(6)), "12:00:00", "16:00:00",
                 "00:00:00", "4", "0", "Open shift"])
    write_csv("deputy_roster_export.csv", rows, crlf=True)
    expected("deputy_roster_export", "Deputy", truth, [("open_shift", f"A{len(rows)}")],
             "Australian roster export: DD/MM/YYYY, HH:MM:SS, Area as the role, Mealbreak")


def deputy_bulk():
    head = ["First Name", "Last Name", "Email", "Start Date", "Start Time", "End Date", "End Time",
            "Location", "Area", "Meal Break (Mins)", "Comment", "Published", "Open"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        rows.append([fn, ln, f"{fn.lower()}@example.com", day(off).isoformat(), f"{hm(s)}:00",
                     end_date(off, s, e).isoformat(), f"{hm(e)}:00", "Store 4410", role, 30, "", "Yes", "No"])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    rows.append(["", "", "", day(1).isoformat(), "14:00:00", day(1).isoformat(), "18:00:00",
                 "Store 4410", "Cashier", 0, "", "Yes", "Yes"])
    write_csv("deputy_bulk_import.csv", rows, quote_all=True)
    expected("deputy_bulk_import", "Deputy", truth, [("open_shift", f"B{len(rows)}")],
             "bulk-import template: ISO dates, Open column; the open shift is a notice")


# ------------------------------------------------------------------------------- Humanity

def humanity():
    head = ["Start Day", "Start Time", "End Day", "End Time", "Position", "Location", "Employee Names",
            "Break", "Title/Notes"]
    rows, truth = [head], []
    mon = lambda d: d.strftime("%b ") + str(d.day) + d.strftime(", %Y")
    for fn, ln, role, off, s, e in STAFF:
        rows.append([mon(day(off)), ampm(s, False, True), mon(end_date(off, s, e)), ampm(e, False, True),
                     role, "Store #4410", f"{fn} {ln}", "12:00pm - 12:30pm", ""])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    write_csv("humanity_shift_export.csv", rows, crlf=True)
    expected("humanity_shift_export", "Humanity", truth, [],
             "Employee Names, month-name dates, a break window beside the shift")


# ------------------------------------------------------------------------------- 7shifts

def sevenshifts():
    head = ["Date", "Employee", "Role", "Department", "Location", "Start", "End", "Unpaid Break",
            "Hours", "Wages", "Notes"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        rows.append([day(off).isoformat(), f"{fn} {ln}", role, "Pharmacy", "Store 4410",
                     ampm(s), ampm(e), "0:30", "7.5", "$142.50", ""])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    write_csv("sevenshifts_schedule.csv", rows)
    expected("sevenshifts_schedule", "7shifts", truth, [], "ISO dates; role over department")


# ------------------------------------------------------------------------------- Homebase

def homebase():
    import xlsxwriter
    path = os.path.join(OUT, "homebase_schedule.xlsx")
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Schedule")
    ws.write(0, 0, "Main St Pharmacy #4410")
    ws.write(1, 0, "Schedule: Jun 9 - Jun 15, 2025")
    head = ["Name", "Role", "Date", "Start", "End", "Break", "Scheduled Hours", "Est. Wages"]
    for c, v in enumerate(head):
        ws.write(3, c, v)
    truth = []
    for r, (fn, ln, role, off, s, e) in enumerate(STAFF, start=4):
        d = day(off)
        vals = [f"{fn} {ln}", role, d.strftime("%a, %b ") + str(d.day) + d.strftime(", %Y"),
                ampm(s), ampm(e), "30 min", 8, 160]
        for c, v in enumerate(vals):
            ws.write(r, c, v)
        truth.append((4410, f"{fn} {ln}", d, s, e, role))
    wb.close()
    expected("homebase_schedule", "Homebase", truth, [],
             "store from a brand title (#4410); weekday + month-name dates")


# ------------------------------------------------------------------------------- UKG

def ukg_dimensions():
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Schedule"
    ws["A1"] = "Schedule - Store 4410"
    ws["A2"] = f"Time Period: {us(WEEK)} - {us(day(6))}"
    ws.append([])
    ws.append(["Employee Name", "Person Number", "Primary Job", "Date", "Shift Start", "Shift End",
               "Hours", "Paycode"])
    truth = []
    for i, (fn, ln, role, off, s, e) in enumerate(STAFF):
        ws.append([f"{ln}, {fn}", f"{10020 + i}", role, day(off), ampm(s, False), ampm(e, False), 8.0, "Regular"])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    for row in ws.iter_rows(min_row=5):
        row[3].number_format = "mm/dd/yyyy"
    wb.save(os.path.join(OUT, "ukg_dimensions_schedule.xlsx"))
    expected("ukg_dimensions_schedule", "UKG Dimensions", truth, [],
             "Shift Start/End hold times (the wfm template's date-times do not fit); Last, First")


def ukg_wfc():
    import xlwt
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Schedule Planner")
    ws.write(0, 0, "Workforce Central - Schedule Planner")
    ws.write(1, 0, "Location: 4410")
    head = ["Name", "ID", "Job", "Date", "In", "Out", "Amount"]
    for c, v in enumerate(head):
        ws.write(3, c, v)
    datefmt = xlwt.easyxf(num_format_str="M/D/YYYY")
    timefmt = xlwt.easyxf(num_format_str="h:mm AM/PM")
    truth = []
    for r, (fn, ln, role, off, s, e) in enumerate(STAFF, start=4):
        ws.write(r, 0, f"{ln}, {fn}")
        ws.write(r, 1, 20000 + r)
        ws.write(r, 2, role)
        ws.write(r, 3, dt.datetime.combine(day(off), T(0, 0)), datefmt)
        ws.write(r, 4, s, timefmt)
        ws.write(r, 5, e, timefmt)
        ws.write(r, 6, 8.0)
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    wb.save(os.path.join(OUT, "ukg_wfc_planner.xls"))
    expected("ukg_wfc_planner", "UKG Workforce Central", truth, [],
             "legacy .xls: typed date and time cells, `Location: 4410` title")


# ------------------------------------------------------------------------------- Sling, ZoomShift

def sling():
    head = ["User", "Position", "Location", "Start", "End", "Break Duration", "Notes", "Status"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        rows.append([f"{fn} {ln}", role, "Store 4410", f"{us(day(off))} {ampm(s)}",
                     f"{us(end_date(off, s, e))} {ampm(e)}", "30", "", "Published"])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    write_csv("sling_shifts.csv", rows)
    expected("sling_shifts", "Sling", truth, [], "start and end as date-times, no date column")


def zoomshift():
    head = ["Employee", "Position", "Location", "Start Time", "End Time", "Unpaid Break", "Notes"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        rows.append([f"{fn} {ln}", role, "Store 4410", f"{day(off).isoformat()} {hm(s)}",
                     f"{end_date(off, s, e).isoformat()} {hm(e)}", "30", ""])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    write_csv("zoomshift_export.csv", rows, crlf=True)
    expected("zoomshift_export", "ZoomShift", truth, [], "ISO date-times in Start Time / End Time")


# ------------------------------------------------------------------------------- Planday, Rotacloud, Quinyx

def planday():
    head = ["Employee", "Employee group", "Date", "From", "To", "Breaks", "Hours"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        d = day(off)
        rows.append([f"{fn} {ln}", role, d.strftime("%d.%m.%Y"), hm(s), hm(e), "0:30", "7,5"])
        truth.append((12, f"{fn} {ln}", d, s, e, role))
    write_csv("planday_filiale_12.csv", rows, delimiter=";", encoding="cp1252")
    expected("planday_filiale_12", "Planday", truth, [],
             "semicolons, Windows-1252, dd.mm.yyyy, From/To; store from the file name")


def rotacloud():
    head = ["Employee", "Role", "Location", "Date", "Start", "Finish", "Unpaid break", "Paid hours"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        rows.append([f"{fn} {ln}", role, "Branch 4410", uk(day(off)), hm(s), hm(e), "00:30", "7.50"])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    write_csv("rotacloud_rota.csv", rows, bom=True)
    expected("rotacloud_rota", "Rotacloud", truth, [], "UK: dd/mm/yyyy, Finish, Unpaid break")


def quinyx():
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Shifts"
    ws.append(["Employee", "Employee ID", "Unit", "Shift type", "Start date", "Start time",
               "End date", "End time", "Break (min)"])
    truth = []
    for i, (fn, ln, role, off, s, e) in enumerate(STAFF):
        ws.append([f"{fn} {ln}", 300 + i, "Apotek 4410 Centrum", role, day(off).isoformat(), hm(s),
                   end_date(off, s, e).isoformat(), hm(e), 30])
        truth.append((4410, f"{fn} {ln}", day(off), s, e, role))
    wb.save(os.path.join(OUT, "quinyx_shifts.xlsx"))
    expected("quinyx_shifts", "Quinyx", truth, [], "Unit holds the store; Shift type is the role")


# ------------------------------------------------------------------------------- dates, stores, typos

def dates_weekday_column():
    week = D(2025, 3, 3)  # Mon 3 March 2025: every date reads both ways, the weekdays decide
    head = ["Employee", "Day", "Date", "Start", "End"]
    rows, truth = [head], []
    for fn, ln, role, off, s, e in STAFF:
        d = day(off, week)
        rows.append([f"{fn} {ln}", d.strftime("%A"), f"{d.day:02d}/{d.month:02d}/{d.year}", hm(s), hm(e)])
        truth.append((2207, f"{fn} {ln}", d, s, e, None))
    write_csv("dates_weekday_column_store_2207.csv", rows)
    expected("dates_weekday_column_store_2207", "dates", truth, [],
             "Thursday beside 06/03/2025: 6 March (day-first), never 3 June")


def dates_weekday_in_cell():
    import openpyxl
    week = D(2025, 3, 3)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Store 2207"
    ws.append(["Employee", "Date", "Shift"])
    truth = []
    for fn, ln, role, off, s, e in STAFF:
        d = day(off, week)
        ws.append([f"{fn} {ln}", f"{d.strftime('%A')} {d.day:02d}/{d.month:02d}/{d.year}",
                   f"{hm(s)}-{hm(e)}"])
        truth.append((2207, f"{fn} {ln}", d, s, e, None))
    wb.save(os.path.join(OUT, "dates_weekday_in_cell.xlsx"))
    expected("dates_weekday_in_cell", "dates", truth, [],
             "`Thursday 06/03/2025` in one cell; store from the sheet name")


def grid(path, title, rows_spec, week, sheet="Week"):
    """A weekly grid (xlsxwriter): title, `Mon 6/9` headers, names down; returns the truth."""
    import xlsxwriter
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(sheet)
    ws.write(0, 0, title)
    head = ["Employee", "Role"] + [day(i, week).strftime("%a ") + f"{day(i, week).month}/{day(i, week).day}" for i in range(7)] + ["Total Hrs"]
    for c, v in enumerate(head):
        ws.write(2, c, v)
    for r, (name, role, cells) in enumerate(rows_spec, start=3):
        ws.write(r, 0, name)
        ws.write(r, 1, role)
        for i, v in enumerate(cells):
            if v:
                ws.write(r, 2 + i, v)
    wb.close()


GRID_ROWS = [
    ("Silva, Hannah", "Pharmacist", ["8a-4:30p", "8a-4:30p", "OFF", "8a-4:30p", "", "", ""]),
    ("Okafor, Marcus", "Technician", ["12p-8:30p", "", "9:30a-6p", "", "9a-1p", "", ""]),
    ("Natarajan, Priya", "Cashier", ["", "10a-2p", "", "4p-10p", "", "10a-6p", ""]),
    ("Reyes, Tomás", "Pharmacist", ["", "", "", "", "10p-6a", "", "9a-1p"]),
]


def parse_grid_truth(store, week, spec, skip=()):
    import re
    out = []
    for name, role, cells in spec:
        last, first = [x.strip() for x in name.split(",")]
        for i, v in enumerate(cells):
            if not v or v == "OFF" or (name, i) in skip:
                continue
            a, b = v.split("-")

            def tm(x):
                m = re.match(r"(\d+)(?::(\d+))?([ap])", x)
                h = int(m.group(1)) % 12 + (12 if m.group(3) == "p" else 0)
                return T(h, int(m.group(2) or 0))
            out.append((store, f"{first} {last}", day(i, week), tm(a), tm(b), role))
    return out


def stores_brand_title():
    grid(os.path.join(OUT, "stores_brand_title.xlsx"), "Walgreens #4410 - Pharmacy", GRID_ROWS, WEEK)
    expected("stores_brand_title", "stores", parse_grid_truth(4410, WEEK, GRID_ROWS), [],
             "the store only in a brand title: `<Brand> #4410 - Pharmacy`")


def stores_filiale_sheet():
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Filiale 12"
    ws.append(["Mitarbeiter", "Datum", "Beginn", "Ende", "Funktion"])
    truth = []
    for fn, ln, role, off, s, e in STAFF:
        d = day(off)
        ws.append([f"{fn} {ln}", d.strftime("%d.%m.%Y"), hm(s), hm(e), role])
        truth.append((12, f"{fn} {ln}", d, s, e, role))
    wb.save(os.path.join(OUT, "stores_filiale_sheet.xlsx"))
    expected("stores_filiale_sheet", "stores", truth, [], "the store only in the sheet name `Filiale 12`")


def typos_grid():
    """Three employee rows, one typo each, under day names anchored by `Week of June 16, 2025`:
    both grid templates fit, so the trial runs (and used to refuse the file)."""
    import xlsxwriter
    week = D(2025, 6, 16)
    spec = [
        ("Silva, Hannah", "Pharmacist", ["8a-4:30p", "8a-4;30p", "OFF", "8a-4:30p", "", "", ""]),
        ("Okafor, Marcus", "Technician", ["12p-8:30p", "", "9:30a-6p", "", "9a-1p", "", "noonish"]),
        ("Natarajan, Priya", "Cashier", ["", "10a-2p", "", "4p-10p", "", "10a-6pp", ""]),
    ]
    path = os.path.join(OUT, "typos_grid_store_2207.xlsx")
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Week")
    ws.write(0, 0, "Pharmacy Schedule")
    ws.write(1, 0, "Week of June 16, 2025")
    head = ["Employee", "Role", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Total Hrs"]
    for c, v in enumerate(head):
        ws.write(3, c, v)
    for r, (name, role, cells) in enumerate(spec, start=4):
        ws.write(r, 0, name)
        ws.write(r, 1, role)
        for i, v in enumerate(cells):
            if v:
                ws.write(r, 2 + i, v)
    wb.close()
    skip = {("Silva, Hannah", 1), ("Okafor, Marcus", 6), ("Natarajan, Priya", 5)}
    expected("typos_grid_store_2207", "typos", parse_grid_truth(2207, week, spec, skip),
             [("unreadable_time", "D5"), ("unreadable_time", "I6"), ("unreadable_time", "H7")],
             "one typo in each of the three employee rows: the rest imports, the typos are errors")


# ------------------------------------------------------------------------------- suggest

SUGGEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "suggest")


def in_suggest(f):
    def run():
        global OUT
        saved, OUT = OUT, SUGGEST
        try:
            f()
        finally:
            OUT = saved
    return run


def staff_truth(store, fmt_role=True):
    return [(store, f"{fn} {ln}", day(off), s, e, role if fmt_role else None)
            for fn, ln, role, off, s, e in STAFF]


@in_suggest
def suggest_synonyms():
    rows = [["Crew Member", "Shift Day", "Clock Start", "Clock Stop"]]
    rows += [[f"{fn} {ln}", us(day(off)), ampm(s), ampm(e)] for fn, ln, _, off, s, e in STAFF]
    write_csv("suggest_synonyms_store_2207.csv", rows)
    expected("suggest_synonyms_store_2207", "suggest", staff_truth(2207, False), [],
             "unknown headers: the columns are assigned by their values")


@in_suggest
def suggest_typos():
    rows = [["Employe Name", "Dat", "Strat Time", "End Tme", "Positon"]]
    rows += [[f"{fn} {ln}", us(day(off)), hm(s), hm(e), role] for fn, ln, role, off, s, e in STAFF]
    write_csv("suggest_typos_store_2207.csv", rows)
    expected("suggest_typos_store_2207", "suggest", staff_truth(2207), [],
             "near-miss headers: did you mean")


@in_suggest
def suggest_spanish():
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Turnos"
    ws.append(["Empleado", "Fecha", "Entrada", "Salida", "Puesto"])
    for fn, ln, role, off, s, e in STAFF:
        ws.append([f"{fn} {ln}", uk(day(off)), hm(s), hm(e), role])
    wb.save(os.path.join(OUT, "suggest_spanish_store_2207.xlsx"))
    expected("suggest_spanish_store_2207", "suggest", staff_truth(2207, False), [],
             "Spanish headers, day-first dates: the date order comes from the days above 12")


@in_suggest
def suggest_datetimes():
    rows = [["Staffer", "Beginning", "Ending", "Duty"]]
    rows += [[f"{fn} {ln}", f"{day(off).isoformat()} {hm(s)}", f"{end_date(off, s, e).isoformat()} {hm(e)}", role]
             for fn, ln, role, off, s, e in STAFF]
    write_csv("suggest_datetimes_store_2207.csv", rows)
    expected("suggest_datetimes_store_2207", "suggest", staff_truth(2207, False), [],
             "date-times under unknown headers")


@in_suggest
def suggest_dutch():
    rows = [["Medewerker", "Datum", "Begintijd", "Eindtijd"]]
    rows += [[f"{fn} {ln}", day(off).strftime("%d-%m-%Y"), hm(s), hm(e)] for fn, ln, _, off, s, e in STAFF]
    write_csv("suggest_dutch_store_2207.csv", rows, delimiter=";")
    expected("suggest_dutch_store_2207", "suggest", staff_truth(2207, False), [],
             "Dutch headers, dd-mm-yyyy")


@in_suggest
def suggest_french():
    import xlsxwriter
    path = os.path.join(OUT, "suggest_french_store_2207.xlsx")
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Planning")
    ws.write(0, 0, "Planning de la pharmacie")
    for c, v in enumerate(["Collaborateur", "Jour", "Début", "Fin", "Poste"]):
        ws.write(2, c, v)
    for r, (fn, ln, role, off, s, e) in enumerate(STAFF, start=3):
        for c, v in enumerate([f"{ln.upper()} {fn}", uk(day(off)), f"{s.hour}h{s.minute:02d}", hm(e), role]):
            ws.write(r, c, v)
    wb.close()
    truth = [(st, f"{ln.upper()} {fn}", d, a, b, None)
             for (st, _, d, a, b, _), (fn, ln, *_rest) in zip(staff_truth(2207), STAFF)]
    expected("suggest_french_store_2207", "suggest", truth, [],
             "French headers under a title, dd/mm/yyyy, `8h00` start times")


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(SUGGEST, exist_ok=True)
    for f in [suggest_synonyms, suggest_typos, suggest_spanish, suggest_datetimes, suggest_dutch,
              suggest_french]:
        f()
    for f in [teams_us, teams_uk, wheniwork, deputy_roster, deputy_bulk, humanity, sevenshifts,
              homebase, ukg_dimensions, ukg_wfc, sling, zoomshift, planday, rotacloud, quinyx,
              dates_weekday_column, dates_weekday_in_cell, stores_brand_title, stores_filiale_sheet,
              typos_grid]:
        f()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
