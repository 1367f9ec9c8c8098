#!/usr/bin/env python3
"""Generate the PDF fixtures in fixtures/pdf/ with their expected shifts.

Producers: reportlab (rows layout over several pages with a repeated header; grid layout;
a rotated page), LibreOffice (an openpyxl workbook printed with `soffice --headless
--convert-to pdf`; grid layout over two pages without a repeated header) and WeasyPrint
(an HTML table with ruled cells whose header repeats on every page). Plus the error cases:
a scan (image only), encrypted with an empty user password (opens), encrypted with the user
password `secret`, and a truncated file.

Each schedule NAME.pdf has NAME.expected.json: {"shifts": [{store_number, employee_name,
date, start, end, position}]} (names First Last, dates YYYY-MM-DD, times HH:MM).
Requires: reportlab, openpyxl, weasyprint, Pillow, and soffice on PATH.
Run from the repository root: python3 scripts/make_pdf_fixtures.py
"""
import datetime as dt
import io
import json
import os
import random
import shutil
import subprocess
import tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "pdf")
WEEK = dt.date(2025, 11, 24)
DAYS = [WEEK + dt.timedelta(days=i) for i in range(7)]
FIRST = ["Ava", "Liam", "Noah", "Mia", "Omar", "Priya", "Chloe", "Mateo", "Zoë", "Hannah", "Kwame", "José"]
LAST = ["Nguyen", "Sharma", "Okafor", "Rossi", "Müller", "Kim", "Garcia", "Haddad", "Ivanov", "Lee"]
ROLES = ["Pharmacist", "CPhT", "Cashier", "Intern"]
# cell text -> list of (start, end)
CELLS = {
    "9a-5:30p": [("09:00", "17:30")],
    "8a-4p": [("08:00", "16:00")],
    "12p-9p": [("12:00", "21:00")],
    "10p-6a": [("22:00", "06:00")],
    "7:30a-3:30p": [("07:30", "15:30")],
    "8a-12p, 1p-5p": [("08:00", "12:00"), ("13:00", "17:00")],
    "OFF": [],
    "PTO": [],
}


def people(n, seed):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + seed) % len(LAST)]
        role = "Pharmacist" if i < max(1, n // 5) else rnd.choice(ROLES[1:])
        days = [rnd.choice(list(CELLS)) for _ in DAYS]
        out.append({"first": first, "last": f"{last}{'' if i < len(FIRST) else i}", "role": role, "days": days})
    return out


def grid_truth(store, staff):
    shifts = []
    for p in staff:
        for day, cell in zip(DAYS, p["days"]):
            for start, end in CELLS[cell]:
                shifts.append({"store_number": store, "employee_name": f"{p['first']} {p['last']}",
                               "date": day.isoformat(), "start": start, "end": end, "position": p["role"]})
    return shifts


def hours(cell):
    total = 0.0
    for s, e in CELLS[cell]:
        a = int(s[:2]) * 60 + int(s[3:])
        b = int(e[:2]) * 60 + int(e[3:])
        total += ((b - a) % (24 * 60)) / 60
    return total


def fmt_total(staff_member):
    t = sum(hours(c) for c in staff_member["days"])
    return f"{t:g}"


def header():
    return ["Employee", "Role"] + [d.strftime("%a ") + f"{d.month}/{d.day}" for d in DAYS] + ["Total Hrs"]


def grid_rows(staff):
    """Rows of the grid layout: ('section', text) / ('person', cells) / ('total', text)."""
    rows = [("section", "PHARMACISTS")]
    rows += [("person", p) for p in staff if p["role"] == "Pharmacist"]
    rows.append(("section", "TECHNICIANS & STAFF"))
    rows += [("person", p) for p in staff if p["role"] != "Pharmacist"]
    rows.append(("total", "Total hours"))
    return rows


def person_cells(p):
    return [f"{p['last']}, {p['first']}", p["role"]] + p["days"] + [fmt_total(p)]


def write_expected(name, shifts):
    with open(os.path.join(OUT, name + ".expected.json"), "w", encoding="utf-8") as f:
        json.dump({"shifts": shifts}, f, indent=1, ensure_ascii=False)
        f.write("\n")


# --- reportlab -------------------------------------------------------------------------------
def reportlab_grid(name, store, staff, rotate=False):
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.pdfgen import canvas

    path = os.path.join(OUT, name + ".pdf")
    c = canvas.Canvas(path, pagesize=landscape(letter), invariant=1)
    if rotate:
        # A portrait page turned by /Rotate 90: the text is drawn sideways on the page.
        c.setPageSize(letter)
        c.setPageRotation(90)
        c.translate(612, 0)
        c.rotate(90)
    w, h = landscape(letter)
    xs = [36, 150, 230, 300, 370, 440, 510, 580, 650, 720]
    y = h - 50
    c.setFont("Helvetica-Bold", 14)
    c.drawString(36, y, f"Store #{store} - Pharmacy Schedule")
    y -= 20
    c.setFont("Helvetica", 10)
    c.drawString(36, y, "Week of:")
    c.drawString(150, y, WEEK.strftime("%m/%d/%Y"))
    y -= 26
    c.setFont("Helvetica-Bold", 9)
    for x, t in zip(xs, header()):
        c.drawString(x, y, t)
    c.setLineWidth(0.5)
    c.line(36, y - 4, w - 36, y - 4)
    y -= 16
    for kind, item in grid_rows(staff):
        if kind == "person":
            c.setFont("Helvetica", 9)
            for x, t in zip(xs, person_cells(item)):
                if t == fmt_total(item) and x == xs[-1]:
                    c.drawRightString(x + 40, y, t)
                else:
                    c.drawString(x, y, t)
        else:
            c.setFont("Helvetica-Bold", 9)
            c.drawString(36, y, item)
        y -= 14
    c.showPage()
    c.save()
    write_expected(name, grid_truth(store, staff))


def reportlab_rows(name, store, staff):
    """Rows layout: one shift per line, 12-hour times, header repeated on each page."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    path = os.path.join(OUT, name + ".pdf")
    c = canvas.Canvas(path, pagesize=letter, invariant=1)
    shifts = grid_truth(store, staff)
    cols = [40, 100, 250, 330, 400, 470]
    heads = ["Store", "Employee", "Date", "Start", "End", "Position"]

    def twelve(t):
        h, m = int(t[:2]), int(t[3:])
        return f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"

    def page_top():
        c.setFont("Times-Bold", 13)
        c.drawString(40, 750, "Shift list - exported by StaffPlanner")
        c.setFont("Times-Bold", 10)
        for x, t in zip(cols, heads):
            c.drawString(x, 720, t)
        return 704

    y = page_top()
    page = 1
    for s in shifts:
        if y < 60:
            c.setFont("Times-Roman", 8)
            c.drawString(280, 30, f"Page {page}")
            c.showPage()
            page += 1
            y = page_top()
        c.setFont("Times-Roman", 10)
        d = dt.date.fromisoformat(s["date"])
        cells = [str(store), s["employee_name"], f"{d.month}/{d.day}/{d.year}", twelve(s["start"]),
                 twelve(s["end"]), s["position"]]
        for x, t in zip(cols, cells):
            c.drawString(x, y, t)
        y -= 13
    c.setFont("Times-Roman", 8)
    c.drawString(280, 30, f"Page {page}")
    c.showPage()
    c.save()
    write_expected(name, shifts)


def reportlab_scan(name):
    """An image of a schedule and no text: what a scanner produces."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("L", (850, 1100), 255)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(["Store #4471 - Pharmacy Schedule", "Employee  Mon  Tue", "Lee, Ava  9a-5p  OFF"]):
        d.text((60, 60 + 30 * i), line, fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    c = canvas.Canvas(os.path.join(OUT, name + ".pdf"), pagesize=letter, invariant=1)
    c.drawImage(ImageReader(buf), 0, 0, width=612, height=792)
    c.showPage()
    c.save()


def reportlab_encrypted(name, user_password, store, staff):
    from reportlab.lib import pdfencrypt
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    enc = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner-secret", strength=128)
    c = canvas.Canvas(os.path.join(OUT, name + ".pdf"), pagesize=letter, encrypt=enc, invariant=1)
    c.setFont("Helvetica-Bold", 12)
    c.drawString(40, 740, f"Store #{store} - Pharmacy Schedule")
    c.setFont("Helvetica", 10)
    c.drawString(40, 720, "Week of:")
    c.drawString(130, 720, WEEK.strftime("%m/%d/%Y"))
    xs = [40, 130, 190, 250, 310, 370, 430, 490, 550]
    c.setFont("Helvetica-Bold", 8)
    for x, t in zip(xs, header()[:1] + header()[2:]):
        c.drawString(x, 690, t)
    c.setFont("Helvetica", 8)
    y = 676
    for p in staff:
        cells = person_cells(p)
        for x, t in zip(xs, cells[:1] + cells[2:]):
            c.drawString(x, y, t)
        y -= 12
    c.showPage()
    c.save()


# --- LibreOffice -------------------------------------------------------------------------------
def libreoffice_grid(name, store, staff):
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Week"
    ws.append([f"Store #{store} - Pharmacy Schedule"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["Week of:", WEEK.strftime("%m/%d/%Y")])
    ws.append([])
    ws.append(header())
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for kind, item in grid_rows(staff):
        if kind == "person":
            cells = person_cells(item)
            ws.append(cells[:-1] + [float(cells[-1])])
        else:
            ws.append([item])
            ws.cell(ws.max_row, 1).font = Font(bold=True)
    for col, width in zip("ABCDEFGHIJ", [18, 11, 13, 13, 13, 13, 13, 13, 13, 9]):
        ws.column_dimensions[col].width = width
    ws.page_setup.orientation = "landscape"
    # Fit the week across one page width, as stores print it; rows run on over pages.
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = os.path.join(tmp, name + ".xlsx")
        wb.save(xlsx)
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, xlsx],
                       check=True, capture_output=True, timeout=180)
        shutil.copy(os.path.join(tmp, name + ".pdf"), os.path.join(OUT, name + ".pdf"))
    write_expected(name, grid_truth(store, staff))


# --- WeasyPrint ---------------------------------------------------------------------------------
def weasyprint_grid(name, store, staff):
    from html import escape

    from weasyprint import HTML

    rows = []
    for kind, item in grid_rows(staff):
        if kind == "person":
            rows.append("<tr>" + "".join(f"<td>{escape(t)}</td>" for t in person_cells(item)) + "</tr>")
        else:
            rows.append(f"<tr><td class='sec'>{escape(item)}</td>" + "<td></td>" * 9 + "</tr>")
    html = f"""<html><head><style>
      @page {{ size: letter landscape; margin: 0.5in; }}
      body {{ font-family: 'DejaVu Sans', sans-serif; font-size: 8pt; }}
      table {{ border-collapse: collapse; }}
      td, th {{ border: 0.5pt solid #444; padding: 2pt 4pt; text-align: left; white-space: nowrap; }}
      th {{ background: #ddd; }}
      .sec {{ font-weight: bold; }}
    </style></head><body>
    <h2>Store #{store} - Pharmacy Schedule</h2>
    <p>Week of: {WEEK.strftime('%m/%d/%Y')}</p>
    <table><thead><tr>{''.join(f'<th>{escape(h)}</th>' for h in header())}</tr></thead>
    <tbody>{''.join(rows)}</tbody></table></body></html>"""
    HTML(string=html).write_pdf(os.path.join(OUT, name + ".pdf"))
    write_expected(name, grid_truth(store, staff))


def truncate(src, name):
    data = open(os.path.join(OUT, src + ".pdf"), "rb").read()
    with open(os.path.join(OUT, name + ".pdf"), "wb") as f:
        f.write(data[: len(data) // 2])


def pdfplumber_words():
    """NAME.pdfplumber.json: pdfplumber's default extract_words() per page (text, x0, top),
    the reference the reader's words are tested against."""
    import pdfplumber

    for f in sorted(os.listdir(OUT)):
        if not f.endswith(".pdf") or f.startswith(("scan", "truncated", "encrypted_password")):
            continue
        with pdfplumber.open(os.path.join(OUT, f)) as pdf:
            pages = [{"page": i, "words": [{"text": w["text"], "x0": round(w["x0"], 3), "top": round(w["top"], 3)}
                                           for w in page.extract_words()]}
                     for i, page in enumerate(pdf.pages, start=1)]
        with open(os.path.join(OUT, f[:-4] + ".pdfplumber.json"), "w", encoding="utf-8") as out:
            json.dump(pages, out, ensure_ascii=False)
            out.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    reportlab_grid("grid_reportlab", 4471, people(9, 1))
    reportlab_grid("grid_reportlab_rotated", 4471, people(6, 2), rotate=True)
    reportlab_rows("rows_reportlab_multipage", 5120, people(14, 3))
    libreoffice_grid("grid_libreoffice", 3308, people(10, 4))
    libreoffice_grid("grid_libreoffice_multipage", 3309, people(60, 5))
    weasyprint_grid("grid_weasyprint_multipage", 2215, people(45, 6))
    reportlab_scan("scan_image_only")
    reportlab_encrypted("encrypted_empty_user_password", "", 4471, people(5, 7))
    reportlab_encrypted("encrypted_password_secret", "secret", 4471, people(5, 8))
    truncate("grid_reportlab", "truncated")
    pdfplumber_words()


if __name__ == "__main__":
    main()
