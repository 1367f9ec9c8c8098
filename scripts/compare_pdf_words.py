#!/usr/bin/env python3
"""Compare our PDF words with pdfplumber's default extract_words().

A pdfplumber word counts as matched when our reader produced a word on the same page with
the same text and x0/top within 1 pt (each of our words matches at most one). Pages where
pdfplumber finds no characters are not text pages and are skipped. Prints % matched per file
and overall, and the share of our words that pdfplumber does not have (extras).

Usage: scripts/compare_pdf_words.py [--bin PATH] DIR_OR_PDF... [--password FILE=PW]
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

import pdfplumber


def ours(binary, path, password):
    cmd = [binary] + (["--password", password] if password else []) + [path]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    if out.returncode != 0:
        return None, f"exit {out.returncode}: {out.stderr.strip()[-200:]}"
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if "error" in data:
        return None, data["error"]
    return {p["page"]: p["words"] for p in data["pages"]}, None


def theirs(path, password):
    pages = {}
    with pdfplumber.open(path, password=password or None) as pdf:
        for i, page in enumerate(pdf.pages, start=1):
            if not page.chars:
                continue
            pages[i] = page.extract_words()
    return pages


def match(ref, got):
    buckets = defaultdict(list)
    for w in got:
        buckets[w["text"]].append(w)
    used = set()
    n = 0
    for w in ref:
        for cand in buckets.get(w["text"], ()):
            if id(cand) in used:
                continue
            if abs(cand["x0"] - w["x0"]) <= 1 and abs(cand["top"] - w["top"]) <= 1:
                used.add(id(cand))
                n += 1
                break
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--bin", default="target/debug/examples/pdf_words")
    ap.add_argument("--password", action="append", default=[], help="FILE=PASSWORD")
    args = ap.parse_args()
    passwords = dict(p.split("=", 1) for p in args.password)
    files = []
    for p in args.paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.lower().endswith(".pdf"))
        else:
            files.append(p)
    total_ref = total_got = total_match = 0
    print(f"{'file':50} {'pages':>5} {'ref':>7} {'ours':>7} {'matched':>8}")
    for f in files:
        name = os.path.basename(f)
        pw = passwords.get(name)
        try:
            ref = theirs(f, pw)
        except Exception as e:  # pdfplumber cannot read it: nothing to compare
            print(f"{name:50} pdfplumber error: {type(e).__name__}")
            continue
        if not ref:
            print(f"{name:50} no text pages")
            continue
        got, err = ours(args.bin, f, pw)
        nref = sum(len(v) for v in ref.values())
        if err:
            print(f"{name:50} {len(ref):5} {nref:7} ours error: {err}")
            total_ref += nref
            continue
        m = sum(match(ref[p], got.get(p, [])) for p in ref)
        ngot = sum(len(got.get(p, [])) for p in ref)
        total_ref += nref
        total_got += ngot
        total_match += m
        pct = 100.0 * m / nref if nref else 100.0
        print(f"{name:50} {len(ref):5} {nref:7} {ngot:7} {pct:7.2f}%")
    if total_ref:
        print(f"OVERALL matched {total_match}/{total_ref} = {100.0 * total_match / total_ref:.2f}% "
              f"of pdfplumber's words; extras {total_got - total_match} of our {total_got}")


if __name__ == "__main__":
    sys.exit(main())
