"""Unit tests of the surface-cue strategies on hand-made questions.

    python3 -m unittest discover -s bench/exam-quality -p 'test_*.py'
"""
import unittest

import cues


def tf(statement, key):
    return {"question": f"True or false: {statement}", "options": ["True", "False"], "correct_answer": key, "type": "true_false"}


def mc(question, options, key):
    return {"question": question, "options": options, "correct_answer": key, "type": "multiple_choice"}


PAIR_OPTS = ["I only", "II only", "Both I and II", "Neither I nor II"]


class Negation(unittest.TestCase):
    def test_true_false(self):
        self.assertEqual(cues.answer("negation", tf("Mitochondria do not produce ATP.", "False")), {"False"})
        self.assertEqual(cues.answer("negation", tf("Mitochondria produce ATP.", "True")), {"True"})
        self.assertEqual(cues.answer("negation", tf("Plants can’t move.", "True")), {"False"})
        self.assertEqual(cues.answer("negation", tf("A cell cannot divide.", "True")), {"False"})

    def test_statement_options(self):
        q = mc(
            "Which of the following statements is true, according to the lecture?",
            ["Ferns are not vascular plants.", "Mosses have no roots.", "Conifers bear cones.", "Algae never photosynthesise."],
            "Conifers bear cones.",
        )
        self.assertEqual(cues.form_of(q), "statements")
        self.assertEqual(cues.answer("negation", q), {"Conifers bear cones."})
        q["question"] = "Which of the following statements is false?"
        self.assertEqual(cues.answer("negation", q), {"Ferns are not vascular plants.", "Mosses have no roots.", "Algae never photosynthesise."})

    def test_statement_pair(self):
        q = mc("Which of these statements are true? (I) Koalas are marsupials. (II) Kiwis do not fly.", PAIR_OPTS, "Both I and II")
        self.assertEqual(cues.form_of(q), "pair")
        self.assertEqual(cues.answer("negation", q), {"I only"})
        q = mc("Which of these statements are false? (I) Koalas are marsupials. (II) Kiwis do not fly.", PAIR_OPTS, "II only")
        self.assertEqual(cues.answer("negation", q), {"II only"})

    def test_cloze_is_not_its_domain(self):
        q = mc("Fill in the blank: The _____ carries oxygen.", ["haemoglobin", "insulin", "keratin", "collagen"], "haemoglobin")
        self.assertEqual(cues.answer("negation", q), set(q["options"]))
        self.assertNotIn(cues.form_of(q), cues.DOMAIN["negation"])


class Absolutes(unittest.TestCase):
    def test_true_false(self):
        self.assertEqual(cues.answer("absolutes", tf("Islands always have fewer species.", "False")), {"False"})
        self.assertEqual(cues.answer("absolutes", tf("Only mammals nurse their young.", "True")), {"False"})
        self.assertEqual(cues.answer("absolutes", tf("Islands have fewer species.", "True")), {"True"})


class OddOneOut(unittest.TestCase):
    Q = mc(
        "Fill in the blank: An island's species number depends on its _____.",
        ["size", "colour", "area and distance from the mainland", "name"],
        "area and distance from the mainland",
    )

    def test_longest(self):
        self.assertEqual(cues.answer("longest", self.Q), {"area and distance from the mainland"})

    def test_longest_tie_is_a_coin_toss(self):
        q = mc("Which?", ["abc", "abd", "a"], "abc")
        picked = cues.answer("longest", q)
        self.assertEqual(picked, {"abc", "abd"})
        self.assertEqual(cues.score_one(picked, q), 0.5)

    def test_specific(self):
        q = mc("Which gene?", ["a gene", "the BRCA1 tumour-suppressor gene", "some gene", "any gene"], "the BRCA1 tumour-suppressor gene")
        self.assertEqual(cues.answer("specific", q), {"the BRCA1 tumour-suppressor gene"})
        self.assertEqual(cues.specificity("the BRCA1 tumour-suppressor gene"), (2, 4))

    def test_stem(self):
        q = mc(
            "Which process lets plants turn light into chemical energy?",
            ["respiration", "light-dependent photosynthesis", "transpiration", "germination"],
            "light-dependent photosynthesis",
        )
        self.assertEqual(cues.answer("stem", q), {"light-dependent photosynthesis"})

    def test_stem_undecided_without_overlap(self):
        q = mc("Which organ pumps blood?", ["heart", "liver", "lung", "kidney"], "heart")
        self.assertEqual(cues.answer("stem", q), set(q["options"]))

    def test_grammar_article(self):
        q = mc("Fill in the blank: The koala is an _____ that eats eucalyptus.", ["marsupial", "animal", "rodent", "bird"], "animal")
        self.assertEqual(cues.answer("grammar", q), {"animal"})
        q = mc("Fill in the blank: A(n) _____ is a marsupial.", ["koala", "emu", "ibis", "bat"], "koala")
        self.assertEqual(cues.answer("grammar", q), set(q["options"]))

    def test_grammar_number(self):
        q = mc("Fill in the blank: _____ are found only in Australia.", ["Koalas", "Lion", "Tiger", "Elephant"], "Koalas")
        self.assertEqual(cues.answer("grammar", q), {"Koalas"})
        q = mc("Fill in the blank: The _____ is a marsupial.", ["koala", "wombat", "possum", "bandicoot"], "koala")
        self.assertEqual(cues.answer("grammar", q), set(q["options"]))

    def test_convergence(self):
        q = mc(
            "Which describes the Wallace line?",
            ["a faunal boundary in Indonesia", "a faunal boundary in Africa", "a climate boundary in Indonesia", "a river"],
            "a faunal boundary in Indonesia",
        )
        self.assertEqual(cues.answer("convergence", q), {"a faunal boundary in Indonesia"})


class AllNone(unittest.TestCase):
    def test_all_of_the_above(self):
        q = mc("Which are mammals?", ["whales", "bats", "mice", "All of the above"], "All of the above")
        self.assertEqual(cues.answer("all-above", q), {"All of the above"})
        self.assertEqual(cues.answer("none-above", q), set(q["options"]))

    def test_both_and_neither(self):
        q = mc("Which of these statements are true? (I) A. (II) B.", PAIR_OPTS, "I only")
        self.assertEqual(cues.answer("all-above", q), {"Both I and II"})
        self.assertEqual(cues.answer("none-above", q), {"Neither I nor II"})


class Scoring(unittest.TestCase):
    def run_of(self, questions, kind="textbook"):
        return {"docs": [{"id": "d", "kind": kind, "questions": questions}]}

    def test_negation_cue_flagged(self):
        qs = [tf(f"Fact {i} is not so.", "False") for i in range(5)] + [tf(f"Fact {i} is so.", "True") for i in range(5)]
        s = cues.summary(self.run_of(qs))
        self.assertEqual(s["all"]["negation"]["score"], 100.0)
        self.assertEqual(s["all"]["negation"]["chance"], 50.0)
        self.assertTrue(s["all"]["negation"]["flag"])

    def test_no_cue_stays_at_chance(self):
        qs = [tf(f"Fact {i} is not so.", "True") for i in range(5)] + [tf(f"Fact {i} is so.", "False") for i in range(5)]
        qs += [tf(f"Fact {i} holds not.", "False") for i in range(5)] + [tf(f"Fact {i} holds.", "True") for i in range(5)]
        s = cues.summary(self.run_of(qs))
        self.assertEqual(s["all"]["negation"]["score"], 50.0)
        self.assertFalse(s["all"]["negation"]["flag"])

    def test_undecided_counts_as_chance(self):
        qs = [mc("Which organ pumps blood?", ["heart", "liver", "lung", "kidney"], "heart")] * 6
        s = cues.summary(self.run_of(qs))
        self.assertEqual(s["all"]["stem"]["decided"], 0)
        self.assertEqual(s["all"]["stem"]["score"], 25.0)
        self.assertEqual(s["all"]["stem"]["chance"], 25.0)

    def test_position(self):
        qs = [mc("Which?", ["a", "b", "c", "d"], "c")] * 6 + [mc("Which?", ["a", "b", "c", "d"], "a")] * 2
        p = cues.summary(self.run_of(qs))["all"]["position-mc"]
        self.assertEqual((p["position"], p["share"], p["chance"], p["flag"]), (3, 75.0, 25.0, True))

    def test_strategies_never_see_the_key(self):
        q = tf("Fact is not so.", "True")
        for s in cues.STRATEGIES:
            a = cues.answer(s, q)
            b = cues.answer(s, dict(q, correct_answer="False"))
            self.assertEqual(a, b, s)


if __name__ == "__main__":
    unittest.main()
