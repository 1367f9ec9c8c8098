#!/usr/bin/env bash
# Text extraction speed: our reader vs pdfplumber on the same 50-page schedule PDF.
#
# Makes bench/out/schedule_50p.pdf (reportlab: a rows-layout schedule, 50 pages of ~55 shift
# lines each), then times, side by side, 7 runs each:
#   ours:       extract_words() in-process (examples/pdf_words --time; PROFILE=release by
#               default, PROFILE=debug uses the dev build: dependencies at opt-level 2)
#   pdfplumber: [page.extract_words() for page in pdf.pages], in-process
# and prints the medians and the ratio. Process start-up is excluded on both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
mkdir -p bench/out
python3 - <<'PY'
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
import datetime as dt, random
rnd = random.Random(50)
c = canvas.Canvas("bench/out/schedule_50p.pdf", pagesize=letter, invariant=1)
names = ["Nguyen, Ava", "Sharma, Liam", "Okafor, Noah", "Rossi, Mia", "Müller, Omar", "Kim, Priya"]
times = [("9:00 AM", "5:30 PM"), ("8:00 AM", "4:00 PM"), ("10:00 PM", "6:00 AM"), ("12:00 PM", "9:00 PM")]
for page in range(50):
    c.setFont("Helvetica-Bold", 12)
    c.drawString(40, 750, "Store #4471 - shift list, week of 11/24/2025")
    c.setFont("Helvetica-Bold", 9)
    for x, t in zip([40, 90, 220, 300, 370, 440], ["Store", "Employee", "Date", "Start", "End", "Position"]):
        c.drawString(x, 725, t)
    c.setFont("Helvetica", 9)
    y = 710
    while y > 50:
        s, e = rnd.choice(times)
        d = dt.date(2025, 11, 24) + dt.timedelta(days=rnd.randrange(7))
        cells = ["4471", rnd.choice(names), d.strftime("%m/%d/%Y"), s, e, rnd.choice(["CPhT", "Pharmacist", "Cashier"])]
        for x, t in zip([40, 90, 220, 300, 370, 440], cells):
            c.drawString(x, y, t)
        y -= 12
    c.drawString(280, 30, f"Page {page + 1} of 50")
    c.showPage()
c.save()
PY
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then cargo build -q --release --example pdf_words; else cargo build -q --example pdf_words; fi
BIN=target/$PROFILE/examples/pdf_words
ours=$("$BIN" --time "$RUNS" bench/out/schedule_50p.pdf | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['median_ms'])")
theirs=$(python3 - "$RUNS" <<'PY'
import statistics, sys, time
import pdfplumber
runs = int(sys.argv[1])
ts = []
for _ in range(runs):
    t = time.perf_counter()
    with pdfplumber.open("bench/out/schedule_50p.pdf") as pdf:
        n = sum(len(p.extract_words()) for p in pdf.pages)
    ts.append((time.perf_counter() - t) * 1000)
print(statistics.median(ts))
PY
)
words=$("$BIN" bench/out/schedule_50p.pdf | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(sum(len(p['words']) for p in d['pages']))")
printf "%-28s %12s\n" "extractor (50 pages, $words words)" "median ms"
printf "%-28s %12.1f\n" "pharmacy-ingest (lopdf)" "$ours"
printf "%-28s %12.1f\n" "pdfplumber $(python3 -c 'import pdfplumber;print(pdfplumber.__version__)')" "$theirs"
python3 -c "print(f'ratio: {float($theirs)/float($ours):.1f}x faster')"
