#!/usr/bin/env python3
"""Surface-cue strategies: how far a student who has not read the lecture gets
by the form of the exam alone (exam rubric, section 2).

    cues.py RUN.json [RUN2.json ...] [--md OUT.md] [--per-doc] [--json OUT.json]

RUN.json is what `quality gen` writes ({"request", "docs": [{"id", "kind",
"questions": [{"question", "options", "correct_answer", "type", ...}]}]}).
Each strategy answers every question by one cue alone and never looks at the
key; only then is its answer scored against the key.

How a question is scored. A strategy names the options its cue points to (a
set S). It scores 1/|S| when the key is in S, else 0: a tie between two
options is a coin toss between them. A cue that cannot decide a question
names every option, which scores 1/k for k options: the chance score. So
"cannot decide" counts as a guess, never as right or wrong. A strategy's
score over a group of questions is the mean of these; chance is the mean of
1/k over the same questions (50 % for true/false). A cue is flagged when its
score is above chance + 10 points on at least MIN_FLAG questions it applies
to.

Which questions a strategy applies to (its domain) is fixed by the form of
the question, never by the key: true/false statements, multiple-choice items
whose options are statements ("Which statement is true?"), statement pairs
("(I) ... (II) ..." with I only / II only / both / neither), and other
multiple-choice items (cloze, glossary, term questions). A strategy is scored
over its domain only; the report gives the domain's size and how many of
those it decided.

Strategies (the words they look for are listed below, in NEGATION etc.):

negation    true/false: False iff the statement holds a negation (not, no,
            never, cannot, n't, nor, neither, none, nothing, nobody,
            nowhere), else True. Statement options: the options without a
            negation when the stem asks for a true one, with one when it asks
            for a false one. Statement pairs: each statement is judged true
            iff it has no negation, and the matching option is picked.
absolutes   the same with the absolute words (always, never, only, all, none,
            every, everything, nothing, entirely, solely): an absolute marks
            a false statement.
longest     multiple choice: the option with the most characters.
specific    multiple choice: the most specific option = the most technical
            tokens (a token with a capital letter, a digit or one of - _ / .
            inside it, or of 10 letters or more); ties are broken by the
            number of words.
stem        multiple choice: the option that repeats the most content words
            of the stem (lower case, stop words dropped, a plural -s
            stripped); no decision when no option repeats any.
grammar     multiple choice with a blank: the options that fit the blank's
            grammar: "a _____" wants a consonant sound, "an _____" a vowel;
            "_____ is/was/has/does" a singular, "_____ are/were/have/do" a
            plural (a last word in -s, not -ss/-us/-is, is plural). Decides
            only when some but not all options fit.
convergence multiple choice: the option that shares the most content words
            with the other options (summed over them).
all-above   multiple choice: "All of the above" when it is an option, else
            "Both ..." (statement pairs).
none-above  multiple choice: "None of the above" when it is an option, else
            "Neither ...".
position    the share of keys at the most common position (hindsight: the best
            fixed position for that group of questions), per exam (--per-doc)
            and per kind; for true/false the share of the commoner key.

Questions whose key is not among their options are left out (and counted).
"""
import json
import re
import sys
from collections import Counter, defaultdict

MIN_FLAG = 5  # fewer questions in a domain than this: reported, never flagged
FLAG_POINTS = 10.0

NEGATION = {"not", "no", "never", "cannot", "nor", "neither", "none", "nothing", "nobody", "nowhere"}
ABSOLUTES = {"always", "never", "only", "all", "none", "every", "everything", "nothing", "entirely", "solely"}
STOP = set(
    """a an the of to in on at by for with from as and or but if then than that this these those
    is are was were be been being has have had do does did it its it's their there which what who whom
    whose when where why how can could may might must shall should will would not no so such into onto
    about over under between through per via also only all any each every other some more most many
    much few one two true false fill blank lecture according following statement statements""".split()
)
WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)*", re.UNICODE)
TOKEN = re.compile(r"\S+")
BLANK = re.compile(r"_{3,}")
TF_PREFIX = re.compile(r"^\s*true\s+or\s+false\s*[:,.?-]?\s*", re.I)
STATEMENT_STEM = re.compile(r"\bwhich\b[^?]*\bstatements?\b", re.I)
ASKS_FALSE = re.compile(r"\b(false|incorrect|not true|not correct|wrong)\b", re.I)
PAIR = re.compile(r"\(I\)\s*(?P<one>.*?)\s*\(II\)\s*(?P<two>.*)$", re.S)

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


STRATEGIES = ["negation", "absolutes", "longest", "specific", "stem", "grammar", "convergence", "all-above", "none-above"]


# ---------------------------------------------------------------- text helpers


def words(text):
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def has_any(text, vocab):
    ws = words(text)
    if vocab is NEGATION and any(w.endswith("n't") for w in ws):
        return True
    return any(w in vocab for w in ws)


def content(text):
    out = set()
    for w in words(text):
        if w in STOP or len(w) < 2:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return out


def technical(tok):
    core = tok.strip("()[]{},;:.!?\"'“”‘’")
    if not core:
        return False
    if any(c.isupper() for c in core) or any(c.isdigit() for c in core):
        return True
    if any(c in core for c in "-_/."):
        return True
    return sum(c.isalpha() for c in core) >= 10


def specificity(option):
    toks = TOKEN.findall(option)
    return (sum(technical(t) for t in toks), len(toks))


def plural(phrase):
    ws = words(phrase)
    if not ws:
        return None
    w = ws[-1]
    if w in {"data", "criteria", "phenomena", "people", "children", "men", "women", "mice", "feet", "teeth"}:
        return True
    return w.endswith("s") and not w.endswith(("ss", "us", "is", "'s"))


def vowel_sound(phrase):
    ws = words(phrase)
    if not ws:
        return None
    w = ws[0]
    if re.match(r"(uni|use|usu|eu|one|once)", w):
        return False
    if re.match(r"(hour|honest|honou?r|heir)", w):
        return True
    if len(w) <= 4 and w.upper() == phrase.split()[0].strip("()") and w[0] in "fhlmnrsx":
        return True  # an acronym read letter by letter: an FAQ, an HTML page
    return w[0] in "aeiou"


# ------------------------------------------------------------- question forms


def form_of(q):
    """The form a test-wise student sees: tf, pair, statements or mcq."""
    if q.get("type") == "true_false" or sorted(o.lower() for o in q["options"]) == ["false", "true"]:
        return "tf"
    if PAIR.search(q["question"]) and any(re.match(r"\s*neither\b", o, re.I) for o in q["options"]):
        return "pair"
    if STATEMENT_STEM.search(q["question"]):
        return "statements"
    return "mcq"


def tf_statement(q):
    return TF_PREFIX.sub("", q["question"])


def pair_option(options, one_true, two_true):
    """The statement-pair option for the truth of (I) and (II)."""
    want = {(True, False): r"^\s*I\s+only\b", (False, True): r"^\s*II\s+only\b", (True, True): r"^\s*both\b", (False, False): r"^\s*neither\b"}[(one_true, two_true)]
    hits = [o for o in options if re.match(want, o, re.I)]
    return set(hits) if hits else set(options)


def judge_by(vocab, q):
    """negation/absolutes: a word of vocab marks a false statement."""
    opts = q["options"]
    f = form_of(q)
    if f == "tf":
        true_opt = next(o for o in opts if o.lower() == "true")
        false_opt = next(o for o in opts if o.lower() == "false")
        return {false_opt} if has_any(tf_statement(q), vocab) else {true_opt}
    stem_false = bool(ASKS_FALSE.search(q["question"].split("(I)")[0]))
    if f == "pair":
        m = PAIR.search(q["question"])
        one, two = (not has_any(m.group("one"), vocab)), (not has_any(m.group("two"), vocab))
        if stem_false:
            one, two = not one, not two
        return pair_option(opts, one, two)
    if f == "statements":
        marked = {o for o in opts if has_any(o, vocab)}
        pick = marked if stem_false else set(opts) - marked
        return pick if 0 < len(pick) < len(opts) else set(opts)
    return set(opts)


def argmax_set(options, score):
    best = max(score(o) for o in options)
    s = {o for o in options if score(o) == best}
    return s


# ------------------------------------------------------------------ strategies


def s_negation(q):
    return judge_by(NEGATION, q)


def s_absolutes(q):
    return judge_by(ABSOLUTES, q)


def s_longest(q):
    return argmax_set(q["options"], lambda o: len(o.strip()))


def s_specific(q):
    return argmax_set(q["options"], specificity)


def s_stem(q):
    stem = content(BLANK.sub(" ", q["question"]))
    overlap = lambda o: len(content(o) & stem)
    if max(overlap(o) for o in q["options"]) == 0:
        return set(q["options"])
    return argmax_set(q["options"], overlap)


def s_grammar(q):
    stem = q["question"]
    m = BLANK.search(stem)
    opts = q["options"]
    if not m:
        return set(opts)
    before = words(stem[: m.start()])
    after = words(stem[m.end():])
    fits = set(opts)
    if before and before[-1] in ("a", "an") and not stem[: m.start()].rstrip().endswith(")"):
        want_vowel = before[-1] == "an"
        fits = {o for o in fits if vowel_sound(o) in (None, want_vowel)}
    if after:
        v = after[0]
        if v in ("is", "was", "has", "does"):
            fits = {o for o in fits if plural(o) is not True}
        elif v in ("are", "were", "have", "do"):
            fits = {o for o in fits if plural(o) is not False}
    return fits if 0 < len(fits) < len(opts) else set(opts)


def s_convergence(q):
    opts = q["options"]
    cs = {o: content(o) for o in opts}
    shared = lambda o: sum(len(cs[o] & cs[p]) for p in opts if p != o)
    return argmax_set(opts, shared)


def s_all_above(q):
    opts = q["options"]
    hit = [o for o in opts if re.search(r"\ball of the (above|these)\b", o, re.I)]
    if not hit:
        hit = [o for o in opts if re.match(r"\s*both\b", o, re.I)]
    return set(hit) if hit else set(opts)


def s_none_above(q):
    opts = q["options"]
    hit = [o for o in opts if re.search(r"\bnone of the (above|these)\b", o, re.I)]
    if not hit:
        hit = [o for o in opts if re.match(r"\s*neither\b", o, re.I)]
    return set(hit) if hit else set(opts)


FUNCS = {
    "negation": s_negation,
    "absolutes": s_absolutes,
    "longest": s_longest,
    "specific": s_specific,
    "stem": s_stem,
    "grammar": s_grammar,
    "convergence": s_convergence,
    "all-above": s_all_above,
    "none-above": s_none_above,
}

# The forms each strategy is meant for (its domain).
DOMAIN = {
    "negation": {"tf", "pair", "statements"},
    "absolutes": {"tf", "pair", "statements"},
    "longest": {"pair", "statements", "mcq"},
    "specific": {"pair", "statements", "mcq"},
    "stem": {"statements", "mcq"},
    "grammar": {"mcq"},
    "convergence": {"statements", "mcq"},
    "all-above": {"pair", "statements", "mcq"},
    "none-above": {"pair", "statements", "mcq"},
}


def answer(strategy, q):
    """The set of options the strategy's cue points to (never reads the key)."""
    blind = {"question": q["question"], "options": list(q["options"]), "type": q.get("type")}
    return FUNCS[strategy](blind)


def score_one(picked, q):
    if q["correct_answer"] not in picked:
        return 0.0
    return 1.0 / len(picked)


# -------------------------------------------------------------------- scoring


class Tally:
    def __init__(self):
        self.n = 0
        self.decided = 0
        self.score = 0.0
        self.chance = 0.0

    def add(self, picked, q):
        k = len(q["options"])
        self.n += 1
        self.decided += len(picked) < k
        self.score += score_one(picked, q)
        self.chance += 1.0 / k

    def pct(self):
        return (100.0 * self.score / self.n, 100.0 * self.chance / self.n) if self.n else (None, None)

    def flagged(self):
        s, c = self.pct()
        return self.n >= MIN_FLAG and s > c + FLAG_POINTS


class Position:
    """Keys per position, for true/false and multiple choice separately."""

    def __init__(self):
        self.keys = {"tf": Counter(), "mc": Counter()}
        self.k = {"tf": [], "mc": []}

    def add(self, q):
        group = "tf" if form_of(q) == "tf" else "mc"
        self.keys[group][q["options"].index(q["correct_answer"])] += 1
        self.k[group].append(len(q["options"]))

    def result(self, group):
        c = self.keys[group]
        n = sum(c.values())
        if not n:
            return None
        pos, top = c.most_common(1)[0]
        chance = 100.0 * sum(1.0 / k for k in self.k[group]) / n
        share = 100.0 * top / n
        return {"n": n, "position": pos + 1, "share": share, "chance": chance, "flag": n >= MIN_FLAG and share > chance + FLAG_POINTS}


def questions_of(run):
    for d in run["docs"]:
        for q in d.get("questions", []) or []:
            yield d, q


def analyse(run):
    """Per kind, per doc and overall: a Tally per strategy and a Position."""
    per = defaultdict(lambda: {"tally": {s: Tally() for s in STRATEGIES}, "pos": Position(), "questions": 0})
    skipped = 0
    for d, q in questions_of(run):
        if q.get("correct_answer") not in q.get("options", []):
            skipped += 1
            continue
        f = form_of(q)
        for group in (("kind", d["kind"]), ("doc", d["id"]), ("all", "all")):
            g = per[group]
            g["questions"] += 1
            g["pos"].add(q)
            for s in STRATEGIES:
                if f in DOMAIN[s]:
                    g["tally"][s].add(answer(s, q), q)
    return per, skipped


def fmt_cell(t):
    if not t.n:
        return "—"
    s, c = t.pct()
    flag = " **⚑**" if t.flagged() else ""
    return f"{s:.0f} / {c:.0f} ({t.decided}/{t.n}){flag}"


def fmt_pos(p):
    if p is None:
        return "—"
    flag = " **⚑**" if p["flag"] else ""
    return f"{p['share']:.0f} / {p['chance']:.0f} (#{p['position']}, {p['n']}){flag}"


def report(run, title, per_doc=False):
    per, skipped = analyse(run)
    kinds = sorted(k for (g, k) in per if g == "kind")
    lines = [f"### surface cues: {title}", ""]
    lines.append(
        "Each cell: the cue's score / chance, in % of the questions the cue applies to "
        "(decided / applicable); an undecided question counts as a guess (1/k). "
        f"⚑: above chance + {FLAG_POINTS:.0f} points on at least {MIN_FLAG} questions. "
        "position: share of keys at the most common position / chance (#position, questions)."
    )
    lines.append("")
    head = "| kind | questions | " + " | ".join(STRATEGIES) + " | position t/f | position mc |"
    lines += [head, "|" + "---|" * (4 + len(STRATEGIES))]
    groups = [("kind", k) for k in kinds] + [("all", "all")]
    for key in groups:
        g = per[key]
        cells = " | ".join(fmt_cell(g["tally"][s]) for s in STRATEGIES)
        lines.append(f"| {key[1]} | {g['questions']} | {cells} | {fmt_pos(g['pos'].result('tf'))} | {fmt_pos(g['pos'].result('mc'))} |")
    if per_doc:
        lines += ["", "Per exam:", "", head.replace("| kind |", "| exam |"), "|" + "---|" * (4 + len(STRATEGIES))]
        for d in run["docs"]:
            key = ("doc", d["id"])
            if key not in per:
                continue
            g = per[key]
            cells = " | ".join(fmt_cell(g["tally"][s]) for s in STRATEGIES)
            lines.append(f"| {d['id']} | {g['questions']} | {cells} | {fmt_pos(g['pos'].result('tf'))} | {fmt_pos(g['pos'].result('mc'))} |")
    flagged = [(key[1], s) for key in groups for s in STRATEGIES if per[key]["tally"][s].flagged()]
    flagged += [(key[1], f"position {grp}") for key in groups for grp in ("tf", "mc") if (per[key]["pos"].result(grp) or {}).get("flag")]
    lines.append("")
    if flagged:
        lines.append("Above chance + 10 points: " + ", ".join(f"{s} ({k})" for k, s in flagged) + ".")
    else:
        lines.append("No cue is above chance + 10 points.")
    if skipped:
        lines.append(f"{skipped} question(s) left out: their key is not one of their options.")
    return "\n".join(lines), per


def summary(run):
    """A machine-readable summary (used by score.py)."""
    per, skipped = analyse(run)
    out = {}
    for (g, k), v in per.items():
        if g == "doc":
            continue
        row = {}
        for s in STRATEGIES:
            t = v["tally"][s]
            sc, ch = t.pct()
            row[s] = {"n": t.n, "decided": t.decided, "score": sc, "chance": ch, "flag": t.flagged()}
        row["position-tf"] = v["pos"].result("tf")
        row["position-mc"] = v["pos"].result("mc")
        out[k] = row
    return out


def main(argv):
    md = js = None
    per_doc = "--per-doc" in argv
    argv = [a for a in argv if a != "--per-doc"]
    for flag in ("--md", "--json"):
        if flag in argv:
            i = argv.index(flag)
            if flag == "--md":
                md = argv[i + 1]
            else:
                js = argv[i + 1]
            del argv[i : i + 2]
    if not argv:
        print(__doc__)
        return 2
    texts, summaries = [], {}
    for path in argv:
        run = load_json(path)
        text, _ = report(run, path, per_doc)
        texts.append(text)
        summaries[path] = summary(run)
    out = "\n\n".join(texts)
    print(out)
    if md:
        with open(md, "w") as f:
            f.write(out + "\n")
    if js:
        with open(js, "w") as f:
            json.dump(summaries, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
