"""Tests of tools/corpora/fortunes.py; tests/fixtures/fortunes_sample.txt holds five real fortunes
(Debian's fortunes package: computers ×2, people, science, definitions) with overstrikes, a
bell character, tab-indented attributions and a blank line.
Run from the repository root: python3 -m unittest discover -s tests/corpora
"""

import os
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "corpora"))

import fortunes  # noqa: E402

SAMPLE = (ROOT / "tests" / "fixtures" / "fortunes_sample.txt").read_text(encoding="utf-8")


class Parsing(unittest.TestCase):
    def setUp(self):
        self.docs = fortunes.parse_fortune_file(SAMPLE)

    def test_entries(self):
        self.assertEqual(len(fortunes.split_entries(SAMPLE)), 5)
        self.assertEqual(len(self.docs), 5)
        for d in self.docs:
            self.assertNotIn("\t", d)
            self.assertNotIn("\n", d)
            self.assertFalse(any(ord(c) < 32 for c in d))

    def test_lines_joined_with_separator_and_tabs_collapsed(self):
        self.assertEqual(self.docs[2],
                         'A "practical joker" deserves applause for his wit according to its '
                         "quality. ||| Bastinado is about right. For exceptional wit one might "
                         "grant keelhauling. ||| But staking him out on an anthill should be "
                         "reserved for the very wittiest. ||| -- Lazarus Long")
        # the blank line is dropped; "(1)\tA sheet" → "(1) A sheet"
        self.assertEqual(self.docs[3].split(fortunes.LINE_SEP),
                         ["(1) A sheet of paper is an ink-lined plane.",
                          "(2) An inclined plane is a slope up.",
                          "(3) A slow pup is a lazy dog.",
                          "QED: A sheet of paper is a lazy dog.",
                          '-- Willard Espy, "An Almanac of Words at Play"'])

    def test_overstrikes_and_control_characters(self):
        self.assertIn("the notion of *friends*: cooperative classes", self.docs[0])
        self.assertEqual(self.docs[1], "Ask not for whom the <CONTROL-G> tolls.")
        self.assertIn("`n+1' trivial tasks take twice as long as `n' trivial tasks.", self.docs[4])
        self.assertEqual(fortunes.resolve_overstrikes("_\bH\bHi\n\bx"), "Hi\nx")

    def test_literal_bars_cannot_fake_a_line_break(self):
        self.assertEqual(fortunes.clean_document("a ||| b\nc"), "a | | | b ||| c")


class ClassesAndSplit(unittest.TestCase):
    @staticmethod
    def file_of(docs):
        return "\n%\n".join(docs) + "\n"

    def test_duplicates_and_shared_documents(self):
        files = {"a": self.file_of(["x", "y", "y", "shared"] + [f"a{i}" for i in range(3)]),
                 "b": self.file_of(["shared"] + [f"b{i}" for i in range(5)]),
                 "small": self.file_of(["s1"])}
        classes, info = fortunes.build_classes(files, min_per_class=4)
        self.assertEqual(sorted(classes), ["a", "b"])
        self.assertEqual(classes["a"], ["x", "y", "a0", "a1", "a2"])
        self.assertEqual(info["a"], {"fortunes": 7, "duplicates": 1, "in_other_files": 1,
                                     "documents": 5})
        self.assertNotIn("shared", classes["b"])

    def test_stratified_deterministic_split(self):
        classes = {"big": [f"big{i}" for i in range(200)], "small": [f"s{i}" for i in range(31)]}
        a = fortunes.stratified_split(classes)
        b = fortunes.stratified_split(classes)
        self.assertEqual(a, b)
        count = {name: {} for name in a}
        for name, rows in a.items():
            for label, _ in rows:
                count[name][label] = count[name].get(label, 0) + 1
        self.assertEqual(count["valid"], {"big": 20, "small": 3})
        self.assertEqual(count["test"], {"big": 20, "small": 3})
        self.assertEqual(count["train"], {"big": 160, "small": 25})
        docs = [d for rows in a.values() for _, d in rows]
        self.assertEqual(len(docs), len(set(docs)))
        self.assertEqual(len(docs), 231)

    def test_fortune_files_skips_indexes_links_and_off(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ["art", "art.dat", "zippy", ".hidden"]:
                Path(d, name).write_text("x\n%\ny\n")
            os.symlink("art", os.path.join(d, "art.u8"))
            os.mkdir(os.path.join(d, "off"))
            Path(d, "off", "racism").write_text("x\n")
            self.assertEqual(fortunes.fortune_files(d), ["art", "zippy"])


if __name__ == "__main__":
    unittest.main()
