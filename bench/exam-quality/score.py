#!/usr/bin/env python3
"""Score generated exams against the hand labels (bench/exam-quality/README.md).

    score.py GENERATED.json LABELS.jsonl [LABELS.jsonl ...] [--md OUT.md] [--title T]

GENERATED.json is what `quality gen` writes; each label line is
{"doc", "question", "correct_answer", "options", "usable", "class", "note"}. A
question is matched to its label by (doc, question, correct_answer, options as
a set); labels without "options" (the pre-#15 ones) match on the first three. Per document kind it
prints the questions written, how many are labelled, the usable rate among the
labelled ones and the count of each failure class; unlabelled questions are
listed (label them before quoting a rate)."""
import json
import sys
from collections import defaultdict

CLASSES = ["source", "layout", "dependent", "options", "answer", "trivial"]


def main():
    args = sys.argv[1:]
    md = None
    title = "exam quality"
    if "--md" in args:
        i = args.index("--md")
        md = args[i + 1]
        del args[i : i + 2]
    if "--title" in args:
        i = args.index("--title")
        title = args[i + 1]
        del args[i : i + 2]
    if len(args) < 2:
        print(__doc__)
        sys.exit(2)
    gen = json.load(open(args[0]))
    labels = {}
    for path in args[1:]:
        for line in open(path):
            line = line.strip()
            if not line:
                continue
            l = json.loads(line)
            # Labels made since #15 also carry the options they judged: a
            # question whose options changed is a new question to label.
            opts = tuple(sorted(l["options"])) if "options" in l else None
            labels[(l["doc"], l["question"], l["correct_answer"], opts)] = l
    per_kind = defaultdict(lambda: {"docs": 0, "requested": 0, "written": 0, "labelled": 0, "usable": 0, "classes": defaultdict(int), "gen_ms": [], "extract_ms": []})
    unlabelled = []
    req = gen.get("request", {})
    per_doc = int(req.get("n_mcq", 0)) + int(req.get("n_tfq", 0))
    for d in gen["docs"]:
        k = per_kind[d["kind"]]
        k["docs"] += 1
        k["requested"] += per_doc
        if "error" in d:
            continue
        k["gen_ms"].append(d.get("generate_ms", 0))
        k["extract_ms"].append(d.get("extract_ms", 0))
        for q in d.get("questions", []):
            k["written"] += 1
            l = labels.get((d["id"], q["question"], q["correct_answer"], tuple(sorted(q["options"]))))
            if l is None:
                l = labels.get((d["id"], q["question"], q["correct_answer"], None))
            if l is None:
                unlabelled.append((d["id"], q["question"]))
                continue
            k["labelled"] += 1
            if l["usable"]:
                k["usable"] += 1
            else:
                k["classes"][l["class"]] += 1
    rows = []
    tot = {"docs": 0, "requested": 0, "written": 0, "labelled": 0, "usable": 0, "classes": defaultdict(int)}
    for kind in sorted(per_kind):
        k = per_kind[kind]
        for f in ("docs", "requested", "written", "labelled", "usable"):
            tot[f] += k[f]
        for c, n in k["classes"].items():
            tot["classes"][c] += n
        rows.append((kind, k))
    rows.append(("all", tot))
    head = "| kind | lectures | questions written / requested | labelled | usable | usable rate | " + " | ".join(CLASSES) + " |"
    sep = "|" + "---|" * (6 + len(CLASSES))
    out = [f"### {title}", "", head, sep]
    for kind, k in rows:
        rate = f"{100.0 * k['usable'] / k['labelled']:.0f} %" if k["labelled"] else "—"
        cls = " | ".join(str(k["classes"].get(c, 0)) for c in CLASSES)
        out.append(f"| {kind} | {k['docs']} | {k['written']} / {k['requested']} | {k['labelled']} | {k['usable']} | {rate} | {cls} |")
    if unlabelled:
        out.append("")
        out.append(f"{len(unlabelled)} question(s) have no label yet:")
        for doc, q in unlabelled[:50]:
            out.append(f"- {doc}: {q}")
    text = "\n".join(out)
    print(text)
    if md:
        with open(md, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
