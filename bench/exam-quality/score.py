#!/usr/bin/env python3
"""Score a generated run against the hand labels (bench/exam-quality/README.md,
the exam rubric in shared/exam-rubric.md).

    score.py RUN.json LABELS.jsonl [LABELS.jsonl ...] [--key DIR/key.json]
             [--md OUT.md] [--title T] [--no-cues] [--only ID,ID]

RUN.json is what `quality gen` or `write` (run.sh) writes; --only scores
those lectures alone (the labelled ones, when not every lecture is). Two
label formats are read:

- blind labels (LABELLING.md), made from `blind.py make` batches and
  usually merged with `blind.py merge`: {"doc", "item", "verdict", "class",
  ...}; --key names the batches' private key.json, which maps each item id to
  its question (lecture, stem, key, set of options). Exam-level lines
  ({"exam": true, ...}) are reported per lecture, with their run from the key.
- the older labels ({"doc", "question", "correct_answer", "options", "usable",
  "class", "note"}): a question matches by (doc, stem, key, set of options),
  or by the first three when the label has no options (the pre-#15 labels).
  usable true reads as verdict usable, false as unusable with its old class.

A question matched by several labels (two labellers, or several files) takes
the strictest verdict (unusable < edit < usable). A question the run marks
needs_review counts as not usable unless the labellers passed it; an
unlabelled question counts as not usable and is listed.

Per document kind and overall it reports: asked (questions requested),
written, labelled, usable as written, usable after at most a small edit, and
the unusable ones by class, with the rates quoted of those asked; the same
per source and form (the model's questions, clozes, true and false
statements; the rules' forms), of those written; then the
surface-cue scores (cues.py), and time and memory when the run has them
(extract_ms / generate_ms per lecture; peak RSS from the run's `peak_rss_kb`
or a NAME.rss file beside NAME.json, as run.sh writes it).
"""
import json
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cues  # noqa: E402
from blind import identity  # noqa: E402
from cues import load_json, read_lines  # noqa: E402

VERDICTS = ["unusable", "edit", "usable"]
CLASSES = ["wrong", "ambiguous", "trivial", "off-topic", "malformed", "weak-distractors"]
OLD_CLASSES = ["source", "layout", "dependent", "options", "answer", "trivial"]


def strict(a, b):
    if a is None:
        return b
    return a if VERDICTS.index(a["verdict"]) <= VERDICTS.index(b["verdict"]) else b


def load_labels(paths, key_path):
    """(by question identity, by (doc, stem, key) for old unoptioned labels, exam lines)."""
    key = load_json(key_path) if key_path else None
    by_ident, by_short, exam_lines = {}, {}, []
    n_items = defaultdict(int)
    for path in paths:
        for line in read_lines(path):
            line = line.strip()
            if not line:
                continue
            l = json.loads(line)
            if l.get("exam") is True:
                exam_lines.append(l)
                continue
            if "item" in l:
                if key is None:
                    sys.exit(f"score.py: {path} holds blind labels (item ids): give --key DIR/key.json")
                k = key["items"].get(l["item"])
                if k is None:
                    sys.exit(f"score.py: {path}: item {l['item']} is not in {key_path}")
                ident = (k["doc"], k["question"], k["correct_answer"], tuple(sorted(k["options"])))
                lab = {"verdict": l["verdict"], "class": l["class"], "labellers": l.get("labellers", 1), "old": False}
                n_items[ident] += l.get("labellers", 1)
                by_ident[ident] = strict(by_ident.get(ident), lab)
                continue
            lab = {"verdict": "usable" if l["usable"] else "unusable", "class": l.get("class", "ok"), "old": True}
            if "options" in l:
                ident = (l["doc"], l["question"], l["correct_answer"], tuple(sorted(l["options"])))
                by_ident[ident] = strict(by_ident.get(ident), lab)
            else:
                short = (l["doc"], l["question"], l["correct_answer"])
                by_short[short] = strict(by_short.get(short), lab)
    return by_ident, by_short, exam_lines, key, n_items


def peak_rss_mib(run, run_path):
    for k, div in (("peak_rss_kb", 1024), ("peak_rss_mib", 1)):
        if k in run:
            return float(run[k]) / div
    rss = os.path.splitext(run_path)[0] + ".rss"
    if os.path.exists(rss):
        try:
            return int(read_lines(rss)[-1].split()[-1]) / 1024
        except (ValueError, IndexError):
            return None
    return None


def new_row():
    return {"docs": 0, "asked": 0, "written": 0, "labelled": 0, "usable": 0, "edit": 0, "classes": defaultdict(int), "old_classes": defaultdict(int), "needs_review": 0, "review_passed": 0, "one_labeller": 0, "unlabelled": 0, "extract": [], "generate": []}


def label_of(labels, doc, q):
    """The (strictest) label of a question of `doc`, or None: by its identity, or by
    lecture, stem and key for the old labels that name no options."""
    by_ident, by_short = labels[0], labels[1]
    ident = identity(doc, q)
    return by_ident.get(ident) or by_short.get(ident[:3])


def score(run, run_path, labels):
    n_items = labels[4]
    req = run.get("request", {})
    per_doc = int(req.get("n_mcq", 0)) + int(req.get("n_tfq", 0))
    rows = defaultdict(new_row)
    unlabelled = []
    for d in run["docs"]:
        for key in (d["kind"], "all"):
            r = rows[key]
            r["docs"] += 1
            r["asked"] += per_doc
            if "error" in d:
                continue
            if "extract_ms" in d:
                r["extract"].append(d["extract_ms"])
            if "generate_ms" in d:
                r["generate"].append(d["generate_ms"])
        if "error" in d:
            continue
        for q in d.get("questions", []) or []:
            ident = identity(d["id"], q)
            lab = label_of(labels, d["id"], q)
            if lab is None:
                unlabelled.append((d["id"], q["question"]))
            for key in (d["kind"], "all"):
                r = rows[key]
                r["written"] += 1
                if q.get("needs_review"):
                    r["needs_review"] += 1
                if lab is None:
                    r["unlabelled"] += 1
                    continue
                r["labelled"] += 1
                if not lab["old"] and n_items.get(ident, 0) < 2:
                    r["one_labeller"] += 1
                if lab["verdict"] == "usable":
                    r["usable"] += 1
                    r["review_passed"] += bool(q.get("needs_review"))
                elif lab["verdict"] == "edit":
                    r["edit"] += 1
                    r["review_passed"] += bool(q.get("needs_review"))
                elif lab["old"]:
                    r["old_classes"][lab["class"]] += 1
                else:
                    r["classes"][lab["class"]] += 1
    return rows, unlabelled


def form_of(q):
    """A question's source and form: `llm question`, `rules cloze`, `llm true_false True`, …"""
    origin = q.get("origin") or "?"
    form = q.get("form") or q.get("type", "?")
    if q.get("type") == "true_false":
        return f"{origin} true/false {q.get('correct_answer')}"
    return f"{origin} {form}"


def by_form(run, labels):
    """Per source and form: written, usable, ≤ edit, unusable by class, needs review."""
    rows = defaultdict(new_row)
    for d in run["docs"]:
        for q in d.get("questions", []) or []:
            lab = label_of(labels, d["id"], q)
            r = rows[form_of(q)]
            r["written"] += 1
            r["needs_review"] += bool(q.get("needs_review"))
            if lab is None:
                r["unlabelled"] += 1
            elif lab["verdict"] == "usable":
                r["usable"] += 1
            elif lab["verdict"] == "edit":
                r["edit"] += 1
            else:
                r["classes"][lab["class"]] += 1
    return rows


def form_table(run, labels):
    rows = by_form(run, labels)
    if not rows:
        return []
    out = ["", "By source and form (of the questions written; a source's false statements and true ones apart):", ""]
    head = ["source and form", "written", "usable", "≤ edit", "usable / written"] + CLASSES + ["needs review", "unlabelled"]
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in sorted(rows, key=lambda n: (-rows[n]["written"], n)):
        r = rows[name]
        cells = [name, r["written"], r["usable"], r["usable"] + r["edit"], pct(r["usable"], r["written"])]
        cells += [r["classes"].get(c, 0) for c in CLASSES] + [r["needs_review"], r["unlabelled"]]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return out


def pct(n, d):
    return f"{100.0 * n / d:.0f} %" if d else "—"


def table(run, run_path, labels, title, with_cues=True):
    rows, unlabelled = score(run, run_path, labels)
    kinds = sorted(k for k in rows if k != "all") + ["all"]
    any_old = any(rows["all"]["old_classes"].values())
    old_cols = [c for c in OLD_CLASSES if rows["all"]["old_classes"].get(c)] if any_old else []
    out = [f"### {title}", ""]
    out.append(
        "Rates are of the questions asked. usable: as written; ≤ edit: usable as written or after a small edit. "
        "Unlabelled questions and questions marked needs_review that no labeller passed count as not usable."
    )
    out.append("")
    head = ["kind", "lectures", "asked", "written", "labelled", "usable", "≤ edit", "usable / asked", "≤ edit / asked"]
    head += CLASSES + [f"old: {c}" for c in old_cols] + ["needs review (passed)", "unlabelled"]
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in kinds:
        r = rows[kind]
        ok_edit = r["usable"] + r["edit"]
        cells = [kind, r["docs"], r["asked"], r["written"], r["labelled"], r["usable"], ok_edit, pct(r["usable"], r["asked"]), pct(ok_edit, r["asked"])]
        cells += [r["classes"].get(c, 0) for c in CLASSES] + [r["old_classes"].get(c, 0) for c in old_cols]
        cells += [f"{r['needs_review']} ({r['review_passed']})", r["unlabelled"]]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    out += form_table(run, labels)
    if rows["all"]["one_labeller"]:
        out += ["", f"{rows['all']['one_labeller']} labelled question(s) have one blind labeller only: the rubric asks for two before a rate is quoted."]
    if any(rows[k]["generate"] for k in kinds):
        rss = peak_rss_mib(run, run_path)
        out += ["", "Time per lecture (ms) and the run's peak memory:", ""]
        out += ["| kind | extract median | extract max | generate median | generate max |", "|---|---|---|---|---|"]
        for kind in kinds:
            r = rows[kind]
            if not r["generate"]:
                continue
            ex = r["extract"] or [0]
            out.append(f"| {kind} | {statistics.median(ex):.0f} | {max(ex):.0f} | {statistics.median(r['generate']):.0f} | {max(r['generate']):.0f} |")
        out.append("")
        out.append(f"Peak RSS of the run: {rss:.0f} MiB." if rss is not None else "Peak RSS: not recorded in the run.")
    if with_cues:
        summ = cues.summary(run)
        out += ["", "Surface cues (cues.py): the cue's score / chance in % of the questions it applies to; ⚑ above chance + 10 points:", ""]
        cols = cues.STRATEGIES + ["position-tf", "position-mc"]
        out += ["| kind | " + " | ".join(cols) + " |", "|" + "---|" * (1 + len(cols))]
        for kind in kinds:
            if kind not in summ:
                continue
            cells = []
            for c in cols:
                v = summ[kind][c]
                if not v or v.get("n", 0) == 0:
                    cells.append("—")
                elif c.startswith("position"):
                    cells.append(f"{v['share']:.0f} / {v['chance']:.0f}" + (" ⚑" if v["flag"] else ""))
                else:
                    cells.append(f"{v['score']:.0f} / {v['chance']:.0f}" + (" ⚑" if v["flag"] else ""))
            out.append(f"| {kind} | " + " | ".join(cells) + " |")
    exam_lines, key = labels[2], labels[3]
    if exam_lines and key:
        here = run_identity(run_path)
        mine = [l for l in exam_lines if run_identity(key["exams"].get(l["doc"], {}).get(l["exam_id"], "")) == here]
        if mine:
            out += ["", "Exam as a whole (per lecture; the stricter labeller's ratings when merged):", ""]
            out += ["| lecture | coverage | variety | level | hand out |", "|---|---|---|---|---|"]
            for l in sorted(mine, key=lambda l: l["doc"]):
                out.append(f"| {l['doc']} | {l['coverage']} | {l['variety']} | {l['level']} | {'yes' if l['hand_out'] else 'no'} |")
    if unlabelled:
        out += ["", f"{len(unlabelled)} question(s) have no label yet:"]
        out += [f"- {doc}: {q}" for doc, q in unlabelled[:50]]
    return "\n".join(out)


def run_identity(path):
    """A run's path, the same in every clone: from bench/exam-quality/ on
    when it lies there (the key stores the absolute path it was made with)."""
    if not path:
        return ""
    full = os.path.abspath(path).replace(os.sep, "/")
    marker = "/bench/exam-quality/"
    return full[full.rindex(marker) + 1:] if marker in full else full


def main(argv):
    md = None
    title = "exam quality"
    key = None
    with_cues = "--no-cues" not in argv
    argv = [a for a in argv if a != "--no-cues"]
    only = None
    for flag in ("--md", "--title", "--key", "--only"):
        if flag in argv:
            i = argv.index(flag)
            val = argv[i + 1]
            del argv[i : i + 2]
            if flag == "--md":
                md = val
            elif flag == "--title":
                title = val
            elif flag == "--only":
                only = set(val.split(","))
            else:
                key = val
    if len(argv) < 2:
        print(__doc__)
        return 2
    run = load_json(argv[0])
    if only is not None:
        # Score these lectures only (those labelled, when not all are).
        run["docs"] = [d for d in run["docs"] if d["id"] in only]
    labels = load_labels(argv[1:], key)
    text = table(run, argv[0], labels, title, with_cues)
    print(text)
    if md:
        with open(md, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
