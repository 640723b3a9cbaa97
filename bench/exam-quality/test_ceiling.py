"""Tests of ceiling.py: the best exam from labelled questions."""
import unittest

from ceiling import best_exam, ceiling


def lab(verdict):
    return {"verdict": verdict, "class": "ok", "labellers": 2, "old": False}


TF = ("False", "True")


class CeilingTest(unittest.TestCase):
    def test_true_false_split_stays_within_one(self):
        # 5 usable true statements and 1 false one: 1 false + 2 true at most.
        self.assertEqual(best_exam({"choice": 20, "true": 5, "false": 1}, 12, 8), 12 + 3)
        self.assertEqual(best_exam({"choice": 2, "true": 9, "false": 9}, 12, 8), 2 + 8)
        self.assertEqual(best_exam({"choice": 0, "true": 0, "false": 0}, 12, 8), 0)

    def test_each_question_counts_once_per_lecture(self):
        by_ident = {
            ("bio", "Fill in the blank: _____ carries oxygen.", "haemoglobin", ("collagen", "haemoglobin", "insulin", "keratin")): lab("usable"),
            ("bio", "Which carries oxygen?", "haemoglobin", ("collagen", "haemoglobin", "insulin", "keratin")): lab("edit"),
            ("bio", "True or false: Koalas are marsupials.", "True", TF): lab("usable"),
            ("bio", "True or false: Kiwis fly.", "False", TF): lab("usable"),
            ("geo", "True or false: Rivers flow uphill.", "False", TF): lab("unusable"),
        }
        rows = ceiling(by_ident, 12, 8)
        self.assertEqual((rows["bio"]["choice"], rows["bio"]["true"], rows["bio"]["false"], rows["bio"]["best"], rows["bio"]["labelled"]), (1, 1, 1, 3, 4))
        self.assertEqual(rows["geo"]["best"], 0)


if __name__ == "__main__":
    unittest.main()
