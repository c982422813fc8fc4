"""Tests of tools/corpora/bible.py on real diatheke output kept in tests/fixtures.

The fixtures were written on Debian 12 (diatheke 4.8) with
  diatheke -b spaRV1909eb  -k "$Q" > tests/fixtures/osis_sample_es.txt
  diatheke -b engWEB2015eb -k "$Q" > tests/fixtures/osis_sample_en.txt
  Q="Genesis 1:1-2; Joshua 1:1; Psalms 3:1; Song of Solomon 5:1; Matthew 4:10; 1 John 1:1;
     3 John 1:14-15; Revelation 12:17-18; Revelation 22:20-21"
  diatheke -b engKJV2006eb -k "Genesis 1:1-2; Exodus 17:16; Psalms 3:1; Revelation 22:21" \
    > tests/fixtures/osis_sample_kjv.txt
RV1909 has no 3 John 1:15 nor Revelation 12:18 (diatheke gives Jude 1:1 and Revelation 13:1
instead); WEB has them, empty. WEB's and KJV's lines after Psalm 3 start with Psalm 3's title
(diatheke repeats the last Psalm title), and WEB's Revelation 22:21 holds its whole glossary.
Run from the repository root: python3 -m unittest discover -s tests/corpora
"""

import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "corpora"))

import bible  # noqa: E402

DATA = ROOT / "tests" / "fixtures"


def read(name):
    return (DATA / name).read_text(encoding="utf-8")


def text_of(module, key):
    return bible.words_text(module[0][key])


class SplitVerses(unittest.TestCase):
    def test_keys_with_spaces_and_roman_numerals(self):
        keys = [(v.book, v.chapter, v.verse) for v in bible.split_verses(read("osis_sample_es.txt"))]
        self.assertEqual(keys, [
            ("Genesis", 1, 1), ("Genesis", 1, 2), ("Joshua", 1, 1), ("Psalms", 3, 1),
            ("Song of Solomon", 5, 1), ("Matthew", 4, 10), ("I John", 1, 1), ("III John", 1, 14),
            ("Jude", 1, 1), ("Revelation of John", 12, 17), ("Revelation of John", 13, 1),
            ("Revelation of John", 22, 20), ("Revelation of John", 22, 21)])

    def test_module_line_is_not_verse_text(self):
        last = bible.split_verses(read("osis_sample_es.txt"))[-1]
        self.assertNotIn("spaRV1909eb", last.markup)
        self.assertEqual(text_of(bible.parse_module(read("osis_sample_es.txt")),
                                 ("Revelation of John", 22, 21)),
                         "La gracia de nuestro Señor Jesucristo sea con todos vosotros. Amén.")

    def test_preverse_heading_before_key_is_dropped(self):
        en = bible.parse_module(read("osis_sample_en.txt"))
        self.assertEqual(text_of(en, ("Psalms", 3, 1)),
                         "Yahweh, how my adversaries have increased! Many are those who rise up "
                         "against me.")
        # the stale Psalm 3 title printed before Song of Solomon 5:1 belongs to neither verse
        self.assertNotIn("Absalom", text_of(en, ("Psalms", 3, 1)))
        self.assertNotIn("Absalom", text_of(en, ("Song of Solomon", 5, 1)))
        self.assertNotIn("Absalom", text_of(en, ("Joshua", 1, 1)))

    def test_glossary_after_the_last_verse_is_cut(self):
        en = bible.parse_module(read("osis_sample_en.txt"))
        self.assertEqual(text_of(en, ("Revelation of John", 22, 21)),
                         "The grace of the Lord Jesus Christ be with all the saints. Amen.")

    def test_multi_line_verse(self):
        # Constructed: the default output of these modules has one verse per line on Debian 12,
        # but diatheke may break a verse over lines (it does with -f plain); the lines up to
        # the next key's line belong to the verse, the headings before the next key do not.
        text = ('Psalms 3:1: <w savlm="strong:H3068">Yahweh</w>, how\n'
                'my adversaries have <w savlm="strong:H7231">increased</w>!\n'
                '<title type="psalm">Heading</title> <l sID="x"/>Psalms 3:2: Many\n'
                '(engWEB2015eb)\n')
        verses, order, _ = bible.parse_module(text)
        self.assertEqual(order, [("Psalms", 3, 1), ("Psalms", 3, 2)])
        self.assertEqual(bible.words_text(verses[("Psalms", 3, 1)]),
                         "Yahweh, how my adversaries have increased!")
        self.assertEqual(bible.words_text(verses[("Psalms", 3, 2)]), "Many")


class StrongsNumbers(unittest.TestCase):
    def test_parse_strongs_forms(self):
        self.assertEqual(bible.parse_strongs("strong:H0430"), ["H430"])
        self.assertEqual(bible.parse_strongs("strong:H0853 strong:H8064"), ["H853", "H8064"])
        self.assertEqual(bible.parse_strongs("strong:G2424 G5547"), ["G2424", "G5547"])
        self.assertEqual(bible.parse_strongs("G5547"), ["G5547"])
        self.assertEqual(bible.parse_strongs("lemma.TR:foo strong:G1063"), ["G1063"])

    def test_phrase_tag_numbers_every_word(self):
        es = bible.parse_module(read("osis_sample_es.txt"))[0]
        words = es[("Genesis", 1, 1)]
        self.assertEqual([w.text for w in words],
                         "EN el principio crió Dios los cielos y la tierra.".split())
        self.assertEqual([sorted(w.strongs) for w in words],
                         [["H7225"]] * 3 + [["H1254"], ["H430"]] + [["H8064"]] * 2
                         + [["H776"]] * 3)

    def test_several_numbers_and_lemma(self):
        es = bible.parse_module(read("osis_sample_es.txt"))[0]
        jesucristo = [w for w in es[("Revelation of John", 22, 21)] if w.text == "Jesucristo"]
        self.assertEqual(sorted(jesucristo[0].strongs), ["G2424", "G5547"])
        kjv_style = bible.parse_markup('<w lemma="strong:G1063" savlm="strong:G1063">For</w> God')
        self.assertEqual(kjv_style, [bible.Word("For", frozenset({"G1063"})),
                                     bible.Word("God", frozenset())])

    def test_punctuation_outside_the_tag_stays_on_the_word(self):
        words = bible.parse_markup('<w savlm="strong:H0430">Dios</w>: “<w savlm="strong:H1961">'
                                   'Sea</w>')
        self.assertEqual(words, [bible.Word("Dios:", frozenset({"H430"})),
                                 bible.Word("“Sea", frozenset({"H1961"}))])


class WrittenText(unittest.TestCase):
    def setUp(self):
        self.es = bible.parse_module(read("osis_sample_es.txt"))
        self.en = bible.parse_module(read("osis_sample_en.txt"))

    def test_adjacent_w_elements_are_two_words(self):
        # WEB: <w …>God</w><w …>created</w>
        words = self.en[0][("Genesis", 1, 1)]
        self.assertEqual(bible.words_text(words),
                         "In the beginning, God created the heavens and the earth.")
        self.assertEqual(words[3], bible.Word("God", frozenset({"H430"})))
        self.assertEqual(words[4], bible.Word("created", frozenset({"H1254"})))

    def test_missing_space_after_punctuation(self):
        # WEB: Yahweh</w>,<w …>Yahweh  and  me</w>,</q><q marker=""><w …>Satan</w>
        self.assertIn("of Yahweh, Yahweh spoke", text_of(self.en, ("Joshua", 1, 1)))
        self.assertIn("“Get behind me, Satan!", text_of(self.en, ("Matthew", 4, 10)))

    def test_added_word_after_a_tag(self):
        # RV1909: esposa</w><transChange type="added">mía</transChange>
        self.assertIn("oh hermana, esposa mía: cogido", text_of(self.es, ("Song of Solomon", 5, 1)))
        # …but an enclitic pronoun added to a verb stays on it (RV1909 Acts 7:34 and others)
        words = bible.parse_markup('<w savlm="strong:G0191">oyéndo</w><transChange type="added">'
                                   'lo</transChange> <w savlm="strong:G2532">y</w>')
        self.assertEqual([w.text for w in words], ["oyéndolo", "y"])
        self.assertEqual(words[0].strongs, frozenset({"G191"}))

    def test_speaker_labels_are_dropped(self):
        text = text_of(self.en, ("Song of Solomon", 5, 1))
        self.assertTrue(text.startswith("I have come into my garden"))
        self.assertTrue(text.endswith("Eat, friends! Drink, yes, drink abundantly, beloved."))
        self.assertNotIn("Friends", text)

    def test_kjv_markup(self):
        kjv = bible.parse_module(read("osis_sample_kjv.txt"))
        self.assertEqual(text_of(kjv, ("Exodus", 17, 16)),  # `the \nd <w …>LORD</w>`
                         "For he said, Because the LORD hath sworn that the LORD will have war "
                         "with Amalek from generation to generation.")
        self.assertEqual(text_of(kjv, ("Psalms", 3, 1)),  # title, divineName, transChange
                         "LORD, how are they increased that trouble me! many are they that rise "
                         "up against me.")
        self.assertEqual(len(kjv[1]), 5)

    def test_pilcrow_nfc_and_whitespace(self):
        words = bible.parse_markup('¶ And\t<w savlm="strong:H0430">Go\u0301d</w>  said,<div '
                                   'eID="x" type="x-p"/>Let')
        self.assertEqual(bible.words_text(words), "And Gód said, Let")
        self.assertEqual(words[1].text, "G\u00f3d")


class Pairs(unittest.TestCase):
    def setUp(self):
        self.pairs, self.stats = bible.make_pairs(read("osis_sample_es.txt"),
                                                  read("osis_sample_en.txt"))

    def test_verses_in_both_only(self):
        keys = [p.key for p in self.pairs]
        self.assertEqual(len(keys), 11)
        for missing in [("III John", 1, 15), ("Revelation of John", 12, 18), ("Jude", 1, 1),
                        ("Revelation of John", 13, 1)]:
            self.assertNotIn(missing, keys)
        self.assertEqual(self.stats["only_in_source"], 2)   # Jude 1:1, Revelation 13:1
        self.assertEqual(self.stats["only_in_target"], 2)   # 3 John 1:15, Revelation 12:18

    def test_alignment_of_genesis_1_1(self):
        p = self.pairs[0]
        self.assertEqual(p.source, "EN el principio crió Dios los cielos y la tierra.")
        self.assertEqual(p.target, "In the beginning, God created the heavens and the earth.")
        # "EN el principio" (H7225) – "beginning,"; "Dios" (H430) – "In", "God", "and" (WEB
        # gives God's number to "In" and "and"); "y la tierra." (H776) – "earth."
        self.assertEqual(bible.pharaoh(p.links),
                         "0-2 1-2 2-2 3-4 4-0 4-3 4-7 5-6 6-6 7-9 8-9 9-9")

    def test_links_index_words_and_are_sorted(self):
        for p in self.pairs:
            ns, nt = len(p.source.split()), len(p.target.split())
            self.assertTrue(all(0 <= i < ns and 0 <= j < nt for i, j in p.links), p.key)
            self.assertEqual(p.links, sorted(set(p.links)))
            for field in (p.source, p.target):
                self.assertNotIn("\t", field)
                self.assertNotIn("\n", field)
                self.assertEqual(field, " ".join(field.split()))
        self.assertEqual(bible.pharaoh([(2, 10), (10, 2)]), "2-10 10-2")
        self.assertEqual(bible.pharaoh([]), "")

    def test_split_by_whole_books(self):
        splits = bible.split_pairs(self.pairs, valid_books=("Joshua",),
                                   test_books=("Revelation of John", "I John"))
        self.assertEqual([p.key[0] for p in splits["valid"]], ["Joshua"])
        self.assertEqual({p.key[0] for p in splits["test"]}, {"Revelation of John", "I John"})
        self.assertEqual(len(splits["test"]), 4)  # Revelation 12:17, 22:20, 22:21; I John 1:1
        self.assertEqual(len(splits["train"]), 11 - 1 - 4)
        with self.assertRaises(ValueError):
            bible.split_pairs(self.pairs, valid_books=("John",), test_books=("John",))
        self.assertFalse(set(bible.VALID_BOOKS) & set(bible.TEST_BOOKS))

    def test_english_splits_hold_the_held_out_books_out_of_train(self):
        splits = bible.split_pairs(self.pairs, valid_books=("Joshua",),
                                   test_books=("Revelation of John", "I John"))
        kjv, order, _ = bible.parse_module(read("osis_sample_en.txt"))
        english = bible.english_splits(splits, kjv, order, valid_books=("Joshua",),
                                       test_books=("Revelation of John", "I John"))
        self.assertEqual(english["valid"], [p.target for p in splits["valid"]])
        self.assertEqual(english["test"], [p.target for p in splits["test"]])
        kept = [k for k in order if kjv[k] and k[0] not in ("Joshua", "Revelation of John", "I John")]
        self.assertGreater(len(kept), 0)
        self.assertEqual(len(english["train"]), len(splits["train"]) + len(kept))
        self.assertEqual(english["train"][:len(splits["train"])], [p.target for p in splits["train"]])
        held_out = {bible.words_text(kjv[k]) for k in order if k[0] in ("Joshua", "I John")}
        self.assertTrue(held_out)
        self.assertFalse(held_out & set(english["train"][len(splits["train"]):]))

    def test_excluded_chapters(self):
        pairs, stats = bible.make_pairs(read("osis_sample_es.txt"), read("osis_sample_en.txt"),
                                        exclude_chapters=[("Genesis", 1)])
        self.assertEqual(len(pairs), 9)
        self.assertEqual(stats["excluded"], 2)


class ChapterConsistency(unittest.TestCase):
    @staticmethod
    def verse(*numbers):
        return [bible.Word(f"w{k}", frozenset({n})) for k, n in enumerate(numbers)]

    def test_shifted_chapter_is_found(self):
        src = {("Jonah", 2, v): self.verse(f"H{v}", f"H{100 + v}") for v in range(1, 11)}
        same = dict(src)
        shifted = {("Jonah", 2, v): self.verse(f"H{v + 1}", f"H{101 + v}") for v in range(1, 11)}
        self.assertEqual(bible.inconsistent_chapters(src, same), [])
        self.assertEqual(bible.inconsistent_chapters(src, shifted), [("Jonah", 2)])
        a = bible.chapter_agreement(src, shifted)[("Jonah", 2)]
        self.assertEqual(a[0], 0.0)
        self.assertEqual(a[1], 1.0)

    def test_chapter_ranges(self):
        self.assertEqual(bible.chapter_ranges([("Psalms", 4), ("Job", 40), ("Psalms", 3),
                                               ("Psalms", 9)], ["Job", "Psalms"]),
                         "Job 40; Psalms 3-4, 9")


if __name__ == "__main__":
    unittest.main()
