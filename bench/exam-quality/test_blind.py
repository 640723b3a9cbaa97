"""Tests of the blind labelling loop (blind.py make / merge, score.py) on a
tiny hand-made run. No network, no corpus needed.

    python3 -m unittest discover -s bench/exam-quality -p 'test_*.py'
"""
import contextlib
import io
import json
import os
import tempfile
import unittest

import blind
import score
from cues import load_json, read_lines


def q(stem, options, key, **extra):
    return dict({"question": stem, "options": options, "correct_answer": key, "type": "multiple_choice", "page": 3, "source": f"SOURCE of {stem}", "form": "cloze", "answer_kind": "term"}, **extra)


TF = ["True", "False"]
Q1 = q("Fill in the blank: The _____ carries oxygen.", ["haemoglobin", "insulin", "keratin", "collagen"], "haemoglobin")
Q2 = q("True or false: Koalas are marsupials.", TF, "True", type="true_false")
Q3 = q("True or false: Kiwis do not fly.", TF, "True", type="true_false", needs_review=True)


def run(questions, doc="bio"):
    return {"request": {"n_mcq": 2, "n_tfq": 2, "n_options": 4}, "docs": [{"id": doc, "kind": "textbook", "extract_ms": 5, "generate_ms": 7, "questions": questions}]}


class Loop(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.old = os.path.join(d, "old.json")
        self.new = os.path.join(d, "new.json")
        with open(self.old, "w") as f:
            json.dump(run([Q1, Q2]), f)
        # the new run repeats Q1 with its options in another order: the same item
        with open(self.new, "w") as f:
            json.dump(run([dict(Q1, options=list(reversed(Q1["options"]))), Q3]), f)
        self.out = os.path.join(d, "batches")
        with contextlib.redirect_stdout(io.StringIO()):
            blind.make([self.old, self.new], self.out, "test-seed", "/corpus")

    def tearDown(self):
        self.tmp.cleanup()

    def labels(self, name, lines):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            for l in lines:
                f.write(json.dumps(l) + "\n")
        return path

    def batch(self):
        return load_json(os.path.join(self.out, "bio.json"))

    def test_batch_shows_only_the_item(self):
        b = self.batch()
        self.assertEqual(b["doc"], "bio")
        self.assertEqual(b["pdf"], "/corpus/bio.pdf")
        self.assertEqual(len(b["items"]), 3)  # Q1 once
        for it in b["items"]:
            self.assertEqual(set(it), {"item", "question", "options", "correct_answer", "type", "page"})
        text = json.dumps(b)
        for hidden in ("SOURCE", "old.json", "new.json", "needs_review", "cloze"):
            self.assertNotIn(hidden, text)

    def test_exam_views_hide_runs(self):
        v = load_json(os.path.join(self.out, "exams", "bio.json"))
        self.assertEqual([e["exam_id"] for e in v["exams"]], ["A", "B"])
        self.assertNotIn("json", json.dumps(v["exams"]))
        key = load_json(os.path.join(self.out, "key.json"))
        self.assertEqual(sorted(os.path.basename(p) for p in key["exams"]["bio"].values()), ["new.json", "old.json"])

    def test_make_is_deterministic(self):
        first = self.batch()
        with contextlib.redirect_stdout(io.StringIO()):
            blind.make([self.old, self.new], self.out, "test-seed", "/corpus")
        self.assertEqual(first, self.batch())

    def test_reveal_needs_a_verdict_first(self):
        iid = self.batch()["items"][0]["item"]
        mine = self.labels("mine.jsonl", [])
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(blind.reveal(self.out, iid, mine), 1)
        mine = self.labels("mine.jsonl", [{"doc": "bio", "item": iid, "verdict": "usable", "class": "ok"}])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            self.assertEqual(blind.reveal(self.out, iid, mine), 0)
        self.assertIn("SOURCE", buf.getvalue())

    def test_problems(self):
        self.assertEqual(blind.problems({"doc": "d", "item": "q1", "verdict": "usable", "class": "ok"}), [])
        self.assertTrue(blind.problems({"doc": "d", "item": "q1", "verdict": "edit", "class": "malformed"}))
        self.assertTrue(blind.problems({"doc": "d", "item": "q1", "verdict": "unusable", "class": "ok"}))
        self.assertTrue(blind.problems({"doc": "d", "exam": True, "exam_id": "A", "coverage": 6, "variety": 1, "level": 1, "hand_out": True}))

    def test_merge_score(self):
        ids = {it["question"]: it["item"] for it in self.batch()["items"]}
        i1, i2, i3 = ids[Q1["question"]], ids[Q2["question"]], ids[Q3["question"]]
        a = self.labels(
            "a.jsonl",
            [
                {"doc": "bio", "item": i1, "verdict": "usable", "class": "ok"},
                {"doc": "bio", "item": i2, "verdict": "edit", "class": "malformed", "edit": "x"},
                {"doc": "bio", "item": i3, "verdict": "usable", "class": "ok"},
                {"doc": "bio", "exam": True, "exam_id": "A", "coverage": 4, "variety": 2, "level": 3, "hand_out": True},
            ],
        )
        b = self.labels(
            "b.jsonl",
            [
                {"doc": "bio", "item": i1, "verdict": "unusable", "class": "weak-distractors"},
                {"doc": "bio", "item": i2, "verdict": "usable", "class": "ok"},
                {"doc": "bio", "exam": True, "exam_id": "A", "coverage": 2, "variety": 3, "level": 3, "hand_out": False},
            ],
        )
        merged = os.path.join(self.tmp.name, "merged.jsonl")
        with contextlib.redirect_stdout(io.StringIO()) as out:
            self.assertEqual(blind.merge([a, b], merged), 0)
        self.assertIn("2 item disagreement(s)", out.getvalue())
        rows = {l.get("item", "exam"): l for l in map(json.loads, read_lines(merged))}
        self.assertEqual((rows[i1]["verdict"], rows[i1]["class"]), ("unusable", "weak-distractors"))
        self.assertEqual(rows[i2]["verdict"], "edit")
        self.assertEqual(rows[i3]["labellers"], 1)
        self.assertEqual((rows["exam"]["coverage"], rows["exam"]["variety"], rows["exam"]["hand_out"]), (2, 2, False))

        key = os.path.join(self.out, "key.json")
        labels = score.load_labels([merged], key)
        r, unl = score.score(load_json(self.old), self.old, labels)
        self.assertEqual((r["all"]["asked"], r["all"]["written"], r["all"]["usable"], r["all"]["edit"]), (4, 2, 0, 1))
        self.assertEqual(r["all"]["classes"]["weak-distractors"], 1)
        r, unl = score.score(load_json(self.new), self.new, labels)
        # Q3 needs review and one labeller passed it: usable, counted as passed
        self.assertEqual((r["all"]["usable"], r["all"]["needs_review"], r["all"]["review_passed"], r["all"]["one_labeller"]), (1, 1, 1, 1))

    def test_needs_review_unlabelled_is_not_usable(self):
        labels = score.load_labels([self.labels("none.jsonl", [])], None)
        r, unl = score.score(load_json(self.new), self.new, labels)
        self.assertEqual((r["all"]["usable"], r["all"]["needs_review"], r["all"]["unlabelled"]), (0, 1, 2))

    def test_old_labels_still_read(self):
        old = self.labels(
            "old.jsonl",
            [
                {"doc": "bio", "question": Q1["question"], "correct_answer": "haemoglobin", "usable": True, "class": "ok"},
                {"doc": "bio", "question": Q2["question"], "correct_answer": "True", "options": TF, "usable": False, "class": "trivial"},
            ],
        )
        r, unl = score.score(load_json(self.old), self.old, score.load_labels([old], None))
        self.assertEqual((r["all"]["usable"], r["all"]["old_classes"]["trivial"], unl), (1, 1, []))

    def test_a_run_is_the_same_run_in_another_clone(self):
        # The key stores the absolute path the batches were made with; exam
        # ratings still attach to the run in a clone elsewhere.
        made = "/work/main/bench/exam-quality/results/llm.json"
        self.assertEqual(score.run_identity(made), score.run_identity("/tmp/fresh/bench/exam-quality/results/llm.json"))
        self.assertNotEqual(score.run_identity(made), score.run_identity("/work/main/bench/exam-quality/results/rules.json"))
        self.assertEqual(score.run_identity(""), "")


if __name__ == "__main__":
    unittest.main()
