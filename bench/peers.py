#!/usr/bin/env python3
"""The Python peers of `bench/bench.py`, one process per run:

    peers.py pycal FILE URL        python-calamine read + psycopg COPY (rows layout)
    peers.py pandas FILE URL       pandas + openpyxl read + psycopg executemany (rows layout)
    peers.py pandas_grid FILE URL  pandas + openpyxl read + executemany (the weekly grid)
    peers.py pycsv FILE URL        csv module + psycopg COPY (rows CSV)
    peers.py pdfplumber FILE -     words of every page; prints the seconds (in-process)
    peers.py enqueue N URL         queue N one-shift CSV jobs in one transaction
    peers.py enqueue_each N URL    queue N one-shift jobs one at a time, 0.15 s apart, on one
                                   connection (latency probe)

Each import stores what pharmacy-ingest stores for the bench inputs (store, employee name,
date, start, end, position, notes, phone), so the checksums agree.
"""
import csv
import datetime as dt
import re
import sys
import time

import psycopg

COLS = "store_id, employee_name, employee_phone, schedule_date, shift_start, shift_end, position, notes"


def stores(conn):
    return dict(conn.execute("SELECT store_number, id FROM stores").fetchall())


def as_date(v):
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.datetime.strptime(str(v).strip(), "%m/%d/%Y").date()


def as_time(v):
    if isinstance(v, dt.datetime):
        return v.time()
    if isinstance(v, dt.time):
        return v
    if isinstance(v, dt.timedelta):
        return (dt.datetime.min + v).time()
    s = str(v).strip()
    for f in ("%I:%M %p", "%H:%M", "%H:%M:%S"):
        try:
            return dt.datetime.strptime(s, f).time()
        except ValueError:
            pass
    raise ValueError(f"not a time: {s!r}")


def text(v):
    if v is None:
        return None
    if isinstance(v, float) and v != v:  # NaN from pandas
        return None
    s = str(v).strip()
    return s or None


def rows_from(table):
    """Shift tuples from a rows sheet: the header row holds `Employee Name`."""
    it = iter(table)
    for row in it:
        if any(str(c).strip() == "Employee Name" for c in row):
            head = [str(c).strip() for c in row]
            break
    else:
        raise SystemExit("no header row")
    ix = {h: i for i, h in enumerate(head)}
    for row in it:
        if not row or row[ix["Employee Name"]] in (None, ""):
            continue
        yield (int(float(row[ix["Store #"]])), text(row[ix["Employee Name"]]), text(row[ix["Phone"]]),
               as_date(row[ix["Date"]]), as_time(row[ix["Start Time"]]), as_time(row[ix["End Time"]]),
               text(row[ix["Position"]]), text(row[ix.get("Notes", -1)]) if "Notes" in ix else None)


def copy_rows(url, shifts):
    with psycopg.connect(url) as conn:
        ids = stores(conn)
        with conn.cursor() as cur, cur.copy(f"COPY store_schedules ({COLS}) FROM STDIN") as cp:
            for s in shifts:
                cp.write_row((ids[s[0]],) + s[1:])


def insert_rows(url, shifts):
    with psycopg.connect(url) as conn:
        ids = stores(conn)
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO store_schedules ({COLS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                            [(ids[s[0]],) + tuple(s[1:]) for s in shifts])


def pycal(path, url):
    from python_calamine import CalamineWorkbook

    table = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    copy_rows(url, list(rows_from(table)))


def pandas_rows(path, url):
    import pandas as pd

    df = pd.read_excel(path, engine="openpyxl", header=None, dtype=object)
    insert_rows(url, list(rows_from(df.itertuples(index=False, name=None))))


def pycsv(path, url):
    with open(path, newline="", encoding="utf-8") as f:
        copy_rows(url, list(rows_from(csv.reader(f))))


CLOCK = re.compile(r"^(\d{1,2})(?::(\d\d))?([ap])$")


def clock(s):
    m = CLOCK.match(s.strip())
    h, mi, ap = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    return dt.time(h % 12 + (12 if ap == "p" else 0), mi)


def pandas_grid(path, url):
    """The bench grid: `Last, First` names, a Role column, `Mon 11/17` day headers under a
    `Week of` date, cells like `8a-4:30p`, `8a-12p, 1p-5p`, `OFF`, section rows."""
    import pandas as pd

    df = pd.read_excel(path, engine="openpyxl", header=None, dtype=object)
    rows = list(df.itertuples(index=False, name=None))
    store = int(re.search(r"#(\d+)", str(rows[0][0])).group(1))
    week = as_date(rows[1][1])
    head = [str(c) for c in rows[3]]
    days = [(i, week + dt.timedelta(days=k)) for k, i in enumerate(range(2, 9))]
    assert head[2].startswith("Mon")
    shifts = []
    for row in rows[4:]:
        name, role = text(row[0]), text(row[1])
        if not name or not role:
            continue  # a section row
        last, first = [p.strip() for p in name.split(",", 1)]
        for i, d in days:
            cell = text(row[i])
            if not cell or cell in ("OFF", "PTO"):
                continue
            for part in cell.split(","):
                a, b = part.split("-")
                shifts.append((store, f"{first} {last}", None, d, clock(a), clock(b), role, None))
    insert_rows(url, shifts)


def pdfplumber_words(path):
    import pdfplumber

    t0 = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        n = sum(len(p.extract_words()) for p in pdf.pages)
    assert n > 0
    print(f"{time.perf_counter() - t0:.6f}")


def one_shift_csv(i):
    d = dt.date(2026, 1, 5) + dt.timedelta(days=i % 700)
    return (f"Store #,Employee Name,Date,Start Time,End Time,Position\n"
            f"{5000 + i % 100},Employee {i},{d:%m/%d/%Y},9:00 AM,5:00 PM,Technician\n").encode()


def enqueue(n, url, prefix="job"):
    """Queue n jobs in one transaction; print the clock when it has committed (when the
    worker can first see them: the jobs' created_at is the transaction's start)."""
    with psycopg.connect(url) as conn:
        for i in range(n):
            conn.execute("SELECT enqueue_import(file_name => %s, file_bytes => %s)",
                         (f"{prefix}-{i}.csv", one_shift_csv(i)))
    print(time.time())


def enqueue_each(n, url, pause):
    """Queue n jobs one at a time on one long-lived connection (as an upstream service
    does), `pause` seconds apart, each committed on its own (the latency probe)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(n):
            conn.execute("SELECT enqueue_import(file_name => %s, file_bytes => %s)",
                         (f"latency-{i}.csv", one_shift_csv(100_000 + i)))
            time.sleep(pause)


def wait_done(url, name_like="%", pause=0.1, timeout=600):
    """Wait until no job named like `name_like` is left unfinished, polling on one connection:
    a `psql` process per poll (its start-up and its server backend's) took 7 % of the
    machine's CPU while the queue ran (perf), time the worker under test should have."""
    deadline = time.time() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.time() < deadline:
            left = conn.execute("SELECT count(*) FROM import_jobs WHERE file_name LIKE %s "
                                "AND state NOT IN ('succeeded', 'failed')",
                                (name_like,)).fetchone()[0]
            if left == 0:
                return
            time.sleep(pause)


def main():
    kind, arg, url = sys.argv[1], sys.argv[2], sys.argv[3]
    {
        "pycal": lambda: pycal(arg, url),
        "pandas": lambda: pandas_rows(arg, url),
        "pandas_grid": lambda: pandas_grid(arg, url),
        "pycsv": lambda: pycsv(arg, url),
        "pdfplumber": lambda: pdfplumber_words(arg),
        "enqueue": lambda: enqueue(int(arg), url),
        "enqueue_each": lambda: enqueue_each(int(arg), url, 0.15),
        "wait_done": lambda: wait_done(url, arg),
    }[kind]()


if __name__ == "__main__":
    main()
