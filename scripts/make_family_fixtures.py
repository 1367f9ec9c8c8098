#!/usr/bin/env python3
"""Layout families of the grid extractor: realistic files with the shifts they mean.

    python3 -m venv target/venv && target/venv/bin/pip install openpyxl xlsxwriter xlwt reportlab
    target/venv/bin/python scripts/make_family_fixtures.py [DIR]     # default fixtures/families
    python3 scripts/check_corpus.py fixtures/families

Families (file name prefix):
  inout_     In/Out (Start/End, Von/Bis) sub-columns under merged day headers whose dates are
             formulas with cached values, a Total Hours column, a TOTAL row, split shifts on a
             second row with a blank name (the office templates' weekly timesheet).
  weeks_     several weeks on one sheet: side by side (each block with its own names) or one
             below the other (dated headers, or day names under their own `Week of` cell).
  monthly_   monthly rosters: day numbers `1.` … `31.` under (or over) weekday abbreviations,
             month and year only in the title, shift codes resolved through a legend.
  slots_     shift slots × days: shift times down the side, several names per cell.
  codes_     weekly grids of shift codes with the legend on the sheet (text entries, a
             Code | Start | End table), German (F is Früh) and English (E/D/L/N).
  multiline_ name + role on two lines, two ranges on two lines, totals rows, hours and wages
             columns.
  pdf_       the printed week view (reportlab): name over role, split shifts on two lines, a
             "Scheduled hours" totals row.

Producers: openpyxl, xlsxwriter, xlwt (xls), reportlab (PDF), and LibreOffice headless
(`soffice --convert-to ods/xls`) when it is installed (those files are skipped otherwise).
Each FILE gets NAME.expected.json ({"layout", "notes", "shifts": [...], "issues": [...]}), read
by tests/it/families.rs and scripts/check_corpus.py. Names are "First Last"; an overnight
shift belongs to the date it starts. The output is deterministic (fixed seeds).
"""
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import openpyxl
import xlsxwriter
import xlwt
from openpyxl.styles import Alignment
from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "families")
os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))

DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAB_EN = [d[:3] for d in DAYS_EN]
DAB_DE = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]

EMPS = [
    ("Maria", "Garcia", "Pharmacist"),
    ("José", "Müller", "Pharmacy Technician"),
    ("Zoë", "O'Brien", "Cashier"),
    ("Dmitri", "Ivanov", "Technician"),
    ("Aisha", "Khan", "Intern"),
]
EMPS_DE = [
    ("Anna", "Schmidt", "Apothekerin"),
    ("Jürgen", "Weiß", "PTA"),
    ("Lena", "Becker", "PKA"),
    ("Özlem", "Yılmaz", "PTA"),
]


def week(monday):
    return [monday + dt.timedelta(d) for d in range(7)]


def shift(store, name, date, s, e, pos=None):
    return dict(store_number=store, employee_name=name, date=date.isoformat(), start=s, end=e, position=pos)


def write_expected(name, layout, notes, shifts, issues=()):
    stem = os.path.splitext(name)[0]
    with open(os.path.join(OUT, stem + ".expected.json"), "w") as f:
        json.dump(dict(layout=layout, notes=notes, shifts=shifts, issues=list(issues)), f, indent=1, ensure_ascii=False)
        f.write("\n")


def hm(t):
    h, m = map(int, t.split(":"))
    return dt.time(h, m)


def ampm(t):
    h, m = map(int, t.split(":"))
    return f"{h % 12 or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"


def short(t):
    """6, 14, 6:30 (24-hour, as German rosters write them)."""
    h, m = map(int, t.split(":"))
    return f"{h}" if m == 0 else f"{h}:{m:02d}"


def hours(parts):
    tot = 0
    for s, e in parts:
        a, b = hm(s), hm(e)
        mins = (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)
        tot += mins if mins > 0 else mins + 1440
    return tot / 60


def random_week(seed, emps, days, split_share=0.15):
    """{(emp, day): [(start, end), ...]} with days off, split and overnight shifts."""
    rnd = random.Random(seed)
    singles = [("09:00", "17:30"), ("07:00", "15:30"), ("10:00", "19:00"), ("12:00", "21:00"), ("08:30", "17:00")]
    out = {}
    for i in range(len(emps)):
        for d in days:
            r = rnd.random()
            if r < 0.25:
                continue
            if r < 0.25 + split_share:
                out[(i, d)] = [("08:00", "12:00"), ("13:00", "17:00")]
            elif r > 0.95:
                out[(i, d)] = [("22:00", "06:00")]
            else:
                out[(i, d)] = [rnd.choice(singles)]
    return out


def libreoffice(src, ext):
    """Convert with LibreOffice headless; None when it is not installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", ext,
                        "--outdir", tmp, src], check=True, capture_output=True, timeout=180)
        got = os.path.join(tmp, os.path.splitext(os.path.basename(src))[0] + "." + ext)
        return open(got, "rb").read()


def with_copy(name, layout, notes, shifts, ext, src):
    data = libreoffice(os.path.join(OUT, src), ext)
    if data is None:
        print(f"  (no LibreOffice: {name} skipped)")
        return
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    write_expected(name, layout, notes + " (LibreOffice conversion)", shifts)
    print(name)


# ---------------------------------------------------------------- In/Out sub-columns
def inout_xlsxwriter(name, store, monday, seed, labels=("In", "Out"), hrs_col=True):
    """The office template: title, week start cell, merged day headers as formulas over In/Out
    (and Hrs) sub-columns, typed times, split shifts on a second row with a blank name, a
    Total Hours column and a TOTAL row of formulas (cached values written too)."""
    days = week(monday)
    sched = random_week(seed, EMPS, days)
    wb = xlsxwriter.Workbook(os.path.join(OUT, name))
    ws = wb.add_worksheet("Schedule")
    bold = wb.add_format({"bold": True, "align": "center"})
    fdate = wb.add_format({"num_format": "ddd m/d", "bold": True, "align": "center"})
    fwk = wb.add_format({"num_format": "mm/dd/yyyy"})
    ftime = wb.add_format({"num_format": "h:mm AM/PM"})
    ws.write(0, 0, f"Weekly Employee Schedule - Store #{store}")
    ws.write(2, 0, "Week Start:")
    ws.write_datetime(2, 1, dt.datetime.combine(monday, dt.time()), fwk)
    width = 3 if hrs_col else 2
    hr, sub = 4, 5
    ws.merge_range(hr, 0, sub, 0, "Employee", bold)
    for i, d in enumerate(days):
        c = 1 + i * width
        formula = "=$B$3" if i == 0 else f"=$B$3+{i}"
        ws.merge_range(hr, c, hr, c + width - 1, "", fdate)
        ws.write_formula(hr, c, formula, fdate, (d - dt.date(1899, 12, 30)).days)
        ws.write(sub, c, labels[0], bold)
        ws.write(sub, c + 1, labels[1], bold)
        if hrs_col:
            ws.write(sub, c + 2, "Hrs", bold)
    tot_col = 1 + 7 * width
    ws.merge_range(hr, tot_col, sub, tot_col, "Total Hours", bold)
    r = sub + 1
    truth = []
    for i, (f, l, pos) in enumerate(EMPS):
        two = any(len(sched.get((i, d), [])) > 1 for d in days)
        rows = [r, r + 1] if two else [r]
        ws.write(r, 0, f"{f} {l}")
        total = 0
        for j, d in enumerate(days):
            parts = sched.get((i, d), [])
            c = 1 + j * width
            for k, (s, e) in enumerate(parts):
                ws.write_datetime(rows[k], c, hm(s), ftime)
                ws.write_datetime(rows[k], c + 1, hm(e), ftime)
                if hrs_col:
                    h = hours([(s, e)])
                    ws.write_formula(rows[k], c + 2, f"=MOD({xl(rows[k], c + 1)}-{xl(rows[k], c)},1)*24", None, h)
                truth.append(shift(store, f"{f} {l}", d, s, e))
            total += hours(parts)
        ws.write_formula(r, tot_col, f"=SUM({xl(r, 1)}:{xl(rows[-1], tot_col - 1)})", None, total)
        r = rows[-1] + 1
    ws.write(r, 0, "TOTAL", bold)
    ws.write_formula(r, tot_col, f"=SUM({xl(sub + 1, tot_col)}:{xl(r - 1, tot_col)})", None,
                     sum(hours(p) for p in sched.values()))
    wb.close()
    return truth


def xl(r, c):
    return xlsxwriter.utility.xl_rowcol_to_cell(r, c)


def inout_openpyxl(name, store, monday, seed):
    """Start/End sub-columns under `Mon 11/24` text headers merged over both, text times
    (`9:00 AM`), a `Total` column and a `Total` row; split shifts on a second row."""
    days = week(monday)
    sched = random_week(seed, EMPS[:4], days)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Store {store}"
    ws.append([f"Staff Schedule — week of {monday:%B} {monday.day}, {monday.year}"])
    ws.append([])
    head = ["Name"]
    subh = [None]
    for d in days:
        head += [f"{d:%a} {d.month}/{d.day}", None]
        subh += ["Start", "End"]
    head.append("Total")
    subh.append(None)
    ws.append(head)
    ws.append(subh)
    for i in range(7):
        ws.merge_cells(start_row=3, start_column=2 + 2 * i, end_row=3, end_column=3 + 2 * i)
    truth = []
    for i, (f, l, pos) in enumerate(EMPS[:4]):
        lines = [[f"{l}, {f}"] + [None] * 15, [None] * 16]
        for j, d in enumerate(days):
            for k, (s, e) in enumerate(sched.get((i, d), [])):
                lines[k][1 + 2 * j] = ampm(s)
                lines[k][2 + 2 * j] = ampm(e)
                truth.append(shift(store, f"{f} {l}", d, s, e))
        lines[0][15] = sum(hours(p) for (x, _), p in sched.items() if x == i)
        ws.append(lines[0])
        if any(v for v in lines[1]):
            ws.append(lines[1])
    ws.append(["Total", None, None, None, None, None, None, None, None, None, None, None, None, None, None,
               sum(hours(p) for p in sched.values())])
    wb.save(os.path.join(OUT, name))
    return truth


def inout_german(name, store, monday, seed):
    """German timesheet: `Von`/`Bis` under typed date headers (not merged: the date stands
    over the Von column), 24-hour text times, `Summe` column and row."""
    days = week(monday)
    emps = EMPS_DE
    sched = random_week(seed, emps, days, split_share=0.1)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dienstplan"
    ws.append([f"Filiale {store} – Arbeitszeiten"])
    ws.append([])
    head = ["Mitarbeiter"]
    subh = [None]
    for d in days:
        head += [d, None]
        subh += ["Von", "Bis"]
    head.append("Summe")
    ws.append(head)
    ws.append(subh)
    for c in ws[3]:
        if isinstance(c.value, dt.date):
            c.number_format = "DD.MM.YYYY"
    truth = []
    for i, (f, l, pos) in enumerate(emps):
        lines = [[f"{f} {l}"] + [None] * 14, [None] * 15]
        for j, d in enumerate(days):
            for k, (s, e) in enumerate(sched.get((i, d), [])):
                lines[k][1 + 2 * j] = s
                lines[k][2 + 2 * j] = e
                truth.append(shift(store, f"{f} {l}", d, s, e))
        ws.append(lines[0] + [sum(hours(p) for (x, _), p in sched.items() if x == i)])
        if any(lines[1]):
            ws.append(lines[1])
    ws.append(["Summe"] + [None] * 14 + [sum(hours(p) for p in sched.values())])
    wb.save(os.path.join(OUT, name))
    return truth


# ---------------------------------------------------------------- several weeks
def weeks_side_by_side(name, store, mondays, seed):
    """Two weeks next to each other, each block with its own Employee column and order."""
    wb = xlsxwriter.Workbook(os.path.join(OUT, name))
    ws = wb.add_worksheet("Two weeks")
    ws.write(0, 0, f"Pharmacy #{store} — two-week schedule")
    truth = []
    for b, monday in enumerate(mondays):
        days = week(monday)
        emps = EMPS if b == 0 else list(reversed(EMPS))
        sched = random_week(seed + b, emps, days)
        c0 = b * 9
        ws.write(2, c0, "Employee")
        for j, d in enumerate(days):
            ws.write(2, c0 + 1 + j, f"{d:%a} {d.month}/{d.day}/{d.year}")
        for i, (f, l, pos) in enumerate(emps):
            ws.write(3 + i, c0, f"{f} {l}")
            for j, d in enumerate(days):
                p = sched.get((i, d))
                ws.write(3 + i, c0 + 1 + j, ", ".join(f"{ampm(s)}-{ampm(e)}" for s, e in p) if p else "OFF")
                for s, e in p or []:
                    truth.append(shift(store, f"{f} {l}", d, s, e))
    wb.close()
    return truth


def weeks_stacked(name, store, mondays, seed, day_names_only=False):
    """Weeks one below the other: each under its own `Week of` cell and header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Schedule"
    ws.append([f"Store {store}"])
    truth = []
    for b, monday in enumerate(mondays):
        days = week(monday)
        sched = random_week(seed + b, EMPS, days)
        ws.append([])
        ws.append(["Week of", monday])
        ws.cell(ws.max_row, 2).number_format = "mm/dd/yyyy"
        if day_names_only:
            ws.append(["Employee", "Role"] + DAYS_EN)
        else:
            ws.append(["Employee", "Role"] + [f"{d:%a} {d.month}/{d.day}" for d in days])
        for i, (f, l, pos) in enumerate(EMPS):
            row = [f"{f} {l}", pos]
            for d in days:
                p = sched.get((i, d))
                row.append(" / ".join(f"{s}-{e}" for s, e in p) if p else None)
                for s, e in p or []:
                    truth.append(shift(store, f"{f} {l}", d, s, e, pos))
            ws.append(row)
        ws.append(["Total hours", None] + [None] * 7)
    wb.save(os.path.join(OUT, name))
    return truth


# ---------------------------------------------------------------- monthly rosters
CODES_DE = {"F": ("06:00", "14:00"), "S": ("14:00", "22:00"), "N": ("22:00", "06:00"), "ND": ("08:00", "20:00")}
CODES_EN = {"E": ("07:00", "15:00"), "D": ("09:00", "17:00"), "L": ("13:00", "21:00"), "N": ("21:00", "07:00")}


def month_days(year, month):
    d = dt.date(year, month, 1)
    out = []
    while d.month == month:
        out.append(d)
        d += dt.timedelta(1)
    return out


def monthly_codes(seed, emps, days, codes, offs):
    rnd = random.Random(seed)
    sched = {}
    keys = list(codes)
    for i in range(len(emps)):
        for d in days:
            r = rnd.random()
            sched[(i, d)] = rnd.choice(offs) if r < 0.3 else rnd.choice(keys)
    return sched


def monthly_german(name, store, year, month, seed):
    """`Dienstplan März 2025`, `Mitarbeiter` | `1.` … `31.` over `Sa So Mo …`, cells F/S/N/ND
    (F is Früh here, not frei), U/K/frei/- for days off, the legend below the grid as text."""
    days = month_days(year, month)
    sched = monthly_codes(seed, EMPS_DE, days, CODES_DE, ["U", "K", "frei", "-", None])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dienstplan"
    mname = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
             "Oktober", "November", "Dezember"][month - 1]
    ws.append([f"Dienstplan {mname} {year}"])
    ws.append([f"Filiale {store}"])
    ws.append([])
    ws.append(["Mitarbeiter"] + [f"{d.day}." for d in days] + ["Std."])
    ws.append([None] + [DAB_DE[d.weekday()] for d in days])
    truth = []
    for i, (f, l, pos) in enumerate(EMPS_DE):
        row = [f"{l}, {f}"]
        for d in days:
            code = sched[(i, d)]
            row.append(code)
            if code in CODES_DE:
                s, e = CODES_DE[code]
                truth.append(shift(store, f"{f} {l}", d, s, e))
        row.append(None)
        ws.append(row)
    ws.append([])
    ws.append(["Legende:"])
    ws.append(["F = Früh 06:00-14:00"])
    ws.append(["S = Spät 14:00-22:00"])
    ws.append(["N = Nacht 22:00-06:00"])
    ws.append(["ND = Notdienst 08:00-20:00"])
    ws.append(["U = Urlaub, K = krank, frei = dienstfrei"])
    for row in ws.iter_rows(min_row=4, max_row=5):
        for c in row:
            c.alignment = Alignment(horizontal="center")
    wb.save(os.path.join(OUT, name))
    return truth


def monthly_english(name, store, year, month, seed):
    """`Schedule - March 2025`, weekday row over number cells 1..31, codes E/D/L/N and a
    Code | Start | End legend table (typed times) under the grid; xlsxwriter."""
    days = month_days(year, month)
    sched = monthly_codes(seed, EMPS, days, CODES_EN, ["OFF", "PTO", None])
    wb = xlsxwriter.Workbook(os.path.join(OUT, name))
    ws = wb.add_worksheet(f"{dt.date(year, month, 1):%b %Y}")
    ftime = wb.add_format({"num_format": "hh:mm"})
    ws.write(0, 0, f"Store #{store} Schedule - {dt.date(year, month, 1):%B %Y}")
    ws.write(2, 0, "")
    for j, d in enumerate(days):
        ws.write(2, 1 + j, DAB_EN[d.weekday()])
        ws.write_number(3, 1 + j, d.day)
    ws.write(3, 0, "Employee")
    ws.write(3, 1 + len(days), "Hours")
    truth = []
    for i, (f, l, pos) in enumerate(EMPS):
        ws.write(4 + i, 0, f"{f} {l}")
        tot = 0
        for j, d in enumerate(days):
            code = sched[(i, d)]
            if code:
                ws.write(4 + i, 1 + j, code)
            if code in CODES_EN:
                s, e = CODES_EN[code]
                truth.append(shift(store, f"{f} {l}", d, s, e))
                tot += hours([(s, e)])
        ws.write_number(4 + i, 1 + len(days), tot)
    r = 5 + len(EMPS)
    ws.write(r, 0, "Total")
    r += 2
    ws.write_row(r, 0, ["Code", "Shift", "Start", "End"])
    for k, (code, (s, e)) in enumerate(CODES_EN.items()):
        ws.write(r + 1 + k, 0, code)
        ws.write(r + 1 + k, 1, ["Early", "Day", "Late", "Night"][k])
        ws.write_datetime(r + 1 + k, 2, hm(s), ftime)
        ws.write_datetime(r + 1 + k, 3, hm(e), ftime)
    wb.close()
    return truth


def monthly_numbered(name, store, year, month, seed):
    """Numbered codes (1, 2, 3 as number cells) with a `Code | Time` legend to the right, the
    weekday in each day cell of the header (`1 Tue`), title `Roster 04/2025`; xls (xlwt)."""
    days = month_days(year, month)
    codes = {1: ("06:30", "14:30"), 2: ("10:00", "18:30"), 3: ("14:00", "22:00")}
    rnd = random.Random(seed)
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Roster")
    ws.write(0, 0, f"Roster {month:02d}/{year} - Store {store}")
    ws.write(2, 0, "Name")
    for j, d in enumerate(days):
        ws.write(2, 1 + j, f"{d.day} {DAB_EN[d.weekday()]}")
    truth = []
    emps = EMPS[:4]
    for i, (f, l, pos) in enumerate(emps):
        ws.write(3 + i, 0, f"{f} {l}")
        for j, d in enumerate(days):
            r = rnd.random()
            if r < 0.3:
                continue
            if r < 0.4:
                ws.write(3 + i, 1 + j, "8-12 / 13-17")
                truth.append(shift(store, f"{f} {l}", d, "08:00", "12:00"))
                truth.append(shift(store, f"{f} {l}", d, "13:00", "17:00"))
                continue
            code = rnd.choice(list(codes))
            ws.write(3 + i, 1 + j, code)
            s, e = codes[code]
            truth.append(shift(store, f"{f} {l}", d, s, e))
    c = len(days) + 3
    ws.write(2, c, "Code")
    ws.write(2, c + 1, "Time")
    for k, (code, (s, e)) in enumerate(codes.items()):
        ws.write(3 + k, c, code)
        ws.write(3 + k, c + 1, f"{s}-{e}")
    wb.save(os.path.join(OUT, name))
    return truth


# ---------------------------------------------------------------- slots × days
def slots_german(name, store, monday, seed):
    """`Schicht` | `Mo 24.11.` …, rows `Früh 6-14`, `Spät 14-22`, `Nacht 22-6`, names one per
    line in the cells, `Woche vom 24.11.2025` above."""
    days = week(monday)
    slots = [("Früh", "06:00", "14:00"), ("Spät", "14:00", "22:00"), ("Nacht", "22:00", "06:00")]
    rnd = random.Random(seed)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Schichtplan"
    ws.append([f"Filiale {store} – Schichtplan"])
    ws.append([f"Woche vom {monday:%d.%m.%Y}"])
    ws.append(["Schicht"] + [f"{DAB_DE[d.weekday()]} {d:%d.%m.}" for d in days])
    truth = []
    for label, s, e in slots:
        row = [f"{label} {short(s)}-{short(e)}"]
        for d in days:
            people = rnd.sample(EMPS_DE, rnd.choice([0, 1, 2, 2]))
            row.append("\n".join(f"{f} {l}" for f, l, _ in people) or None)
            for f, l, _ in people:
                truth.append(shift(store, f"{f} {l}", d, s, e))
        ws.append(row)
        for c in ws[ws.max_row]:
            c.alignment = Alignment(wrap_text=True)
    wb.save(os.path.join(OUT, name))
    return truth


def slots_english(name, store, monday, seed):
    """`Shift` | `Monday 11/24/2025` …, rows `7:00 AM - 3:00 PM`, names separated by commas or
    slashes, an `OPEN` slot (a warning, not imported)."""
    days = week(monday)
    slots = [("06:00", "14:00"), ("14:00", "22:00"), ("22:00", "06:00")]
    rnd = random.Random(seed)
    wb = xlsxwriter.Workbook(os.path.join(OUT, name))
    ws = wb.add_worksheet("Coverage")
    ws.write(0, 0, f"Store #{store} coverage")
    ws.write(1, 0, "Shift")
    for j, d in enumerate(days):
        ws.write(1, 1 + j, f"{DAYS_EN[d.weekday()]} {d.month}/{d.day}/{d.year}")
    truth = []
    issues = []
    for i, (s, e) in enumerate(slots):
        ws.write(2 + i, 0, f"{ampm(s)} - {ampm(e)}")
        for j, d in enumerate(days):
            people = rnd.sample(EMPS, rnd.choice([1, 2, 2, 3]))
            sep = rnd.choice([", ", " / "])
            text = sep.join(f"{f} {l}" for f, l, _ in people)
            if i == 1 and j == 5:
                text = "OPEN"
                issues.append(dict(code="open_shift", cell=xl(2 + i, 1 + j)))
                people = []
            ws.write(2 + i, 1 + j, text)
            for f, l, _ in people:
                truth.append(shift(store, f"{f} {l}", d, s, e))
    wb.close()
    return truth, issues


# ---------------------------------------------------------------- codes with a legend
def codes_german_week(name, store, monday, seed):
    """A German week grid of codes F/S/N (F is Früh by the legend), the legend as text cells
    to the right of the grid; `Mo 24.11.` headers under `KW 48 – Woche vom 24.11.2025`."""
    days = week(monday)
    rnd = random.Random(seed)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Filiale {store}"
    ws.append([f"Dienstplan KW {monday.isocalendar()[1]} – Woche vom {monday:%d.%m.%Y}"])
    ws.append(["Name", "Funktion"] + [f"{DAB_DE[d.weekday()]} {d:%d.%m.}" for d in days] + [None, "F = 6:00 - 14:00 Uhr"])
    truth = []
    legend = ["S = 14:00 - 22:00 Uhr", "N = 22:00 - 6:00 Uhr", "U = Urlaub"]
    for i, (f, l, pos) in enumerate(EMPS_DE):
        row = [f"{f} {l}", pos]
        for d in days:
            code = rnd.choice(["F", "S", "N", "F", "U", "-"])
            row.append(code)
            if code in ("F", "S", "N"):
                s, e = CODES_DE[code]
                truth.append(shift(store, f"{f} {l}", d, s, e, pos))
        row += [None, legend[i] if i < len(legend) else None]
        ws.append(row)
    wb.save(os.path.join(OUT, name))
    return truth


def codes_english_week(name, store, monday, seed):
    """An English week grid of E/D/L/N codes, two codes for a double (`E/N`), the legend in one
    cell under the grid (`E = 7-15, D = 9-17, L = 13-21, N = 21-7`)."""
    days = week(monday)
    rnd = random.Random(seed)
    wb = xlsxwriter.Workbook(os.path.join(OUT, name))
    ws = wb.add_worksheet("Rota")
    ws.write(0, 0, f"Pharmacy #{store} rota, week of {monday:%m/%d/%Y}")
    ws.write_row(1, 0, ["Staff"] + DAB_EN)
    truth = []
    for i, (f, l, pos) in enumerate(EMPS):
        ws.write(2 + i, 0, f"{f} {l}")
        for j, d in enumerate(days):
            code = rnd.choice(["E", "D", "L", "N", "OFF", "E/N"])
            ws.write(2 + i, 1 + j, code)
            for c in code.split("/"):
                if c in CODES_EN:
                    s, e = CODES_EN[c]
                    truth.append(shift(store, f"{f} {l}", d, s, e))
    ws.write(3 + len(EMPS), 0, "Key: E = 7-15, D = 9-17, L = 13-21, N = 21-7")
    wb.close()
    return truth


# ---------------------------------------------------------------- multi-line cells, totals
def multiline(name, store, monday, seed):
    """Name over role in one cell, split shifts as two ranges on two lines, an `Hours` and a
    `Wages` column, `Total hours` and `Labor cost` rows."""
    days = week(monday)
    sched = random_week(seed, EMPS, days, split_share=0.3)
    wb = xlsxwriter.Workbook(os.path.join(OUT, name))
    ws = wb.add_worksheet("Week")
    wrap = wb.add_format({"text_wrap": True})
    ws.write(0, 0, f"Store {store} — week of {monday:%b} {monday.day}, {monday.year}")
    ws.write_row(2, 0, ["Employee"] + [f"{d:%a} {d:%m/%d}" for d in days] + ["Hours", "Wages"])
    truth = []
    for i, (f, l, pos) in enumerate(EMPS):
        ws.write(3 + i, 0, f"{f} {l}\n{pos}", wrap)
        tot = 0
        for j, d in enumerate(days):
            p = sched.get((i, d))
            if p:
                ws.write(3 + i, 1 + j, "\n".join(f"{ampm(s)} - {ampm(e)}" for s, e in p), wrap)
                tot += hours(p)
            for s, e in p or []:
                truth.append(shift(store, f"{f} {l}", d, s, e, pos))
        ws.write_number(3 + i, 8, tot)
        ws.write_number(3 + i, 9, round(tot * 21.5, 2))
    r = 3 + len(EMPS)
    ws.write_row(r, 0, ["Total hours"] + [8.5 * (j + 1) for j in range(7)])
    ws.write_row(r + 1, 0, ["Labor cost"] + [150.0 + j for j in range(7)])
    wb.close()
    return truth


# ---------------------------------------------------------------- the printed PDF week view
def pdf_week(name, store, monday, seed):
    """The week view printed from a scheduling product: name over role in the first cell,
    split shifts on two lines, a `Scheduled hours` totals row; reportlab with grid lines."""
    days = week(monday)
    sched = random_week(seed, EMPS, days, split_share=0.3)
    st = getSampleStyleSheet()["BodyText"]
    st.fontSize = 8
    st.leading = 10
    doc = SimpleDocTemplate(os.path.join(OUT, name), pagesize=landscape(letter))
    data = [["Employee"] + [f"{d:%a} {d.month}/{d.day}/{d.year}" for d in days]]
    truth = []
    for i, (f, l, pos) in enumerate(EMPS):
        row = [Paragraph(f"{f} {l}<br/>{pos}", st)]
        for d in days:
            p = sched.get((i, d))
            row.append(Paragraph("<br/>".join(f"{ampm(s)}-{ampm(e)}" for s, e in p), st) if p else "")
            for s, e in p or []:
                truth.append(shift(store, f"{f} {l}", d, s, e, pos))
        data.append(row)
    data.append(["Scheduled hours"] + [f"{sum(hours(sched.get((i, d)) or []) for i in range(len(EMPS))):.1f}" for d in days])
    t = Table(data, colWidths=[120] + [85] * 7)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("FONTSIZE", (0, 0), (-1, -1), 8)]))
    doc.build([Paragraph(f"Store #{store} - Pharmacy Week Schedule", st), t])
    return truth


def main():
    mon = dt.date(2025, 11, 24)

    def one(name, layout, notes, fn, *args):
        got = fn(name, *args)
        shifts, issues = got if isinstance(got, tuple) else (got, [])
        write_expected(name, layout, notes, shifts, issues)
        print(name)
        return shifts

    t = one("inout_office_xlsxwriter.xlsx", "grid", "In/Out/Hrs under merged formula dates, typed times, split 2nd row, Total Hours, TOTAL row",
            inout_xlsxwriter, 4410, mon, 1)
    with_copy("inout_office_libreoffice.ods", "grid", "In/Out/Hrs under merged formula dates", t, "ods", "inout_office_xlsxwriter.xlsx")
    with_copy("inout_office_libreoffice.xls", "grid", "In/Out/Hrs under merged formula dates", t, "xls", "inout_office_xlsxwriter.xlsx")
    one("inout_start_end_openpyxl.xlsx", "grid", "Start/End under merged `Mon 11/24` headers, text times, Last, First names",
        inout_openpyxl, 1042, dt.date(2025, 12, 1), 2)
    one("inout_von_bis_german.xlsx", "grid", "Von/Bis under typed dates (not merged), Summe column and row",
        inout_german, 12, dt.date(2025, 3, 3), 3)
    one("weeks_side_by_side.xlsx", "grid", "two weeks side by side, each with its Employee column",
        weeks_side_by_side, 2207, [dt.date(2025, 12, 1), dt.date(2025, 12, 8)], 4)
    one("weeks_stacked_dated.xlsx", "grid", "three weeks one below the other, dated headers, Total hours rows",
        weeks_stacked, 3315, [dt.date(2025, 12, 1), dt.date(2025, 12, 8), dt.date(2025, 12, 15)], 5)
    one("weeks_stacked_daynames.xlsx", "grid", "two weeks one below the other, day names under their own Week of cells",
        weeks_stacked, 3315, [dt.date(2026, 1, 5), dt.date(2026, 1, 12)], 6, True)
    one("monthly_german_codes.xlsx", "grid", "Dienstplan März 2025, 1.–31. over Mo Di, F/S/N/ND codes, legend text below",
        monthly_german, 12, 2025, 3, 7)
    one("monthly_english_codes.xlsx", "grid", "Schedule - March 2025, weekdays over numbers, E/D/L/N, Code|Start|End table",
        monthly_english, 1042, 2025, 3, 8)
    one("monthly_numbered.xls", "grid", "Roster 04/2025, `1 Tue` headers, numbered codes 1/2/3, Code|Time legend",
        monthly_numbered, 4410, 2025, 4, 9)
    one("slots_german.xlsx", "grid", "Früh/Spät/Nacht slots down, names one per line", slots_german, 12, mon, 10)
    one("slots_english.xlsx", "grid", "time slots down, names by comma or slash, an OPEN slot", slots_english, 1042, mon, 11)
    one("codes_german_week.xlsx", "grid", "F/S/N codes (F = Früh), legend text to the right", codes_german_week, 12, mon, 12)
    one("codes_english_week.xlsx", "grid", "E/D/L/N codes and E/N doubles, legend in one Key cell", codes_english_week, 2207, mon, 13)
    one("multiline_roles_totals.xlsx", "grid", "name + role lines, two ranges on two lines, Hours/Wages columns, totals rows",
        multiline, 4410, mon, 14)
    one("pdf_week_view.pdf", "grid", "printed week view: name over role, split shifts on two lines, Scheduled hours row",
        pdf_week, 4410, mon, 15)


if __name__ == "__main__":
    main()
