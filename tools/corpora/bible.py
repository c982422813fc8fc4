#!/usr/bin/env python3
"""Verse-aligned Spanish→English Bible pairs with a Strong's-number word alignment.

Reads diatheke's default (OSIS-like) output of whole modules, e.g.

    diatheke -b spaRV1909eb -k "Genesis 1:1 - Revelation 22:21" > es.txt

and writes train/valid/test .tsv (source<TAB>target) with line-aligned .align files (Pharaoh
`i-j`, 0-based word indices, where source word i and target word j carry a common Strong's
number), plus kjv.txt (one KJV verse per line) and a README.md.

What diatheke prints, as seen on Debian 12 (diatheke 4.8 / SWORD 1.9.0):
- one verse per line, `Book C:V: text`; book names may hold spaces, Roman numerals and
  parentheses (`I John`, `Revelation of John`, `Esther (Greek)`); last line `(moduleName)`.
- before the key, on the same line, the verse's pre-verse headings: `<title>…</title>` and
  `<lg>`/`<l>` milestones. In WEB and KJV the most recent Psalm title is repeated before every
  later verse (a diatheke quirk), so whatever precedes the key on its line is dropped.
- the text may continue on further lines (not seen in the default output of these modules, but
  the `-f plain` output does it); lines up to the next key's line belong to the verse.
- `<w savlm="strong:H0430">Dios</w>` (a phrase inside one <w> shares its numbers; several numbers
  are written `strong:G2424 G5547` or `strong:H0853 strong:H8064`; `lemma="G5547"` /
  `lemma="strong:G5547"` is read too); `<transChange>`, `<divineName>`, `<q>`, `<seg>` are inline
  (text kept); `<title>`, `<note>`, `<speaker>` are dropped with their text; milestones
  (`<div/>`, `<l/>`, `<lb/>`, `<chapter/>`) separate words; `¶` and USFM leftovers (`\\nd `) are
  removed; WEB's glossary after Revelation 22:21 (after the book's closing `<div type="book">`)
  is cut. `</w><w …>` with nothing between separates two words (WEB writes
  `God</w><w …>created`), except an added Spanish enclitic (`oyéndo</w><transChange>lo`); so
  does a missing space after punctuation (WEB `Yahweh</w>,<w …>Yahweh`).

The modules share verse keys but not always verse content: RV1909 follows the Hebrew numbering
in a few chapters (Jonah 2, Job 39-40, …) and WEB's Strong's tags (not its text) in ~100
(titled Psalms, Genesis 32, …). inconsistent_chapters() finds them from the tags (for the text,
against the hand-tagged KJV) and main() leaves them out (--keep-inconsistent keeps them).

Only the standard library is used; the parsing functions take strings so they can be tested
without the packages installed.
"""

import argparse
import html
import os
import re
import sys
import time
import unicodedata
from typing import Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Tuple

# --------------------------------------------------------------------------------------------
# Splitting diatheke's output into verses

# A verse key: at the start of a line or right after a tag (pre-verse headings), then
# `Book C:V: `. Books: `Genesis`, `I John`, `Song of Solomon`, `Esther (Greek)`, `1 John`.
KEY_RE = re.compile(r"(?m)(?:^|(?<=>))[ \t]*([A-Z1-4][A-Za-z0-9() ]*?) (\d+):(\d+): ")
# The trailing `(moduleName)` line diatheke prints after the last verse.
MODULE_LINE_RE = re.compile(r"\n?^\([A-Za-z0-9_.-]+\)[ \t]*\n?\Z", re.M)

VerseKey = Tuple[str, int, int]


class RawVerse(NamedTuple):
    book: str
    chapter: int
    verse: int
    markup: str


def split_verses(text: str) -> List[RawVerse]:
    """Splits diatheke's output into verses, in the order printed.

    A verse's markup runs from after its key to the end of the line before the next key's line
    (so continuation lines are kept and the next verse's pre-verse headings are not).
    """
    text = text.replace("\r\n", "\n")
    text = MODULE_LINE_RE.sub("", text)
    keys = list(KEY_RE.finditer(text))
    verses = []
    for k, m in enumerate(keys):
        end = len(text)
        if k + 1 < len(keys):
            nxt = keys[k + 1].start()
            newline = text.rfind("\n", m.end(), nxt)
            end = newline if newline >= 0 else nxt
        verses.append(RawVerse(m.group(1), int(m.group(2)), int(m.group(3)), text[m.end():end]))
    return verses


# --------------------------------------------------------------------------------------------
# Markup → words with Strong's numbers

class Word(NamedTuple):
    text: str
    strongs: FrozenSet[str]


TOKEN_RE = re.compile(r"<[^<>]*>|[^<]+|<")
TAG_NAME_RE = re.compile(r"<\s*/?\s*([A-Za-z][A-Za-z0-9_:-]*)")
ATTR_RE = re.compile(r'([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*"([^"]*)"')
STRONG_RE = re.compile(r"^([HG])0*(\d+)([a-z]?)$")
# USFM character markers that leaked into the text (KJV: `\nd LORD`), and stray tags such as
# `<G5547>` that are not elements.
USFM_RE = re.compile(r"\\\+?[a-z]+[0-9]*\*?")
STRAY_TAG_RE = re.compile(r"^<\s*/?\s*[HG]\d+[a-z]?\s*/?\s*>$")

DROP_ELEMENTS = {"title", "note", "speaker", "rdg", "figure"}
INLINE_ELEMENTS = {"w", "transChange", "divineName", "q", "seg", "hi", "name", "foreign",
                   "catchWord", "abbr", "added", "rf", "a", "reference", "inscription"}
END_DIV_TYPES = {"glossary", "introduction", "colophon", "appendix", "bookGroup"}
# `</w><w>` / `</w><transChange>` / `</transChange><w>` / `</q><q><w>` with nothing between: a
# word boundary (WEB `God</w><w …>created`, RV `esposa</w><transChange>mía`), except for a
# Spanish enclitic pronoun added to a verb (`oyéndo</w><transChange>lo` is one word).
GLUED_ELEMENTS = {"w", "transChange", "q"}
ENCLITIC_RE = re.compile(r"^(?:(?:me|te|se|nos|os)(?:lo|la|le|los|las|les)?|lo|la|le|los|las|les)"
                         r"[^\w]*$")
NOT_A_VERB = {"a", "á", "al", "con", "cual", "cuando", "de", "del", "e", "el", "él", "ella",
              "en", "esta", "ésta", "este", "éste", "mas", "más", "ni", "no", "nos", "o", "os",
              "para", "pero", "por", "que", "qué", "si", "sí", "sin", "sino", "sólo", "solo",
              "también", "u", "y", "ya"}


def parse_strongs(value: str) -> List[str]:
    """`strong:H0853 strong:H8064`, `strong:G2424 G5547`, `G5547` → ['H853', 'H8064'] etc."""
    out = []
    for part in value.split():
        if part.startswith("strong:"):
            part = part[len("strong:"):]
        m = STRONG_RE.match(part)
        if m:
            out.append(m.group(1) + m.group(2) + m.group(3))
    return out


def _attrs(tag: str) -> Dict[str, str]:
    return {k: html.unescape(v) for k, v in ATTR_RE.findall(tag)}


# Punctuation that, written right before a <w> starting with a letter, lacks its space
# (WEB `Yahweh</w>,<w …>Yahweh spoke`).
GLUE_PUNCT = ",.;:!?"


def _is_boundary(word_so_far: str, next_text: str) -> bool:
    """Whether `…</w><w>next` (or `…</w>,<w>next`) separates two words."""
    if not word_so_far:
        return False
    if word_so_far[-1] in GLUE_PUNCT:
        return next_text[:1].isalpha()
    first = next_text.split(maxsplit=1)[0] if next_text.strip() else ""
    enclitic = (next_text[:1].isalpha() and ENCLITIC_RE.match(first) is not None
                and word_so_far.lower() not in NOT_A_VERB)
    return not enclitic


def parse_markup(markup: str) -> List[Word]:
    """The written words of one verse (whitespace-separated, NFC) with their Strong's numbers.

    A word carries the numbers of every <w> element any of its characters sits in.
    """
    words: List[Word] = []
    cur_text: List[str] = []     # pieces of the word being read
    cur_nums: set = set()
    open_inline: List[Optional[FrozenSet[str]]] = []  # numbers per open inline element (w)
    drop_depth = 0               # > 0 inside <title>, <note>, …
    glued = False                # last token: `</w>`/`</transChange>`, or text ending in `,.;:!?`
    check_boundary = False       # …followed by `<w>`/`<transChange>`: decide at the next text

    def flush():
        nonlocal cur_nums
        if cur_text:
            words.append(Word(unicodedata.normalize("NFC", "".join(cur_text)),
                              frozenset(cur_nums)))
        cur_text.clear()
        cur_nums = set()

    for tok in TOKEN_RE.findall(markup):
        if tok.startswith("<") and tok.endswith(">") and len(tok) > 1:
            if STRAY_TAG_RE.match(tok) or tok.startswith(("<!", "<?")):
                continue
            m = TAG_NAME_RE.match(tok)
            if not m:
                continue
            name = m.group(1)
            closing = tok.lstrip("< ").startswith("/")
            empty = tok.rstrip("> ").endswith("/")
            attrs = _attrs(tok)
            if name == "div" and (attrs.get("type") in END_DIV_TYPES
                                  or (attrs.get("type") == "book" and "eID" in attrs)):
                break  # end of the book: what follows (WEB's glossary) is not verse text
            if drop_depth:
                if name in DROP_ELEMENTS and not empty:
                    drop_depth += -1 if closing else 1
                continue
            if name in DROP_ELEMENTS:
                if not empty and not closing:
                    flush()
                    drop_depth = 1
                glued = check_boundary = False
                continue
            if name in INLINE_ELEMENTS:
                if empty:
                    continue
                if closing:
                    if open_inline:
                        open_inline.pop()
                    glued = glued or name in GLUED_ELEMENTS
                    continue
                check_boundary = check_boundary or (glued and name in GLUED_ELEMENTS)
                glued = False
                if name == "w":
                    nums = set(parse_strongs(attrs.get("savlm", "")))
                    nums.update(parse_strongs(attrs.get("lemma", "")))
                    open_inline.append(frozenset(nums))
                else:
                    open_inline.append(None)
                continue
            # any other element or milestone (div, l, lg, lb, p, chapter, list, item, …):
            # a word boundary
            flush()
            glued = check_boundary = False
            continue
        # text
        if drop_depth:
            continue
        text = USFM_RE.sub(" ", html.unescape(tok).replace("¶", " "))
        if not text:
            continue
        if check_boundary and _is_boundary("".join(cur_text), text):
            flush()
        check_boundary = False
        glued = text[-1] in GLUE_PUNCT
        nums = set()
        for n in open_inline:
            if n:
                nums |= n
        for piece in re.split(r"(\s+)", text):
            if not piece:
                continue
            if piece.isspace():
                flush()
            else:
                cur_text.append(piece)
                cur_nums |= nums
    flush()
    return words


def words_text(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words)


def parse_module(text: str) -> Tuple[Dict[VerseKey, List[Word]], List[VerseKey], int]:
    """Verses of one module: {key: words}, keys in order, number of duplicate keys ignored."""
    verses: Dict[VerseKey, List[Word]] = {}
    order: List[VerseKey] = []
    duplicates = 0
    for v in split_verses(text):
        key = (v.book, v.chapter, v.verse)
        if key in verses:
            duplicates += 1
            continue
        verses[key] = parse_markup(v.markup)
        order.append(key)
    return verses, order, duplicates


# --------------------------------------------------------------------------------------------
# Pairs and alignment

def align(src: Sequence[Word], tgt: Sequence[Word]) -> List[Tuple[int, int]]:
    """(i, j) for every source word i and target word j sharing a Strong's number, sorted."""
    by_number: Dict[str, List[int]] = {}
    for j, w in enumerate(tgt):
        for n in w.strongs:
            by_number.setdefault(n, []).append(j)
    links = set()
    for i, w in enumerate(src):
        for n in w.strongs:
            for j in by_number.get(n, ()):
                links.add((i, j))
    return sorted(links)


def pharaoh(links: Iterable[Tuple[int, int]]) -> str:
    return " ".join(f"{i}-{j}" for i, j in links)


class Pair(NamedTuple):
    key: VerseKey
    source: str
    target: str
    links: List[Tuple[int, int]]


Module = Tuple[Dict[VerseKey, List[Word]], List[VerseKey], int]


def make_pairs(src_module: Module, tgt_module: Module,
               exclude_chapters: Iterable[Tuple[str, int]] = ()
               ) -> Tuple[List[Pair], Dict[str, int]]:
    """Pairs for the verses present (and non-empty) in both modules, in the source's order.

    The modules are parse_module() results (or texts, which are parsed). Verses of
    `exclude_chapters` ((book, chapter) pairs) are left out and counted as "excluded".
    """
    exclude = set(exclude_chapters)
    src, src_order, src_dup = parse_module(src_module) if isinstance(src_module, str) \
        else src_module
    tgt, _, tgt_dup = parse_module(tgt_module) if isinstance(tgt_module, str) else tgt_module
    pairs = []
    stats = {"source_verses": len(src), "target_verses": len(tgt),
             "duplicate_keys": src_dup + tgt_dup, "only_in_source": 0, "only_in_target": 0,
             "empty": 0, "excluded": 0}
    for key in src_order:
        if key[:2] in exclude:
            stats["excluded"] += 1
            continue
        if key not in tgt:
            stats["only_in_source"] += 1
            continue
        s, t = src[key], tgt[key]
        if not s or not t:
            stats["empty"] += 1
            continue
        pairs.append(Pair(key, words_text(s), words_text(t), align(s, t)))
    stats["only_in_target"] = sum(1 for k in tgt if k not in src)
    return pairs, stats


# The split, by whole books (diatheke's English book names).
# - valid: Judges (OT narrative, Hebrew numbers) + Romans (NT letter, Greek numbers): 1,048 pairs.
# - test: Joshua (OT narrative) + John (NT gospel): 1,537 pairs.
# Mid-sized books, so that valid and test each have > 1,000 pairs from both testaments while
# train keeps 91% of the pairs. Chosen to limit leakage through parallel passages (no
# Kings/Chronicles or Samuel/Chronicles split across sets; John rather than a synoptic gospel,
# most of Mark being retold in Matthew and Luke) and so that none of their chapters is excluded
# by the consistency check below (their verse numbers and tags match in every chapter).
VALID_BOOKS = ("Judges", "Romans")
TEST_BOOKS = ("Joshua", "John")


def split_pairs(pairs: Sequence[Pair], valid_books=VALID_BOOKS,
                test_books=TEST_BOOKS) -> Dict[str, List[Pair]]:
    overlap = set(valid_books) & set(test_books)
    if overlap:
        raise ValueError(f"books in both valid and test: {sorted(overlap)}")
    splits: Dict[str, List[Pair]] = {"train": [], "valid": [], "test": []}
    for p in pairs:
        book = p.key[0]
        name = "valid" if book in valid_books else "test" if book in test_books else "train"
        splits[name].append(p)
    return splits


def link_stats(pairs: Sequence[Pair]) -> Dict[str, float]:
    n = len(pairs)
    links = sum(len(p.links) for p in pairs)
    src_words = sum(len(p.source.split()) for p in pairs)
    tgt_words = sum(len(p.target.split()) for p in pairs)
    linked_src = sum(len({i for i, _ in p.links}) for p in pairs)
    linked_tgt = sum(len({j for _, j in p.links}) for p in pairs)
    return {
        "pairs": n,
        "links": links,
        "links_per_pair": links / n if n else 0.0,
        "pairs_with_link": sum(1 for p in pairs if p.links) / n if n else 0.0,
        "source_words": src_words,
        "target_words": tgt_words,
        "source_words_linked": linked_src / src_words if src_words else 0.0,
        "target_words_linked": linked_tgt / tgt_words if tgt_words else 0.0,
    }


def tagging_stats(verses: Dict[VerseKey, List[Word]]) -> Dict[str, float]:
    words = [w for ws in verses.values() for w in ws]
    tagged = sum(1 for w in words if w.strongs)
    return {"words": len(words), "tagged": tagged,
            "tagged_fraction": tagged / len(words) if words else 0.0}


def number_agreement(src: Dict[VerseKey, List[Word]], tgt: Dict[VerseKey, List[Word]]) -> float:
    """Share of the target's tagged words whose numbers include one found in the source verse."""
    hit = total = 0
    for key, tw in tgt.items():
        sw = src.get(key)
        if not sw:
            continue
        nums = set().union(*(w.strongs for w in sw))
        for w in tw:
            if w.strongs:
                total += 1
                hit += bool(w.strongs & nums)
    return hit / total if total else 0.0


def chapter_agreement(src: Dict[VerseKey, List[Word]], tgt: Dict[VerseKey, List[Word]]
                      ) -> Dict[Tuple[str, int], Dict[int, float]]:
    """Per chapter, for a verse shift d in (-1, 0, 1): the share of the target's tagged words
    whose numbers occur in source verse v+d (v = the target verse's number)."""
    counts: Dict[Tuple[str, int], Dict[int, List[int]]] = {}
    for (book, ch, v), tw in tgt.items():
        if (book, ch, v) not in src:
            continue
        per = counts.setdefault((book, ch), {d: [0, 0] for d in (-1, 0, 1)})
        for d in (-1, 0, 1):
            sw = src.get((book, ch, v + d))
            if not sw:
                continue
            nums = set().union(*(w.strongs for w in sw))
            for w in tw:
                if w.strongs:
                    per[d][1] += 1
                    per[d][0] += bool(w.strongs & nums)
    return {k: {d: (h / n if n else 0.0) for d, (h, n) in per.items()}
            for k, per in counts.items()}


# A chapter's same-verse agreement is >= 0.7 in every consistent chapter seen (median 0.88
# RV1909–WEB, 0.94 RV1909–KJV); chapters numbered differently sit below 0.5 or agree better
# with the neighbouring verse.
MIN_CHAPTER_AGREEMENT = 0.6


def inconsistent_chapters(src: Dict[VerseKey, List[Word]], tgt: Dict[VerseKey, List[Word]],
                          min_agreement: float = MIN_CHAPTER_AGREEMENT) -> List[Tuple[str, int]]:
    """Chapters whose verse numbers do not match between source and target tags: same-verse
    agreement below `min_agreement`, or a shift of one verse agreeing better."""
    out = []
    for key, a in chapter_agreement(src, tgt).items():
        if a[0] < min_agreement or max(a[-1], a[1]) > a[0]:
            out.append(key)
    return out


def chapter_ranges(chapters: Iterable[Tuple[str, int]], order: Sequence[str]) -> str:
    """[('Psalms', 3), ('Psalms', 4), ('Job', 40)] → 'Job 40; Psalms 3-4' in `order` of books."""
    by_book: Dict[str, List[int]] = {}
    for book, ch in chapters:
        by_book.setdefault(book, []).append(ch)
    parts = []
    for book in sorted(by_book, key=lambda b: order.index(b) if b in order else len(order)):
        chs = sorted(set(by_book[book]))
        runs, start = [], chs[0]
        for a, b in zip(chs, chs[1:] + [None]):
            if b != a + 1:
                runs.append(f"{start}" if start == a else f"{start}-{a}")
                start = b
        parts.append(f"{book} {', '.join(runs)}")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# Output

def english_splits(splits: Dict[str, List[Pair]], kjv: Dict[VerseKey, List[Word]],
                   kjv_order: Sequence[VerseKey], valid_books=VALID_BOOKS,
                   test_books=TEST_BOOKS) -> Dict[str, List[str]]:
    """English text for masked language modelling, one verse per line, split like the pairs.

    train: the WEB side of the training pairs, then the KJV verses of every book outside
    valid_books and test_books (held-out books stay out of pre-training in both translations);
    valid and test: the WEB side of their pairs.
    """
    held_out = set(valid_books) | set(test_books)
    out = {name: [p.target for p in pairs] for name, pairs in splits.items()}
    out["train"] = out["train"] + [words_text(kjv[k]) for k in kjv_order
                                   if kjv[k] and k[0] not in held_out]
    return out


def _clean_field(s: str) -> str:
    return " ".join(s.split())


def write_outputs(out_dir: str, splits: Dict[str, List[Pair]], kjv_lines: Sequence[str],
                  english: Dict[str, List[str]], readme: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for name, pairs in splits.items():
        with open(os.path.join(out_dir, f"{name}.tsv"), "w", encoding="utf-8", newline="\n") as f:
            for p in pairs:
                f.write(f"{_clean_field(p.source)}\t{_clean_field(p.target)}\n")
        with open(os.path.join(out_dir, f"{name}.align"), "w", encoding="utf-8",
                  newline="\n") as f:
            for p in pairs:
                f.write(pharaoh(p.links) + "\n")
    with open(os.path.join(out_dir, "kjv.txt"), "w", encoding="utf-8", newline="\n") as f:
        for line in kjv_lines:
            f.write(_clean_field(line) + "\n")
    for name, lines in english.items():
        with open(os.path.join(out_dir, f"english.{name}.txt"), "w", encoding="utf-8",
                  newline="\n") as f:
            for line in lines:
                f.write(_clean_field(line) + "\n")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(readme)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _fmt_pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def build_readme(splits, stats, lstats, tag, agreement, excluded, kjv_count,
                 provenance) -> str:
    rows = []
    for name in ("train", "valid", "test"):
        s = lstats[name]
        books = list(dict.fromkeys(p.key[0] for p in splits[name]))
        book_text = ", ".join(books) if name != "train" else f"the other {len(books)} books"
        rows.append(f"| {name} | {book_text} | {s['pairs']:,} | {s['source_words']:,} | "
                    f"{s['target_words']:,} | {s['links']:,} | {s['links_per_pair']:.1f} | "
                    f"{_fmt_pct(s['pairs_with_link'])} | {_fmt_pct(s['source_words_linked'])} | "
                    f"{_fmt_pct(s['target_words_linked'])} |")
    held_out = [c for c in excluded["text"] + excluded["tags"]
                if c[0] in VALID_BOOKS + TEST_BOOKS]
    held_out_text = ("none of their chapters is excluded below" if not held_out else
                     f"excluded chapters among them: {len(held_out)}")
    if excluded["kept"]:
        excluded_text = ("Kept on request (`--keep-inconsistent`): the pairs of these chapters "
                         "are in the files although their verses or tags do not match.")
    else:
        excluded_text = (f"Their {stats['excluded']:,} verses are left out of every split "
                         "(`bible.py --keep-inconsistent` keeps them).")
    return f"""# Bible corpus: Reina-Valera 1909 → World English Bible

Written by `tools/prepare_data.sh bible` (parser: `tools/corpora/bible.py`). Source: SWORD module
`spaRV1909eb` (Reina-Valera 1909, package sword-text-sparv); target: `engWEB2015eb` (World English
Bible, package sword-text-web); `kjv.txt` from `engKJV2006eb` (package sword-text-kjv). Read from
diatheke's default (OSIS-like) output: `diatheke -b MODULE -k "Genesis 1:1 - Revelation 22:21"`.
{provenance}

## Files

- `train.tsv`, `valid.tsv`, `test.tsv`: one verse pair per line, `source<TAB>target` (Spanish,
  English). Markup stripped (headings, Psalm titles and notes dropped), `¶` removed, NFC,
  whitespace runs collapsed to one space; no tabs or newlines inside a field. Only verses
  present and non-empty in both modules, matched on (book, chapter, verse); canonical order.
- `train.align`, `valid.align`, `test.align`: line-aligned with the `.tsv`; a word alignment in
  Pharaoh format (`i-j`, 0-based, sorted by i then j, space-separated; an empty line when there
  is none). Words are the space-separated tokens of the `.tsv` fields (punctuation stays
  attached). `i-j` is present when source word i and target word j carry a common Strong's
  number (`<w savlm="strong:…">` / `lemma` tags; a tag over a phrase gives its number to every
  word of the phrase; a tag may hold several numbers). Many-to-many and noisy: see below.
- `kjv.txt`: the King James Version, markup stripped, one verse per line ({kjv_count:,} lines,
  canonical order, no references), for language modelling. It holds the valid and test books
  too (another translation than the WEB targets, but the same verses).
- `english.train.txt`, `english.valid.txt`, `english.test.txt`: English for masked language
  modelling, one verse per line: train is the WEB side of `train.tsv` followed by the KJV verses
  of the training books; valid and test are the WEB side of `valid.tsv` and `test.tsv`. The
  valid and test books are in no training file, in either translation.

## Split (whole books; no book in two splits)

| split | books | pairs | source words | target words | links | links/pair | pairs with ≥ 1 link | source words linked | target words linked |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Valid: {" + ".join(VALID_BOOKS)}; test: {" + ".join(TEST_BOOKS)}: mid-sized books from both
testaments (Hebrew and Greek numbers), > 1,000 pairs each, no parallel passages across splits
(no Kings/Chronicles pair; John rather than a synoptic gospel);
{held_out_text}. The lists are `VALID_BOOKS` / `TEST_BOOKS` in `tools/corpora/bible.py`.

Verses: {stats['source_verses']:,} in RV1909, {stats['target_verses']:,} in WEB (which has the
Deuterocanon); {stats['only_in_source']} only in RV1909, {stats['only_in_target']:,} only in WEB,
{stats['empty']} present in both but empty in one (versification: e.g. RV1909 Jonah 1:17 is
empty, its text is in 2:1), {stats['excluded']:,} in excluded chapters.

## Excluded chapters (verse numbers that do not match)

The modules share KJV verse keys, but not always their content. Per chapter, the share of
tagged target words whose Strong's number occurs in the source verse of the same number is
compared with the verse before and after (threshold {MIN_CHAPTER_AGREEMENT}):

- RV1909 text against the KJV (hand-tagged, same text numbering as WEB): RV1909 follows the
  Hebrew numbering in {len(excluded['text'])} chapters, so its verse n is the English verse
  n−1 or further off: {excluded['text_ranges'] or 'none'}.
- RV1909 against WEB's tags: WEB's tags follow the Hebrew numbering in {len(excluded['tags'])}
  chapters (its text does not: the WEB text matches the KJV verse for verse), so its tags
  belong to a neighbouring verse (e.g. titled Psalms, where the title is verse 1 in Hebrew):
  {excluded['tags_ranges'] or 'none'}.

{excluded_text}

## About the Strong's tags (read before using the alignment as gold)

- Tagged words: RV1909 {_fmt_pct(tag['es']['tagged_fraction'])} of {tag['es']['words']:,},
  WEB {_fmt_pct(tag['en']['tagged_fraction'])} of {tag['en']['words']:,},
  KJV {_fmt_pct(tag['kjv']['tagged_fraction'])} of {tag['kjv']['words']:,}.
- RV1909 tags phrases (`<w savlm="strong:H0776">y la tierra</w>`), so its function words share
  the content word's number. WEB tags function words too, with a number from nearby
  (`<w savlm="strong:H0430">In</w> the beginning`: "In" gets God's number;
  {_fmt_pct(tag['en_function'])} of WEB's "the/of/and/in/to/a" are tagged, against
  {_fmt_pct(tag['kjv_function'])} in the KJV): WEB's tags look machine-projected, the KJV's
  hand-made.
- Share of tagged target words whose number occurs in the RV1909 verse (all chapters): WEB
  {_fmt_pct(agreement['en'])}, KJV {_fmt_pct(agreement['kjv'])}.
- So a Spanish word is typically linked to every English word sharing its number (repeated
  words such as "the", "and" and "of" each link to all copies): a dense, high-recall,
  low-precision alignment, fit for "does attention fall on a linked word", less for AER
  against sure links.
"""


FUNCTION_WORDS = {"the", "of", "and", "in", "to", "a"}


def function_word_tagging(verses: Dict[VerseKey, List[Word]]) -> float:
    n = tagged = 0
    for ws in verses.values():
        for w in ws:
            if w.text.lower().strip(".,;:!?“”‘’()") in FUNCTION_WORDS:
                n += 1
                tagged += bool(w.strongs)
    return tagged / n if n else 0.0


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True, help="diatheke output of spaRV1909eb")
    ap.add_argument("--target", required=True, help="diatheke output of engWEB2015eb")
    ap.add_argument("--kjv", required=True, help="diatheke output of engKJV2006eb")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--provenance", default="", help="a line for the README (package versions)")
    ap.add_argument("--keep-inconsistent", action="store_true",
                    help="keep the chapters whose verse numbers or tags do not match")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    src_module = parse_module(_read(args.source))
    tgt_module = parse_module(_read(args.target))
    kjv_module = parse_module(_read(args.kjv))
    src, tgt, kjv = src_module[0], tgt_module[0], kjv_module[0]
    t_parse = time.monotonic() - t0

    text_bad = inconsistent_chapters(src, kjv)
    tags_bad = [c for c in inconsistent_chapters(src, tgt) if c not in set(text_bad)]
    book_order = list(dict.fromkeys(k[0] for k in src_module[1]))
    excluded = {"text": text_bad, "tags": tags_bad, "kept": args.keep_inconsistent,
                "text_ranges": chapter_ranges(text_bad, book_order),
                "tags_ranges": chapter_ranges(tags_bad, book_order)}
    pairs, stats = make_pairs(src_module, tgt_module,
                              () if args.keep_inconsistent else text_bad + tags_bad)
    splits = split_pairs(pairs)
    for name in ("valid", "test"):
        if len(splits[name]) < 1000:
            print(f"bible: only {len(splits[name])} {name} pairs (< 1000)", file=sys.stderr)
            return 1
    kjv_lines = [words_text(kjv[k]) for k in kjv_module[1] if kjv[k]]
    if len(pairs) < 25000 or len(kjv_lines) < 30000:
        print(f"bible: too little text parsed ({len(pairs)} pairs, {len(kjv_lines)} KJV verses);"
              " is the diatheke output complete?", file=sys.stderr)
        return 1

    tag = {"es": tagging_stats(src), "en": tagging_stats(tgt), "kjv": tagging_stats(kjv),
           "en_function": function_word_tagging(tgt), "kjv_function": function_word_tagging(kjv)}
    agreement = {"en": number_agreement(src, tgt), "kjv": number_agreement(src, kjv)}
    lstats = {name: link_stats(ps) for name, ps in splits.items()}
    readme = build_readme(splits, stats, lstats, tag, agreement, excluded, len(kjv_lines),
                          args.provenance)
    english = english_splits(splits, kjv, kjv_module[1])
    write_outputs(args.out, splits, kjv_lines, english, readme)

    for name in ("train", "valid", "test"):
        s = lstats[name]
        print(f"bible: {name}: {s['pairs']:,} pairs, {s['links']:,} links "
              f"({s['links_per_pair']:.1f}/pair, {_fmt_pct(s['pairs_with_link'])} of pairs "
              f"with >= 1 link)")
    print(f"bible: kjv.txt: {len(kjv_lines):,} verses")
    print("bible: english.{train,valid,test}.txt: " +
          ", ".join(f"{len(english[name]):,}" for name in ("train", "valid", "test")) + " verses")
    print(f"bible: verses only in RV1909 {stats['only_in_source']}, only in WEB "
          f"{stats['only_in_target']:,}, empty in one {stats['empty']}, "
          f"{'kept' if args.keep_inconsistent else 'excluded'} {stats['excluded']:,} in "
          f"{len(text_bad)} chapters with RV1909 numbered differently and {len(tags_bad)} with "
          f"WEB tags off by a verse")
    print(f"bible: parsing {t_parse:.1f} s, total {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
