#!/usr/bin/env python3
"""Check `preview --format json` against truth files.

Runs `pharmacy-ingest preview --format json FILE` on every file of a folder that has a
`FILE.truth.json` (the corpus) or a `NAME.expected.json` (the project's fixtures) beside it and
compares the shifts as multisets of
    (store_number, employee_name, date, start, end, position)
with names compared in either order (`Last, First` / `First Last`, case and spacing ignored).
Prints per-file missing/extra counts (and the differing shifts with --verbose) and a total.
Then one line per family (the truth's `family`, else the file name up to its first `_`):
files exact, shifts missing and extra. Exit 0 when every file matches exactly, 1 otherwise.

    scripts/check_corpus.py /work/shared/corpus [--bin target/debug/pharmacy-ingest] [-v]
"""

import argparse
import collections
import json
import os
import subprocess
import sys

FIELDS = ("store_number", "employee_name", "date", "start", "end", "position")


def name_key(name):
    """A name in a canonical order: `Last, First` and `First Last` compare equal."""
    if name is None:
        return None
    n = " ".join(str(name).split()).lower()
    if "," in n:
        last, _, first = n.partition(",")
        n = f"{first.strip()} {last.strip()}".strip()
    return " ".join(sorted(n.split()))


def shift_key(s):
    return (
        s.get("store_number"),
        name_key(s.get("employee_name")),
        s.get("date"),
        s.get("start"),
        s.get("end"),
        s.get("position"),
    )


def truth_for(folder, name):
    for cand in (name + ".truth.json", os.path.splitext(name)[0] + ".expected.json"):
        p = os.path.join(folder, cand)
        if os.path.exists(p):
            return p
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--bin", default=os.environ.get("PHARMACY_INGEST_BIN", "target/debug/pharmacy-ingest"))
    ap.add_argument("-v", "--verbose", action="store_true", help="print the differing shifts")
    ap.add_argument("--skip-ext", action="append", default=[], help="skip files with this extension (e.g. pdf)")
    args = ap.parse_args()

    files = sorted(
        f for f in os.listdir(args.folder)
        if not f.endswith(".json") and not f.startswith(".") and truth_for(args.folder, f)
        and os.path.splitext(f)[1].lstrip(".").lower() not in args.skip_ext
    )
    total_truth = total_missing = total_extra = 0
    failed_files = []
    families = collections.OrderedDict()  # family -> [files, exact, truth, missing, extra]
    print(f"{'file':40} {'template':22} {'truth':>5} {'got':>5} {'missing':>7} {'extra':>5} {'issues':>6}")
    for f in files:
        path = os.path.join(args.folder, f)
        with open(truth_for(args.folder, f)) as fh:
            truth = json.load(fh)
        fam = families.setdefault(truth.get("family") or f.split("_")[0], [0, 0, 0, 0, 0])
        want = collections.Counter(shift_key(s) for s in truth["shifts"])
        total_truth += sum(want.values())
        proc = subprocess.run([args.bin, "preview", "--format", "json", path], capture_output=True, text=True)
        try:
            got_doc = json.loads(proc.stdout)
        except json.JSONDecodeError:
            err = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
            print(f"{f:40} {'-':22} {sum(want.values()):5} {'-':>5} {sum(want.values()):7} {0:5} {'-':>6}  FAILED exit {proc.returncode}: {err[0]}")
            total_missing += sum(want.values())
            failed_files.append(f)
            fam[0] += 1
            fam[2] += sum(want.values())
            fam[3] += sum(want.values())
            continue
        got = collections.Counter(shift_key(s) for s in got_doc["shifts"])
        missing = want - got
        extra = got - want
        m, x = sum(missing.values()), sum(extra.values())
        total_missing += m
        total_extra += x
        ok = "ok" if m == 0 and x == 0 else "DIFF"
        fam[0] += 1
        fam[1] += ok == "ok"
        fam[2] += sum(want.values())
        fam[3] += m
        fam[4] += x
        if ok != "ok":
            failed_files.append(f)
        print(f"{f:40} {got_doc.get('template', '-'):22} {sum(want.values()):5} {sum(got.values()):5} {m:7} {x:5} {len(got_doc.get('issues', [])):6}  {ok}")
        if args.verbose:
            for k, n in sorted(missing.items(), key=str):
                print(f"    missing x{n}: {k}")
            for k, n in sorted(extra.items(), key=str):
                print(f"    extra   x{n}: {k}")
            for i in got_doc.get("issues", []):
                print(f"    issue: {i['severity']} {i.get('cell')}: {i['message']}")
    print(f"\n{'family':28} {'files':>5} {'exact':>5} {'truth':>6} {'missing':>7} {'extra':>5}")
    for name, (n, ok, t, m, x) in families.items():
        print(f"{name:28} {n:5} {ok:5} {t:6} {m:7} {x:5}  {'ok' if ok == n else 'DIFF'}")
    print(f"\nTOTAL {len(files)} files, {total_truth} truth shifts: {total_missing} missing, {total_extra} extra; "
          f"{len(files) - len(failed_files)}/{len(files)} files exact")
    return 0 if not failed_files else 1


if __name__ == "__main__":
    sys.exit(main())
