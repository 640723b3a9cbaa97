#!/usr/bin/env python3
"""Blind labelling batches and the merge of two labellers' verdicts
(exam rubric, section 4; how to label: LABELLING.md).

    blind.py make RUN.json [RUN2.json ...] --out DIR [--seed S] [--corpus DIR]
    blind.py reveal DIR ITEM --labels MINE.jsonl
    blind.py check LABELS.jsonl [--batches DIR]
    blind.py merge A.jsonl B.jsonl [C.jsonl ...] --out MERGED.jsonl

make: per lecture one batch, DIR/<doc>.json, with the questions of all the
runs for that lecture, each once (the same stem, key and set of options is one
item), shuffled with a fixed seed, each under a neutral item id. An item shows
only its stem, its options in their order, the keyed answer, its type and its
page. The batch header names the lecture and its PDF. Per lecture and run an
exam view, DIR/exams/<doc>.json, lists the exam's item ids in the run's order
under a letter (exam A, B, ...) drawn per lecture, for the exam-level ratings.
The private DIR/key.json maps item ids to runs and question identities and
the letters to runs: score.py reads it, labellers never open it.
DIR/sources.json holds each item's source sentence for `reveal`, which prints
it only once the labeller's own labels file holds a verdict for the item.

check: every line of a labels file is well formed (and, with --batches,
names an item of the batches).

merge: per item the stricter verdict counts (unusable < edit < usable; two
unusable verdicts keep the class that comes first in the rubric's order), per
exam the lower rating and hand_out only if all say so; the disagreements are
printed, and items with one labeller only are listed.

Label lines (JSONL), keys exactly:
  {"doc", "item", "verdict": "usable"|"edit"|"unusable",
   "class": "ok"|"wrong"|"ambiguous"|"trivial"|"off-topic"|"malformed"|"weak-distractors",
   "edit": "<the small edit, when verdict is edit>", "note": "..."}
  {"doc", "exam": true, "exam_id": "A", "coverage": 1-5, "variety": 1-5,
   "level": 1-5, "hand_out": true|false, "note": "..."}
"""
import hashlib
import json
import os
import random
import sys
from collections import defaultdict

VERDICTS = ["unusable", "edit", "usable"]  # strictest first
CLASSES = ["wrong", "ambiguous", "trivial", "off-topic", "malformed", "weak-distractors"]  # rubric order
RATINGS = ["coverage", "variety", "level"]
SHOWN = ["question", "options", "correct_answer", "type", "page"]
DEFAULT_SEED = "examfn-blind-1"


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def identity(doc, q):
    """A question's identity: its lecture, stem, key and set of options."""
    return (doc, q["question"], q["correct_answer"], tuple(sorted(q["options"])))


def item_id(seed, ident):
    h = hashlib.sha256(json.dumps([seed, *ident[:3], list(ident[3])], ensure_ascii=False).encode()).hexdigest()
    return "q" + h[:8]


def corpus_dir(arg):
    if arg:
        return arg
    cache = os.environ.get("EXAMFN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "examfn")
    return os.path.join(cache, "corpus-v1")


def make(runs, out, seed, corpus):
    os.makedirs(os.path.join(out, "exams"), exist_ok=True)
    items = {}  # id -> {"doc", "shown", "source", "runs": [...]}
    exams = defaultdict(list)  # doc -> [(run, [ids])]
    kinds = {}
    asked = {}
    runs = [os.path.abspath(r) for r in runs]
    for run_path in runs:
        run = load_json(run_path)
        req = run.get("request", {})
        for d in run["docs"]:
            doc = d["id"]
            kinds[doc] = d.get("kind", "")
            asked[doc] = {"multiple_choice": req.get("n_mcq"), "true_false": req.get("n_tfq"), "options": req.get("n_options")}
            ids = []
            for i, q in enumerate(d.get("questions", []) or []):
                ident = identity(doc, q)
                iid = item_id(seed, ident)
                if iid not in items:
                    items[iid] = {
                        "doc": doc,
                        "shown": {k: q.get(k) for k in SHOWN},
                        "source": q.get("source"),
                        "identity": {"question": ident[1], "correct_answer": ident[2], "options": list(ident[3])},
                        "runs": [],
                    }
                items[iid]["runs"].append({"run": run_path, "index": i, "needs_review": bool(q.get("needs_review"))})
                ids.append(iid)
            exams[doc].append((run_path, ids))
    rng = random.Random(seed)
    key = {"seed": seed, "runs": list(runs), "items": {}, "exams": {}}
    sources = {}
    per_doc = defaultdict(list)
    for iid in sorted(items):
        per_doc[items[iid]["doc"]].append(iid)
    for doc in sorted(exams):
        pdf = os.path.join(corpus, f"{doc}.pdf")
        ids = per_doc.get(doc, [])
        rng.shuffle(ids)
        batch = {
            "doc": doc,
            "kind": kinds[doc],
            "pdf": pdf,
            "read_with": f"pdftotext -layout {pdf} -",
            "how": "LABELLING.md: one item at a time, verdict and class by hand; reveal an item's source only after its verdict (blind.py reveal).",
            "items": [dict(item=iid, **items[iid]["shown"]) for iid in ids],
        }
        with open(os.path.join(out, f"{doc}.json"), "w") as f:
            json.dump(batch, f, indent=1, ensure_ascii=False)
        letters = [chr(ord("A") + i) for i in range(len(exams[doc]))]
        order = list(range(len(exams[doc])))
        rng.shuffle(order)
        view = {"doc": doc, "kind": kinds[doc], "pdf": pdf, "asked": asked[doc], "exams": []}
        key["exams"][doc] = {}
        for letter, j in zip(letters, order):
            run_path, run_ids = exams[doc][j]
            view["exams"].append({"exam_id": letter, "questions": len(run_ids), "items": run_ids})
            key["exams"][doc][letter] = run_path
        view["exams"].sort(key=lambda e: e["exam_id"])
        with open(os.path.join(out, "exams", f"{doc}.json"), "w") as f:
            json.dump(view, f, indent=1, ensure_ascii=False)
        for iid in ids:
            key["items"][iid] = {"doc": doc, **items[iid]["identity"], "runs": items[iid]["runs"]}
            sources[iid] = {"doc": doc, "source": items[iid]["source"]}
    with open(os.path.join(out, "key.json"), "w") as f:
        json.dump(key, f, indent=1, ensure_ascii=False)
    with open(os.path.join(out, "sources.json"), "w") as f:
        json.dump(sources, f, indent=1, ensure_ascii=False)
    n_q = sum(len(r["runs"]) for r in items.values())
    runs = [os.path.relpath(r) for r in runs]
    print(f"blind.py: {len(items)} items ({n_q} questions in {len(runs)} run(s)) in {len(exams)} batches under {out}/; private key: {out}/key.json")


def read_labels(path):
    out = []
    for n, line in enumerate(read_lines(path), 1):
        line = line.strip()
        if line:
            out.append((n, json.loads(line)))
    return out


def problems(label):
    """What is wrong with one label line (an empty list when nothing)."""
    p = []
    if "doc" not in label:
        p.append("no doc")
    if label.get("exam") is True:
        if not label.get("exam_id"):
            p.append("exam line without exam_id")
        for r in RATINGS:
            if label.get(r) not in (1, 2, 3, 4, 5):
                p.append(f"{r} must be 1-5")
        if not isinstance(label.get("hand_out"), bool):
            p.append("hand_out must be true or false")
        return p
    if not label.get("item"):
        p.append("no item")
    v, c = label.get("verdict"), label.get("class")
    if v not in VERDICTS:
        p.append(f"verdict {v!r} is not one of {VERDICTS}")
    if c not in ["ok"] + CLASSES:
        p.append(f"class {c!r} is not ok or one of {CLASSES}")
    if v == "usable" and c != "ok":
        p.append("a usable item has class ok")
    if v == "unusable" and c == "ok":
        p.append("an unusable item needs its class")
    if v == "edit" and not (label.get("edit") or "").strip():
        p.append("verdict edit names the edit")
    return p


def check(path, batches=None):
    known = None
    if batches:
        known = set()
        for name in os.listdir(batches):
            if name.endswith(".json") and name not in ("key.json", "sources.json"):
                known |= {(it["item"]) for it in load_json(os.path.join(batches, name))["items"]}
    bad = 0
    for n, l in read_labels(path):
        p = problems(l)
        if known is not None and not l.get("exam") and l.get("item") not in known:
            p.append("item not in the batches")
        for x in p:
            print(f"{path}:{n}: {x}")
        bad += bool(p)
    print(f"{path}: {'ok' if not bad else f'{bad} bad line(s)'}")
    return 1 if bad else 0


def reveal(out, iid, labels):
    mine = {l.get("item") for _, l in read_labels(labels) if l.get("verdict")}
    if iid not in mine:
        print(f"blind.py: give {iid} its verdict in {labels} first", file=sys.stderr)
        return 1
    src = load_json(os.path.join(out, "sources.json")).get(iid)
    if src is None:
        print(f"blind.py: no item {iid}", file=sys.stderr)
        return 1
    print(src["source"])
    return 0


def stricter(a, b):
    """The stricter of two item labels."""
    va, vb = VERDICTS.index(a["verdict"]), VERDICTS.index(b["verdict"])
    if va != vb:
        return a if va < vb else b
    if a["verdict"] == "unusable" and a["class"] != b["class"]:
        return a if CLASSES.index(a["class"]) <= CLASSES.index(b["class"]) else b
    return a


def merge(paths, out):
    items = defaultdict(list)
    exams = defaultdict(list)
    for path in paths:
        for n, l in read_labels(path):
            p = problems(l)
            if p:
                print(f"blind.py: {path}:{n}: {'; '.join(p)}", file=sys.stderr)
                return 1
            l = dict(l, labeller=os.path.basename(path))
            if l.get("exam") is True:
                exams[(l["doc"], l["exam_id"])].append(l)
            else:
                items[(l["doc"], l["item"])].append(l)
    merged, disagree, single = [], [], []
    for (doc, iid), ls in sorted(items.items()):
        m = ls[0]
        for l in ls[1:]:
            m = stricter(m, l)
        verdicts = [(l["labeller"], l["verdict"], l["class"]) for l in ls]
        agree = len({(v, c) for _, v, c in verdicts}) == 1
        if not agree:
            disagree.append((doc, iid, verdicts))
        if len({l["labeller"] for l in ls}) < 2:
            single.append((doc, iid))
        merged.append(
            {
                "doc": doc,
                "item": iid,
                "verdict": m["verdict"],
                "class": m["class"],
                "edit": m.get("edit", ""),
                "note": " | ".join(f"{l['labeller']}: {l.get('note', '')}" for l in ls),
                "labellers": len(ls),
                "agree": agree,
                "verdicts": [f"{who}: {v}/{c}" for who, v, c in verdicts],
            }
        )
    exam_disagree = []
    for (doc, eid), ls in sorted(exams.items()):
        row = {"doc": doc, "exam": True, "exam_id": eid}
        for r in RATINGS:
            row[r] = min(l[r] for l in ls)
        row["hand_out"] = all(l["hand_out"] for l in ls)
        row["labellers"] = len(ls)
        row["note"] = " | ".join(f"{l['labeller']}: {l.get('note', '')}" for l in ls)
        if any(max(l[r] for l in ls) - row[r] >= 2 for r in RATINGS) or len({l["hand_out"] for l in ls}) > 1:
            exam_disagree.append((doc, eid, [(l["labeller"], *(l[r] for r in RATINGS), l["hand_out"]) for l in ls]))
        merged.append(row)
    with open(out, "w") as f:
        for m in merged:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")
    print(f"blind.py: {len(items)} items and {len(exams)} exam ratings merged into {out}; {len(disagree)} item disagreement(s), {len(exam_disagree)} exam disagreement(s), {len(single)} item(s) with one labeller")
    for doc, iid, vs in disagree:
        print(f"  item {doc}/{iid}: " + "; ".join(f"{who} {v}/{c}" for who, v, c in vs))
    for doc, eid, vs in exam_disagree:
        print(f"  exam {doc}/{eid}: " + "; ".join(f"{who} coverage {c} variety {v} level {lv} hand_out {h}" for who, c, v, lv, h in vs))
    for doc, iid in single:
        print(f"  one labeller only: {doc}/{iid}")
    return 0


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        val = args[i + 1]
        del args[i : i + 2]
        return val
    return default


def main(argv):
    if not argv or argv[0] not in ("make", "merge", "reveal", "check"):
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "make":
        out = opt(args, "--out")
        seed = opt(args, "--seed", DEFAULT_SEED)
        corpus = corpus_dir(opt(args, "--corpus"))
        if not out or not args:
            print(__doc__)
            return 2
        make(args, out, seed, corpus)
        return 0
    if cmd == "merge":
        out = opt(args, "--out")
        if not out or len(args) < 1:
            print(__doc__)
            return 2
        return merge(args, out)
    if cmd == "reveal":
        labels = opt(args, "--labels")
        if not labels or len(args) != 2:
            print(__doc__)
            return 2
        return reveal(args[0], args[1], labels)
    if cmd == "check":
        batches = opt(args, "--batches")
        return max([check(p, batches) for p in args] or [2])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
