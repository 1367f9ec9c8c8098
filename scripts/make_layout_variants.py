#!/usr/bin/env python3
"""Layout variants: ~60 plausible schedule exports (rows, grids, CSV encodings, xls, ods, PDF),
each with the shifts it means, for trying the templates on layouts beyond the fixtures.

    pip install openpyxl xlsxwriter xlwt pandas reportlab odfpy
    python3 scripts/make_layout_variants.py [DIR]        # default /tmp/layout-variants
    python3 scripts/check_corpus.py DIR --bin target/debug/pharmacy-ingest

Each FILE gets FILE.truth.json ({"notes", "shifts": [{store_number, employee_name, date, start,
end, position}]}, the corpus's shape), so check_corpus.py compares them. Names are "First Last";
overnight shifts belong to the start date. Variants that are ambiguous by nature (header dates
with no year anywhere) are not written. Not used by the tests (which use fixtures/).
"""
import csv, datetime as dt, io, json, os, random, sys

import openpyxl
import xlsxwriter
import xlwt
import pandas as pd
from reportlab.lib.pagesizes import letter, landscape
from reportlab.platypus import SimpleDocTemplate, Table, Paragraph
from reportlab.lib.styles import getSampleStyleSheet

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/layout-variants"
MARKER = ".layout-variants"
os.makedirs(OUT, exist_ok=True)
if os.listdir(OUT) and not os.path.exists(os.path.join(OUT, MARKER)):
    sys.exit(f"{OUT} is not empty and was not written by this script: give an empty folder")
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))
open(os.path.join(OUT, MARKER), "w").close()

STORE = 1042
MON = dt.date(2025, 11, 24)
WEEK = [MON + dt.timedelta(d) for d in range(7)]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAB = [d[:3] for d in DAYS]

EMPS = [
    ("Maria", "Garcia", "Pharmacist"),
    ("José", "Müller", "Pharmacy Technician"),
    ("Zoë", "O'Brien", "Cashier"),
    ("Dmitri", "Ivanov", "CPhT"),
    ("Aisha", "Khan", "Intern"),
]

# shift patterns: list of (start, end) "HH:MM"
PATTERNS = [
    [("09:00", "17:30")],
    [("07:00", "15:30")],
    [("22:00", "06:00")],
    [("08:00", "12:00"), ("13:00", "17:00")],
    [("10:00", "19:00")],
    [("12:00", "21:00")],
    [("09:30", "18:00")],
    None, None,
]


def make_week(seed, days=WEEK, emps=EMPS, no_split=False, no_overnight=False):
    """{(emp_index, date): [(s,e),...] or None}"""
    rnd = random.Random(seed)
    sched = {}
    for i, _ in enumerate(emps):
        for d in days:
            while True:
                p = rnd.choice(PATTERNS)
                if no_split and p and len(p) > 1:
                    continue
                if no_overnight and p and p[0][0] == "22:00":
                    continue
                break
            sched[(i, d)] = p
    return sched


def expected_from(sched, emps=EMPS, store=STORE, with_pos=True):
    out = []
    for (i, d), p in sorted(sched.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if not p:
            continue
        f, l, pos = emps[i]
        for s, e in p:
            out.append(dict(store_number=store, employee_name=f"{f} {l}", date=d.isoformat(),
                            start=s, end=e, position=pos if with_pos else None))
    return out


# ---------- time formatting styles ----------
def hm(t):
    h, m = map(int, t.split(":"))
    return h, m


def fmt_ampm_short(t):  # 9a, 5:30p, 12p
    h, m = hm(t)
    suf = "a" if h < 12 else "p"
    h12 = h % 12 or 12
    return f"{h12}{suf}" if m == 0 else f"{h12}:{m:02d}{suf}"


def fmt_ampm_full(t):  # 9:00 AM
    h, m = hm(t)
    suf = "AM" if h < 12 else "PM"
    return f"{h % 12 or 12}:{m:02d} {suf}"


def fmt_ampm_caps(t):  # 9AM, 5:30PM
    h, m = hm(t)
    suf = "AM" if h < 12 else "PM"
    h12 = h % 12 or 12
    return f"{h12}{suf}" if m == 0 else f"{h12}:{m:02d}{suf}"


def fmt_colon_short(t):  # 9:00a, 5:30p
    h, m = hm(t)
    return f"{h % 12 or 12}:{m:02d}{'a' if h < 12 else 'p'}"


def fmt_24(t):
    return t


def fmt_mil(t):
    return t.replace(":", "")


def fmt_bare(t):  # 9, 5:30 (no meridiem)
    h, m = hm(t)
    h12 = h % 12 or 12
    return f"{h12}" if m == 0 else f"{h12}:{m:02d}"


def rng(p, f, sep="-", join=", "):
    return join.join(f"{f(s)}{sep}{f(e)}" for s, e in p)


def ttime(t):
    h, m = hm(t)
    return dt.time(h, m)


# ---------- writers ----------
def write_xlsx(path, rows, sheet="Sheet1", fmts=None):
    """rows: list of lists; values may be date/datetime/time -> typed cells."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(sheet)
    fd = wb.add_format({"num_format": "mm/dd/yyyy"})
    ft = wb.add_format({"num_format": "h:mm AM/PM"})
    fdt = wb.add_format({"num_format": "mm/dd/yyyy hh:mm"})
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, fdt)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), fd)
            elif isinstance(v, dt.time):
                ws.write_datetime(r, c, v, ft)
            else:
                ws.write(r, c, v)
    wb.close()


def write_openpyxl(path, rows, sheet="Sheet1", merges=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for m in merges:
        ws.merge_cells(m)
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, dt.datetime):
                c.number_format = "mm/dd/yyyy hh:mm"
            elif isinstance(c.value, dt.date):
                c.number_format = "mm/dd/yyyy"
            elif isinstance(c.value, dt.time):
                c.number_format = "h:mm AM/PM"
    wb.save(path)


def write_xls(path, rows, sheet="Sheet1"):
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    sd = xlwt.easyxf(num_format_str="MM/DD/YYYY")
    st = xlwt.easyxf(num_format_str="h:mm AM/PM")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                ws.write(r, c, dt.datetime.combine(v, dt.time()), sd)
            elif isinstance(v, dt.time):
                ws.write(r, c, v, st)
            else:
                ws.write(r, c, v)
    wb.save(path)


def write_ods(path, rows, sheet="Sheet1"):
    w_ = max(len(r) for r in rows)
    df = pd.DataFrame([list(r) + [None] * (w_ - len(r)) for r in rows])
    with pd.ExcelWriter(path, engine="odf") as w:
        df.to_excel(w, sheet_name=sheet, header=False, index=False)


def write_csv(path, rows, delimiter=",", encoding="utf-8-sig"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    with open(path, "wb") as f:
        f.write(buf.getvalue().encode(encoding))


def write_pdf(path, title_lines, rows):
    doc = SimpleDocTemplate(path, pagesize=landscape(letter))
    ss = getSampleStyleSheet()
    story = [Paragraph(t, ss["Title" if i == 0 else "Normal"]) for i, t in enumerate(title_lines)]
    story.append(Table([["" if v is None else str(v) for v in r] for r in rows]))
    doc.build(story)


VARIANTS = []


def variant(fn):
    VARIANTS.append(fn)
    return fn


def save(name, shifts, notes, ambiguous=False):
    if ambiguous:
        os.remove(os.path.join(OUT, name))
        return
    with open(os.path.join(OUT, name + ".truth.json"), "w") as f:
        json.dump(dict(notes=notes, shifts=shifts), f, indent=1, ensure_ascii=False)


def rows_records(sched, emps=EMPS):
    """one record per shift: (emp_i, date, s, e)"""
    out = []
    for (i, d), p in sorted(sched.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if p:
            for s, e in p:
                out.append((i, d, s, e))
    return out


# ======================= ROWS VARIANTS =======================
@variant
def r01():
    n = "rows_team_member.xlsx"
    s = make_week(1)
    rows = [["Store No.", "Team Member", "Work Date", "Time In", "Time Out", "Role"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{l}, {f}", d, ttime(a), ttime(b), p])
    write_xlsx(os.path.join(OUT, n), rows, "Schedule")
    save(n, expected_from(s), "Store No./Team Member/Work Date/Time In/Time Out/Role, typed cells")


@variant
def r02():
    n = "rows_associate_shift_text.xlsx"
    s = make_week(2)
    rows = [["Location #", "Associate", "Shift Date", "Shift", "Dept"]]
    for (i, d), p in sorted(s.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if p:
            f, l, pos = EMPS[i]
            rows.append([STORE, f"{f} {l}", f"{DAB[d.weekday()]} {d.month}/{d.day}/{d.year}",
                         rng(p, fmt_ampm_full, " - "), pos])
    write_openpyxl(os.path.join(OUT, n), rows, "Schedule")
    save(n, expected_from(s), "Location #/Associate/'Mon 11/24/2025'/Shift '9:00 AM - 5:30 PM' (split joined by ', ')/Dept")


@variant
def r03():
    n = "rows_hours_column.xlsx"
    s = make_week(3)
    rows = [["Pharmacy Weekly Schedule"], [], ["Store", "Employee Name", "Date", "Start Time", "End Time", "Hours", "Position"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        h1, m1 = hm(a); h2, m2 = hm(b)
        hrs = ((h2 * 60 + m2) - (h1 * 60 + m1)) % (24 * 60) / 60
        rows.append([STORE, f"{f} {l}", d.strftime("%B %d, %Y").replace(" 0", " "), fmt_ampm_full(a), fmt_ampm_full(b), hrs, p])
    write_openpyxl(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "'November 24, 2025' text dates, text times, plus a numeric 'Hours' (duration) column")


@variant
def r04():
    n = "rows_title_store.xlsx"
    s = make_week(4)
    rows = [["Store #1042 Schedule"], ["Week of 11/24/2025"], [], ["Employee", "Date", "Shift", "Role"]]
    for (i, d), p in sorted(s.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if p:
            f, l, pos = EMPS[i]
            rows.append([f"{f} {l}", d.isoformat(), rng(p, fmt_24), pos])
    write_openpyxl(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "store only in title 'Store #1042 Schedule'; ISO text dates; Shift '09:00-17:30'")


@variant
def r05():
    n = "store_1042_week48.xlsx"
    s = make_week(5)
    rows = [["Name", "Date", "Shift"]]
    for (i, d), p in sorted(s.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if p:
            f, l, pos = EMPS[i]
            rows.append([f"{f} {l}", d, rng(p, fmt_ampm_short, " to ")])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "store only in file name; Shift '9a to 5:30p'")


@variant
def r06():
    n = "rows_sheetname_store.xlsx"
    s = make_week(6)
    rows = [["Employee Name", "Date", "Start", "End"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([f"{f} {l}", d, ttime(a), ttime(b)])
    write_xlsx(os.path.join(OUT, n), rows, "Store 1042")
    save(n, expected_from(s, with_pos=False), "store only in sheet name 'Store 1042'")


@variant
def r07():
    n = "rows_semicolon.csv"
    s = make_week(7)
    rows = [["Store", "Employee", "Date", "Start", "End", "Position"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{l}, {f}", d.strftime("%m/%d/%Y"), fmt_24(a), fmt_24(b), p])
    write_csv(os.path.join(OUT, n), rows, ";", "utf-8")
    save(n, expected_from(s), "semicolon-delimited CSV, UTF-8 no BOM")


@variant
def r08():
    n = "rows_tab.csv"
    s = make_week(8)
    rows = [["Store #", "Employee Name", "Shift Date", "Start Time", "End Time", "Job Title"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", d.strftime("%m/%d/%Y"), fmt_ampm_full(a), fmt_ampm_full(b), p])
    write_csv(os.path.join(OUT, n), rows, "\t", "utf-8")
    save(n, expected_from(s), "tab-delimited .csv")


@variant
def r09():
    n = "rows_cp1252.csv"
    s = make_week(9)
    rows = [["Store", "Employee", "Date", "In", "Out", "Role"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", d.strftime("%m/%d/%Y"), fmt_ampm_short(a), fmt_ampm_short(b), p])
    write_csv(os.path.join(OUT, n), rows, ",", "cp1252")
    save(n, expected_from(s), "Windows-1252 CSV (José Müller, Zoë O'Brien)")


@variant
def r10():
    n = "rows_utf16.csv"
    s = make_week(10)
    rows = [["Store", "Employee Name", "Date", "Start Time", "End Time", "Position"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", d.strftime("%m/%d/%Y"), fmt_ampm_full(a), fmt_ampm_full(b), p])
    write_csv(os.path.join(OUT, n), rows, "\t", "utf-16")  # Excel 'Unicode Text': UTF-16LE BOM, tabs
    save(n, expected_from(s), "UTF-16LE with BOM, tab-delimited (Excel 'Unicode Text')")


@variant
def r11():
    n = "rows_last_first_split.xls"
    s = make_week(11)
    rows = [["Store No", "Last Name", "First Name", "Date", "Shift", "Job"]]
    for (i, d), p in sorted(s.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if p:
            f, l, pos = EMPS[i]
            rows.append([STORE, l, f, d, rng(p, fmt_ampm_short), pos])
    write_xls(os.path.join(OUT, n), rows, "Schedule")
    save(n, expected_from(s), "legacy .xls: Last/First columns, typed dates, Shift '8a-12p, 1p-5p'")


@variant
def r12():
    n = "rows_day_and_date.xlsx"
    s = make_week(12)
    rows = [["Store", "Employee", "Day", "Date", "Start", "End", "Role"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", DAYS[d.weekday()], d, ttime(a), ttime(b), p])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "a 'Day' (weekday name) column next to 'Date'")


@variant
def r13():
    n = "rows_start_end_date_time.xlsx"
    s = make_week(13)
    rows = [["Location", "Employee", "Start Date", "Start Time", "End Date", "End Time", "Job"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        ed = d + dt.timedelta(1) if b < a else d
        rows.append([STORE, f"{f} {l}", d, ttime(a), ed, ttime(b), p])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "Start Date/Start Time/End Date/End Time (overnight End Date next day)")


@variant
def r14():
    n = "rows_dd_mmm_yyyy.xlsx"
    s = make_week(14)
    rows = [["Store Number", "Staff Name", "Date", "Time In", "Time Out", "Position"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", d.strftime("%d-%b-%Y"), fmt_colon_short(a), fmt_colon_short(b), p])
    write_openpyxl(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "dates '24-Nov-2025' as text")


@variant
def r15():
    n = "rows_military.ods"
    s = make_week(15)
    rows = [["Store", "Employee", "Date", "Start", "End", "Role"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{l}, {f}", d.strftime("%m/%d/%Y"), fmt_mil(a), fmt_mil(b), p])
    write_ods(os.path.join(OUT, n), rows, "Schedule")
    save(n, expected_from(s), "ODS, times '0900'/'1730' as text")


@variant
def r16():
    n = "rows_daily_sections.xlsx"
    s = make_week(16, no_split=True)
    rows = [["Store #1042 - Weekly Schedule"], []]
    for d in WEEK:
        rows.append([d.strftime("%A, %B ") + str(d.day) + d.strftime(", %Y")])
        rows.append(["Employee", "Start", "End", "Role"])
        for i, (f, l, p) in enumerate(EMPS):
            pat = s[(i, d)]
            if pat:
                rows.append([f"{f} {l}", fmt_ampm_full(pat[0][0]), fmt_ampm_full(pat[0][1]), p])
        rows.append([])
    write_openpyxl(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "daily roster: date as a section row 'Monday, November 24, 2025', header repeated per day (no date column)")


@variant
def r17():
    n = "rows_wfm_location_text.csv"
    s = make_week(17)
    rows = [["Employee ID", "Employee Name", "Location", "Shift Date", "Shift Start Time", "Shift End Time", "Department"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([1000 + i, f"{l}, {f}", "Pharmacy #1042 - Springfield", d.isoformat(), fmt_ampm_full(a), fmt_ampm_full(b), p])
    write_csv(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "'Pharmacy #1042 - Springfield' location text, Shift Start Time/Shift End Time")


@variant
def r18():
    n = "rows_pdf.pdf"
    s = make_week(18)
    rows = [["Store", "Employee", "Date", "Start", "End", "Position"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", d.strftime("%m/%d/%Y"), fmt_ampm_full(a), fmt_ampm_full(b), p])
    write_pdf(os.path.join(OUT, n), ["Store #1042 Schedule"], rows)
    save(n, expected_from(s), "rows table printed to PDF by reportlab")


# ======================= GRID VARIANTS =======================
def grid_rows(sched, fmt, emps=EMPS, days=WEEK, name_fn=lambda f, l: f"{l}, {f}", with_pos=False, off="OFF"):
    out = []
    for i, (f, l, p) in enumerate(emps):
        row = [name_fn(f, l)] + ([p] if with_pos else [])
        for d in days:
            pat = sched[(i, d)]
            row.append(fmt(pat) if pat else off)
        out.append(row)
    return out


@variant
def g01():
    n = "grid_daynames_weekof.xlsx"
    s = make_week(21)
    rows = [["Store #1042 Pharmacy Schedule"], ["Week of 11/24/2025"], [],
            ["Employee"] + DAYS] + grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows, "Week")
    save(n, expected_from(s, with_pos=False), "Monday..Sunday headers, single text cell 'Week of 11/24/2025'")


@variant
def g02():
    n = "grid_week_starting.xlsx"
    s = make_week(22)
    rows = [["Store #1042"], ["Week Starting: November 24, 2025"], [],
            ["Name"] + DAB] + grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows, "Schedule")
    save(n, expected_from(s, with_pos=False), "'Week Starting: November 24, 2025' label + Mon..Sun")


@variant
def g03():
    n = "grid_typed_date_header.xlsx"
    s = make_week(23)
    rows = [["Store #1042 Schedule"], [], ["Employee"] + WEEK + ["Total Hrs"]]
    rows += [r + [40] for r in grid_rows(s, lambda p: rng(p, fmt_ampm_short))]
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "real Excel date cells as day headers")


@variant
def g04():
    n = "grid_mmdd_only.xlsx"
    s = make_week(24)
    rows = [["Store #1042"], [], ["Employee"] + [f"{d.month}/{d.day}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "'11/24' headers only, no year anywhere (year must be guessed; clock says 2026)", ambiguous=True)


@variant
def g05():
    n = "grid_two_row_header.xlsx"
    s = make_week(25)
    rows = [["Store #1042 Pharmacy"], [], ["Employee"] + DAB, [None] + [f"{d.month}/{d.day}/{d.year}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "two-row day header: 'Mon' above '11/24/2025'")


@variant
def g06():
    n = "grid_two_weeks.xlsx"
    days = [MON + dt.timedelta(k) for k in range(14)]
    s = make_week(26, days=days)
    rows = [["Store #1042 - Two Week Schedule"], [],
            ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in days]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short), days=days)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "14 day columns (two weeks)")


@variant
def g07():
    n = "grid_first_last_cols.xlsx"
    s = make_week(27)
    rows = [["Store #1042"], [], ["Last Name", "First Name", "Position"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    for i, (f, l, p) in enumerate(EMPS):
        rows.append([l, f, p] + [rng(s[(i, d)], fmt_ampm_short) if s[(i, d)] else "OFF" for d in WEEK])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "grid with Last Name / First Name columns + Position")


@variant
def g08():
    n = "grid_sections_totals.xlsx"
    s = make_week(28)
    hdr = ["Employee", "Position"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK] + ["Total Hours"]
    rows = [["Store #1042 - Pharmacy Schedule"], ["Week of:", MON], [], hdr, ["PHARMACISTS"]]
    g = grid_rows(s, lambda p: rng(p, fmt_ampm_short), with_pos=True)
    rows += [r + [38.5] for r in g[:2]] + [[], ["TECHNICIANS"]] + [r + [32] for r in g[2:4]] + [[], ["FRONT STORE"]] + [r + [20] for r in g[4:]]
    rows += [[], ["Total Hours", None] + [None] * 7 + [200]]
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "section rows, blank rows, Position column, Total Hours column + totals row")


@variant
def g09():
    n = "grid_off_words.xlsx"
    s = make_week(29)
    offs = ["OFF", "PTO", "Vacation", "Req Off", "-", "X", None, "Day Off", "Holiday", "Sick", "Request Off", "N/A", "LOA"]
    k = 0
    rows = [["Store #1042"], [], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    for i, (f, l, p) in enumerate(EMPS):
        row = [f"{f} {l}"]
        for d in WEEK:
            if s[(i, d)]:
                row.append(rng(s[(i, d)], fmt_ampm_short))
            else:
                row.append(offs[k % len(offs)]); k += 1
        rows.append(row)
    # ensure every off word appears at least once: extra employee, all off
    extra = ["Lee, Sam"] + offs[:7]
    rows.append(extra)
    extra2 = ["Park, Kim"] + offs[6:13]
    rows.append(extra2)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "no-shift words: OFF PTO Vacation 'Req Off' - X empty 'Day Off' Holiday Sick 'Request Off' N/A LOA")


@variant
def g10():
    n = "grid_time_formats.xlsx"
    cells = [("9-5", [("09:00", "17:00")]), ("9:30a-6p", [("09:30", "18:00")]), ("7a-3:30p", [("07:00", "15:30")]),
             ("10p-6a", [("22:00", "06:00")]), ("8-12, 1-5", [("08:00", "12:00"), ("13:00", "17:00")]),
             ("9AM-5PM", [("09:00", "17:00")]), ("0900-1730", [("09:00", "17:30")]),
             ("9:00a - 5:30p", [("09:00", "17:30")]), ("9am-5:30pm", [("09:00", "17:30")]), ("9 - 5:30", [("09:00", "17:30")]),
             ("7:00-15:30", [("07:00", "15:30")]), ("12p-9p", [("12:00", "21:00")]), ("11-7", [("11:00", "19:00")]),
             ("9a-1p / 2p-6p", [("09:00", "13:00"), ("14:00", "18:00")]), ("8:00 AM - 4:30 PM", [("08:00", "16:30")]),
             ("8-4:30", [("08:00", "16:30")]), ("noon-8p", [("12:00", "20:00")]), ("9a–5p", [("09:00", "17:00")]),
             ("10a-6:30p", [("10:00", "18:30")]), ("8a-12p\n1p-5p", [("08:00", "12:00"), ("13:00", "17:00")]),
             ("9 AM to 5 PM", [("09:00", "17:00")]), ("2-10", [("14:00", "22:00")]), ("6a-2:30p", [("06:00", "14:30")]),
             ("3p-11p", [("15:00", "23:00")]), ("11p-7a", [("23:00", "07:00")]), ("9:00-17:30", [("09:00", "17:30")]),
             ("8.30am-5pm", [("08:30", "17:00")]), ("07:30-16:00", [("07:30", "16:00")])]
    names = [("Ana", "Lopez", "Pharmacist"), ("Ben", "Wu", "Technician"), ("Cara", "Diaz", "Cashier"), ("Dev", "Shah", "Technician")]
    rows = [["Store #1042 Pharmacy"], [], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    exp = []
    k = 0
    for f, l, p in names:
        row = [f"{f} {l}"]
        for d in WEEK:
            txt, pat = cells[k % len(cells)]; k += 1
            row.append(txt)
            for a, b in pat:
                exp.append(dict(store_number=STORE, employee_name=f"{f} {l}", date=d.isoformat(), start=a, end=b, position=None))
        rows.append(row)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, exp, "shift text variety in grid cells; '2-10' read as 14:00-22:00 is the grammar's afternoon rule")


@variant
def g11():
    n = "grid_weekly.csv"
    s = make_week(31)
    rows = [["Store #1042 Schedule"], ["Week of 11/24/2025"], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_csv(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "grid as CSV")


@variant
def g12():
    n = "grid_weekly.ods"
    s = make_week(32)
    rows = [["Store #1042 Schedule"], [], ["Employee", "Role"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_full, " - "), with_pos=True)
    write_ods(os.path.join(OUT, n), rows, "Week")
    save(n, expected_from(s), "grid as ODS, cells '9:00 AM - 5:30 PM'")


@variant
def g13():
    n = "grid_reportlab.pdf"
    s = make_week(33)
    rows = [["Employee", "Role"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short), with_pos=True)
    write_pdf(os.path.join(OUT, n), ["Store #1042 - Pharmacy Schedule"], rows)
    save(n, expected_from(s), "grid printed to PDF by reportlab")


@variant
def g14():
    n = "grid_legacy.xls"
    s = make_week(34)
    rows = [["Store #1042"], ["Week of:", MON], ["Employee"] + DAB]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xls(os.path.join(OUT, n), rows, "Week")
    save(n, expected_from(s, with_pos=False), "grid in .xls, 'Week of:' + typed date cell, Mon..Sun")


@variant
def g15():
    n = "grid_sunday_start.xlsx"
    sun = MON - dt.timedelta(1)
    days = [sun + dt.timedelta(k) for k in range(7)]
    s = make_week(35, days=days)
    rows = [["Store #1042 Schedule"], [], ["Team Member"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in days]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short), days=days)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "week Sun 11/23..Sat 11/29, header 'Team Member'")


@variant
def g16():
    n = "grid_year_rollover.xlsx"
    mon = dt.date(2025, 12, 29)
    days = [mon + dt.timedelta(k) for k in range(7)]
    s = make_week(36, days=days)
    rows = [["Store #1042 Schedule"], [], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in days]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short), days=days)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "'Mon 12/29' .. 'Sun 1/4' with no year: must roll to 2026")


@variant
def g17():
    n = "grid_blank_name_header.xlsx"
    s = make_week(37)
    rows = [["Store #1042 Schedule"], [], [None] + [f"{DAB[d.weekday()]} {d.month}/{d.day}/{d.year}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "name column header left blank")


@variant
def g18():
    n = "grid_week_ending.xlsx"
    s = make_week(38)
    rows = [["Store #1042"], ["Week Ending 11/30/2025"], [], ["Employee"] + DAYS]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "day names + 'Week Ending 11/30/2025' (Sunday)")


@variant
def g19():
    n = "grid_in_out_subcols.xlsx"
    s = make_week(39, no_split=True)
    r1 = ["Employee"]
    r2 = [None]
    for d in WEEK:
        r1 += [f"{DAB[d.weekday()]} {d.month}/{d.day}", None]
        r2 += ["In", "Out"]
    rows = [["Store #1042 Schedule"], [], r1, r2]
    for i, (f, l, p) in enumerate(EMPS):
        row = [f"{f} {l}"]
        for d in WEEK:
            pat = s[(i, d)]
            row += [ttime(pat[0][0]), ttime(pat[0][1])] if pat else [None, None]
        rows.append(row)
    merges = []
    for k in range(7):
        c1 = openpyxl.utils.get_column_letter(2 + 2 * k); c2 = openpyxl.utils.get_column_letter(3 + 2 * k)
        merges.append(f"{c1}3:{c2}3")
    write_openpyxl(os.path.join(OUT, n), rows, "Week", merges)
    save(n, expected_from(s, with_pos=False), "each day merged over In/Out sub-columns, typed times")


@variant
def g20():
    n = "grid_two_line_cells.xlsx"
    s = make_week(40, no_split=True)
    rows = [["Store #1042 Schedule"], [], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    for i, (f, l, p) in enumerate(EMPS):
        row = [f"{f} {l}"]
        for d in WEEK:
            pat = s[(i, d)]
            row.append(f"{fmt_ampm_short(pat[0][0])}-{fmt_ampm_short(pat[0][1])}\n{p}" if pat else "OFF")
        rows.append(row)
    write_xlsx(os.path.join(OUT, n), rows)
    exp = expected_from(s, with_pos=False)
    save(n, exp, "cell holds time on line 1 and role on line 2 ('9a-5:30p\\nPharmacist')")


@variant
def g21():
    n = "grid_weekof_mon_dd.xlsx"
    s = make_week(41)
    rows = [["Store #1042 Schedule", None, None, "Week of", "Nov 24, 2025"], [],
            ["Associate"] + DAYS] + grid_rows(s, lambda p: rng(p, fmt_ampm_caps))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "'Week of' cell with 'Nov 24, 2025' to its right on the title row, header 'Associate', cells '9AM-5:30PM'")


@variant
def g22():
    n = "grid_storename_in_filename_store_2207.xlsx"
    s = make_week(42)
    rows = [["Pharmacy Schedule - Week of 11/24/2025"], [], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_bare) if all(7 <= hm(a)[0] <= 11 and 13 <= hm(b)[0] <= 18 for a, b in p) else rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, store=2207, with_pos=False), "store 2207 only in file name (not at start); bare '9-5:30' cells")


# ======================= MORE VARIANTS =======================
@variant
def g23():
    n = "grid_mmdd_with_weekof.xlsx"
    s = make_week(43)
    rows = [["Store #1042 Schedule"], ["Week of 11/24/2025"], [], ["Employee"] + [f"{d.month}/{d.day}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "'11/24' headers with a 'Week of 11/24/2025' cell giving the year")


@variant
def g24():
    n = "grid_date_range_title.xlsx"
    s = make_week(44)
    rows = [["Store #1042 Schedule 11/24/2025 - 11/30/2025"], [], ["Employee"] + DAYS]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "day names + date range in title '11/24/2025 - 11/30/2025'")


@variant
def g25():
    n = "grid_two_weeks_daynames.xlsx"
    days = [MON + dt.timedelta(k) for k in range(14)]
    s = make_week(45, days=days)
    rows = [["Store #1042 Schedule"], ["Week of 11/24/2025"], [], ["Employee"] + DAB + DAB]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short), days=days)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "14 columns of day names only (Mon..Sun Mon..Sun) + Week of: 2nd week is 12/1..12/7")


@variant
def g26():
    n = "grid_two_sheets.xlsx"
    wb = xlsxwriter.Workbook(os.path.join(OUT, n))
    exp = []
    for w in range(2):
        mon = MON + dt.timedelta(7 * w)
        days = [mon + dt.timedelta(k) for k in range(7)]
        s = make_week(46 + w, days=days)
        ws = wb.add_worksheet(f"Week {48 + w}")
        rows = [["Store #1042 Schedule"], [], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in days]]
        rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short), days=days)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
        exp += expected_from(s, with_pos=False)
    wb.close()
    save(n, exp, "one grid per sheet ('Week 48', 'Week 49')")


@variant
def g27():
    n = "grid_id_column.xlsx"
    s = make_week(48)
    rows = [["Store #1042 Schedule"], [], ["Emp #", "Employee", "Job"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    for k, r in enumerate(grid_rows(s, lambda p: rng(p, fmt_ampm_short), with_pos=True)):
        rows.append([20450 + k] + r)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "'Emp #' id column before 'Employee'")


@variant
def g28():
    n = "grid_header_newline.xlsx"
    s = make_week(49)
    rows = [["Store #1042 Schedule"], [], ["Employee"] + [f"{DAYS[d.weekday()]}\n{d.month}/{d.day}/{d.year}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "day header in one cell on two lines 'Monday\\n11/24/2025'")


@variant
def g29():
    n = "grid_mon_comma_mmm_dd.xlsx"
    s = make_week(50)
    rows = [["Store #1042 Schedule - 2025"], [], ["Employee"] + [f"{DAB[d.weekday()]}, {d.strftime('%b')} {d.day}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "headers 'Mon, Nov 24'")


@variant
def g30():
    n = "grid_sunday_weekof.xlsx"
    sun = MON - dt.timedelta(1)
    days = [sun + dt.timedelta(k) for k in range(7)]
    s = make_week(51, days=days)
    names = ["Sunday"] + DAYS[:6]
    rows = [["Store #1042"], ["Week of 11/23/2025"], [], ["Employee"] + names]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short), days=days)
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "Sunday..Saturday day names + 'Week of 11/23/2025' (a Sunday)")


@variant
def g31():
    n = "grid_2digit_year.xlsx"
    s = make_week(52)
    rows = [["Store #1042 Schedule"], [], ["Employee"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}/{d.year % 100}" for d in WEEK]]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "headers 'Mon 11/24/25'")


@variant
def g32():
    n = "grid_first_last_combined_header.xlsx"
    s = make_week(53)
    rows = [["Store #1042"], [], ["First Name", "Last Name"] + [f"{DAB[d.weekday()]} {d.month}/{d.day}" for d in WEEK]]
    for i, (f, l, p) in enumerate(EMPS):
        rows.append([f, l] + [rng(s[(i, d)], fmt_ampm_short) if s[(i, d)] else "OFF" for d in WEEK])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "grid with First Name then Last Name columns")


@variant
def r19():
    n = "rows_employee_number.xlsx"
    s = make_week(54)
    rows = [["Store", "Employee #", "Employee Name", "Date", "Start", "End", "Position"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, 20450 + i, f"{f} {l}", d, ttime(a), ttime(b), p])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "'Employee #' (id) column before 'Employee Name'")


@variant
def r20():
    n = "rows_totals_footer.csv"
    s = make_week(55)
    rows = [["Store", "Employee", "Date", "Start", "End", "Hours", "Position"]]
    tot = 0
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        h1, m1 = hm(a); h2, m2 = hm(b)
        hrs = ((h2 * 60 + m2) - (h1 * 60 + m1)) % 1440 / 60
        tot += hrs
        rows.append([STORE, f"{f} {l}", d.strftime("%m/%d/%Y"), fmt_ampm_full(a), fmt_ampm_full(b), hrs, p])
    rows += [[], ["", "Total", "", "", "", tot, ""], ["Printed 11/22/2025 3:15 PM"]]
    write_csv(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "CSV with Hours column, blank line and 'Total' / 'Printed' footer rows")


@variant
def r21():
    n = "rows_grouped_names.xlsx"
    s = make_week(56)
    rows = [["Store #1042 - Schedule by Employee"], [], ["Employee", "Date", "Start Time", "End Time", "Position"]]
    for i, (f, l, p) in enumerate(EMPS):
        first = True
        for d in WEEK:
            for a, b in (s[(i, d)] or []):
                rows.append([f"{l}, {f}" if first else None, d, ttime(a), ttime(b), p])
                first = False
        rows.append([])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "report grouped by employee: name only on the group's first row, blank below", ambiguous=False)


@variant
def r22():
    n = "rows_2digit_year_lower_ampm.csv"
    s = make_week(57)
    rows = [["Store", "Employee", "Date", "Start", "End"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", f"{d.month}/{d.day}/{d.year % 100}", fmt_ampm_full(a).lower(), fmt_ampm_full(b).lower()])
    write_csv(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "dates '11/24/25', times '9:00 am'")


@variant
def r23():
    n = "rows_hms_text.csv"
    s = make_week(58)
    rows = [["Store", "Employee", "Date", "Start", "End"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append([STORE, f"{f} {l}", d.strftime("%Y-%m-%d"), a + ":00", b + ":00"])
    write_csv(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "CSV (database/pandas export): times '09:00:00' with seconds")


@variant
def r24():
    n = "rows_start_end_datetime_text.csv"
    s = make_week(59)
    rows = [["Store", "Employee", "Start", "End", "Role"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        ed = d + dt.timedelta(1) if b < a else d
        rows.append([STORE, f"{f} {l}", f"{d.strftime('%m/%d/%Y')} {fmt_ampm_full(a)}", f"{ed.strftime('%m/%d/%Y')} {fmt_ampm_full(b)}", p])
    write_csv(os.path.join(OUT, n), rows)
    save(n, expected_from(s), "'Start'/'End' hold full date-times '11/24/2025 10:00 PM' (no date column, no 'Shift Start' header)")


@variant
def r25():
    n = "rows_store_text.xlsx"
    s = make_week(60)
    rows = [["Store", "Employee", "Date", "Start", "End"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        rows.append(["1042 - Springfield", f"{f} {l}", d, ttime(a), ttime(b)])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "Store cell '1042 - Springfield' (number - name)")


@variant
def r26():
    n = "rows_excel_datetime_start_end.xlsx"
    s = make_week(61)
    rows = [["Store", "Employee", "Date", "Start", "End"]]
    for i, d, a, b in rows_records(s):
        f, l, p = EMPS[i]
        ed = d + dt.timedelta(1) if b < a else d
        rows.append([STORE, f"{f} {l}", d, dt.datetime.combine(d, ttime(a)), dt.datetime.combine(ed, ttime(b))])
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "Date column + Start/End as Excel date-time cells (overnight End next day)")


@variant
def g33():
    n = "grid_weekof_in_header_cell.xlsx"
    s = make_week(62)
    rows = [["Store #1042 Pharmacy Schedule"], [], ["Week of 11/24/2025"] + DAYS]
    rows += grid_rows(s, lambda p: rng(p, fmt_ampm_short))
    write_xlsx(os.path.join(OUT, n), rows)
    save(n, expected_from(s, with_pos=False), "'Week of 11/24/2025' written in the name column's header cell, Monday..Sunday across")


def main():
    for v in VARIANTS:
        v()
    print(f"wrote {len(VARIANTS)} variants (less the ambiguous ones) to {OUT}")


if __name__ == "__main__":
    main()
