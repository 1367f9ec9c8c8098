#!/usr/bin/env python3
"""Generate the reader fixtures in fixtures/readers/ (tests/it/readers.rs checks them).

Real writers make the files: xlsxwriter (xlsx, with cached formula values, merges, hidden
sheets and rows, both date systems), LibreOffice headless (xls and ods converted from those
xlsx files), a hand-built minimal package (the sparse A1 + XFD1048576 sheet), reportlab (a PDF
renamed .xlsx), and Python codecs for the CSV encodings. xlsb cannot be written by any of these
(LibreOffice only imports it), so there is no xlsb fixture.

Usage: python3 scripts/make_reader_fixtures.py   (needs xlsxwriter, reportlab, soffice)
"""

import datetime as dt
import os
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib

import xlsxwriter
from reportlab.pdfgen import canvas

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "readers")


def path(name):
    return os.path.join(ROOT, name)


def workbook(name, date_1904=False):
    """The feature workbook: typed cells, formulas with cached values, merges, hidden parts."""
    wb = xlsxwriter.Workbook(path(name), {"date_1904": date_1904})
    date_f = wb.add_format({"num_format": "mm/dd/yyyy"})
    time_f = wb.add_format({"num_format": "h:mm AM/PM"})
    dt_f = wb.add_format({"num_format": "mm/dd/yyyy hh:mm"})
    ws = wb.add_worksheet("Week")
    # Row 1: a title merged across A1:E1.
    ws.merge_range("A1:E1", "Week of 11/24/2025", None)
    # Row 2: headers.
    for col, head in enumerate(["Employee", "Date", "Start", "End", "Hours", "Overnight end"]):
        ws.write_string(1, col, head)
    # Row 3: a day shift: date, time, time, formula with a cached value, datetime.
    ws.write_string(2, 0, "Doe, Jane")
    ws.write_datetime(2, 1, dt.datetime(2025, 11, 24), date_f)
    ws.write_datetime(2, 2, dt.time(9, 30), time_f)
    ws.write_datetime(2, 3, dt.time(17, 0), time_f)
    ws.write_formula(2, 4, "=(D3-C3)*24", None, 7.5)
    ws.write_datetime(2, 5, dt.datetime(2025, 11, 25, 6, 0), dt_f)
    # Row 4: hidden, with a string formula whose cached value is text.
    ws.write_string(3, 0, "Roe, Rick")
    ws.write_formula(3, 1, '=IF(1>2,"ON","OFF")', None, "OFF")
    ws.set_row(3, None, None, {"hidden": True})
    # Rows 5-7: a name merged down A5:A7 (a vertical merge, as grid layouts do).
    ws.merge_range("A5:A7", "Poe, Pat", None)
    ws.write_number(4, 1, 42)
    ws.write_boolean(5, 1, True)
    ws.write_formula(6, 1, "=1/0", None, "#DIV/0!")
    hidden = wb.add_worksheet("Old week")
    hidden.write_string(0, 0, "kept but hidden")
    hidden.hide()
    wb.close()


def sparse_xlsx(name):
    """A minimal package whose only cells are A1 and XFD1048576 (dimension A1:XFD1048576)."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sparse" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:XFD1048576"/><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>first</t></is></c></row>'
            '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
            "</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path(name), "w", zipfile.ZIP_DEFLATED) as z:
        for part, xml in parts.items():
            z.writestr(part, xml)


def convert(src, fmt, out_name):
    """Convert with LibreOffice headless (xls: "MS Excel 97", ods: calc8)."""
    with tempfile.TemporaryDirectory() as tmp:
        profile = "file://" + os.path.join(tmp, "profile")
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                fmt,
                "--outdir",
                tmp,
                path(src),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        produced = [f for f in os.listdir(tmp) if f != "profile"]
        shutil.move(os.path.join(tmp, produced[0]), path(out_name))


def hostile_xls(src, out_name):
    """The xls with its first sheet's DIMENSIONS record claiming all 65,536 x 256 cells (what
    calamine reserves up front): the reader must refuse it before calamine opens it."""
    with open(path(src), "rb") as f:
        data = bytearray(f.read())
    # DIMENSIONS: type 0x0200, length 14: rwMic u32, rwMac u32, colMic u16, colMac u16, u16.
    # The first one belongs to the globals-following first sheet (the globals have none).
    at = data.find(b"\x00\x02\x0e\x00")
    assert at > 0, "no DIMENSIONS record"
    data[at + 4 : at + 18] = struct.pack("<IIHHH", 0, 65536, 0, 256, 0)
    with open(path(out_name), "wb") as f:
        f.write(data)


def hostile_ods(src, out_name):
    """The ods with one row of values repeated a million times (expanded by calamine)."""
    with zipfile.ZipFile(path(src)) as z:
        parts = {i: z.read(i) for i in z.namelist()}
        infos = z.infolist()
    content = parts["content.xml"].decode("utf-8")
    row = '<table:table-row table:style-name="ro1">'
    assert row in content
    content = content.replace(row, '<table:table-row table:style-name="ro1" table:number-rows-repeated="1000000">', 1)
    parts["content.xml"] = content.encode("utf-8")
    with zipfile.ZipFile(path(out_name), "w") as z:
        for info in infos:
            method = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(info.filename, parts[info.filename], compress_type=method)


def png_bytes():
    """A 1x1 PNG."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


CSV_ROWS = [
    ["Store", "Employee", "Date", "Shift", "Notes"],
    ["0142", "Doe, Jane", "11/24/2025", "9a-5:30p", "opens; keys"],
    ["0142", "José Müller", "11/25/2025", "10p-6a", "line one\nline two"],
    ["0142", "Zoë | Ann", "11/26/2025", " OFF ", ""],
]


def csv_text(delim):
    def field(value):
        if any(c in value for c in (delim, '"', "\n", "\r")) or value != value.strip():
            return '"' + value.replace('"', '""') + '"'
        return value

    return "\r\n".join(delim.join(field(v) for v in row) for row in CSV_ROWS) + "\r\n"


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)

    workbook("workbook_1900.xlsx")
    workbook("workbook_1904.xlsx", date_1904=True)
    convert("workbook_1900.xlsx", "xls", "workbook_1900.xls")
    convert("workbook_1904.xlsx", "xls", "workbook_1904.xls")
    convert("workbook_1900.xlsx", "ods", "workbook_1900.ods")
    sparse_xlsx("sparse_a1_xfd1048576.xlsx")
    hostile_xls("workbook_1900.xls", "hostile_dimensions.xls")
    hostile_ods("workbook_1900.ods", "hostile_repeat.ods")

    # An xlsx that claims to be a CSV: read by its content.
    shutil.copy(path("workbook_1900.xlsx"), path("really_xlsx.csv"))
    # A truncated zip.
    with open(path("workbook_1900.xlsx"), "rb") as f:
        data = f.read()
    with open(path("corrupt_truncated.xlsx"), "wb") as f:
        f.write(data[: len(data) // 2])
    # An empty file.
    open(path("empty.xlsx"), "wb").close()
    # A PDF renamed .xlsx.
    c = canvas.Canvas(path("pdf_renamed.xlsx"))
    c.drawString(72, 720, "Employee  Mon 11/24  Tue 11/25")
    c.drawString(72, 700, "Doe, Jane  9a-5p  OFF")
    c.save()
    # A PNG renamed .xlsx.
    with open(path("picture.xlsx"), "wb") as f:
        f.write(png_bytes())

    # CSVs: each encoding and delimiter, all with a quoted newline.
    csvs = {
        "utf8_comma.csv": (",", "utf-8", b""),
        "utf8_bom_semicolon.csv": (";", "utf-8", b"\xef\xbb\xbf"),
        "utf16le_tab.csv": ("\t", "utf-16-le", b"\xff\xfe"),
        "utf16be_pipe.csv": ("|", "utf-16-be", b"\xfe\xff"),
        "cp1252_semicolon.csv": (";", "cp1252", b""),
    }
    for name, (delim, enc, bom) in csvs.items():
        text = csv_text(delim)
        with open(path(name), "wb") as f:
            f.write(bom + text.encode(enc))


if __name__ == "__main__":
    main()
