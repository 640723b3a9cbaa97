#!/usr/bin/env python3
"""The most usable questions any selector could have put in each lecture's
exam, from every question ever labelled (all runs, all versions).

    ceiling.py [--key labels/strict-key.json] [--mcq 12 --tfq 8] LABELS.jsonl ...

A question counts once (its lecture, stem, key and set of options), with the
stricter verdict of its labellers. Per lecture: the distinct multiple-choice
questions labelled usable as written, the true statements and the false
ones; the best exam takes up to `mcq` multiple choice and `tfq` true/false
statements split evenly (never more than one apart, as the selector does),
and its share of the questions asked is the ceiling of "usable as written /
asked" for what the generators wrote so far. A lecture whose ceiling is
below a target cannot reach it by choosing better among those questions:
the generators must write better ones.
"""
import argparse
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score import load_labels  # noqa: E402


def kind_of(ident):
    _doc, _stem, key, options = ident
    if sorted(options) == ["False", "True"]:
        return "true" if key == "True" else "false"
    return "choice"


def best_exam(counts, mcq, tfq):
    """Usable questions in the best exam: multiple choice up to `mcq`, and
    true/false up to `tfq` with the two truth values at most one apart."""
    t, f = counts["true"], counts["false"]
    tf = min(tfq, t + f, 2 * min(t, f) + 1)
    return min(mcq, counts["choice"]) + tf


def ceiling(by_ident, mcq, tfq):
    per_doc = defaultdict(lambda: {"choice": 0, "true": 0, "false": 0, "labelled": 0})
    for ident, lab in by_ident.items():
        row = per_doc[ident[0]]
        row["labelled"] += 1
        if lab["verdict"] == "usable":
            row[kind_of(ident)] += 1
    return {doc: dict(row, best=best_exam(row, mcq, tfq)) for doc, row in per_doc.items()}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labels", nargs="+")
    ap.add_argument("--key", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "labels", "strict-key.json"))
    ap.add_argument("--mcq", type=int, default=12)
    ap.add_argument("--tfq", type=int, default=8)
    a = ap.parse_args(argv)
    by_ident = load_labels(a.labels, a.key)[0]
    rows = ceiling(by_ident, a.mcq, a.tfq)
    asked = a.mcq + a.tfq
    print(f"| lecture | labelled | usable multiple choice | usable true | usable false | best exam of {asked} |")
    print("|---|---|---|---|---|---|")
    for doc in sorted(rows):
        r = rows[doc]
        print(f"| {doc} | {r['labelled']} | {r['choice']} | {r['true']} | {r['false']} | {r['best']} ({100 * r['best'] / asked:.0f} %) |")


if __name__ == "__main__":
    main(sys.argv[1:])
