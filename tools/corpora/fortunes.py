#!/usr/bin/env python3
"""Fortune-file classification corpus: label = the fortune file's name, document = one fortune.

Reads the fortune files of a directory (Debian: /usr/share/games/fortunes/; `*.dat` indexes,
`*.u8` symlinks, dotfiles and sub-directories such as off/ are skipped), cleans each fortune and
writes train/valid/test .tsv (`label<TAB>document`) with a stratified 80/10/10 split and a
README.md.

A document keeps the fortune's lines, joined by LINE_SEP (" ||| "); inside a line runs of
whitespace (tabs included) become one space; blank lines are dropped; terminal overstrikes
(`_\\bX`, `X\\bX`, `___\\b\\b\\babc`) are resolved to the final characters and other control
characters (bell) removed. Exact duplicate documents are kept once per class, and documents
found in more than one class are left out (their label is ambiguous). Only classes with at
least MIN_PER_CLASS documents (after cleaning) are kept.

Only the standard library is used; the parsing functions take strings.
"""

import argparse
import os
import random
import re
import sys
import unicodedata
from typing import Dict, List, Optional, Sequence, Tuple

LINE_SEP = " ||| "
MIN_PER_CLASS = 200
SEED = 5
FRACTIONS = (0.8, 0.1, 0.1)

ENTRY_SEP_RE = re.compile(r"^%[ \t]*$", re.M)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def resolve_overstrikes(text: str) -> str:
    """Applies backspaces as a terminal would: `_\\bX` → `X`, `___\\b\\b\\bab c` → `ab c`."""
    if "\b" not in text:
        return text
    out: List[str] = []
    for ch in text:
        if ch == "\b":
            if out and out[-1] != "\n":
                out.pop()
        else:
            out.append(ch)
    return "".join(out)


def split_entries(text: str) -> List[str]:
    """The raw fortunes of one file: entries separated by lines holding only `%`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [e for e in ENTRY_SEP_RE.split(text) if e.strip()]


def clean_document(entry: str) -> str:
    """One fortune → one line: its non-blank lines, whitespace-collapsed, joined by LINE_SEP."""
    entry = resolve_overstrikes(entry)
    entry = CONTROL_RE.sub(" ", entry.replace("\t", " "))
    entry = unicodedata.normalize("NFC", entry)
    lines = [" ".join(line.split()) for line in entry.split("\n")]
    # a literal "|||" inside a line would read as a line break; none in Debian's files
    lines = [line.replace("|||", "| | |") for line in lines if line]
    return LINE_SEP.join(lines)


def parse_fortune_file(text: str) -> List[str]:
    return [d for d in (clean_document(e) for e in split_entries(text)) if d]


def fortune_files(directory: str) -> List[str]:
    """Names of the fortune files in `directory`, sorted (no *.dat, *.u8, dotfiles, dirs)."""
    names = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.startswith(".") or name.endswith((".dat", ".u8")) or not os.path.isfile(path):
            continue
        names.append(name)
    return names


def read_text(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def build_classes(files: Dict[str, str], min_per_class: int = MIN_PER_CLASS
                  ) -> Tuple[Dict[str, List[str]], Dict[str, Dict[str, int]]]:
    """{label: text} → ({label: documents} for the kept classes, per-label counts)."""
    parsed = {label: parse_fortune_file(text) for label, text in files.items()}
    labels_of: Dict[str, set] = {}
    for label, docs in parsed.items():
        for d in docs:
            labels_of.setdefault(d, set()).add(label)
    classes: Dict[str, List[str]] = {}
    info: Dict[str, Dict[str, int]] = {}
    for label in sorted(parsed):
        docs = parsed[label]
        seen = set()
        kept = []
        dup = ambiguous = 0
        for d in docs:
            if d in seen:
                dup += 1
                continue
            seen.add(d)
            if len(labels_of[d]) > 1:
                ambiguous += 1
                continue
            kept.append(d)
        info[label] = {"fortunes": len(docs), "duplicates": dup, "in_other_files": ambiguous,
                       "documents": len(kept)}
        if len(kept) >= min_per_class:
            classes[label] = kept
    return classes, info


def stratified_split(classes: Dict[str, List[str]], seed: int = SEED,
                     fractions: Sequence[float] = FRACTIONS
                     ) -> Dict[str, List[Tuple[str, str]]]:
    """Per class: shuffle (seeded by seed and label), take round(n·valid), round(n·test), rest
    train; each split is then shuffled with the seed. Deterministic."""
    splits: Dict[str, List[Tuple[str, str]]] = {"train": [], "valid": [], "test": []}
    for label in sorted(classes):
        docs = list(classes[label])
        random.Random(f"{seed}:{label}").shuffle(docs)
        n = len(docs)
        n_valid = round(n * fractions[1])
        n_test = round(n * fractions[2])
        splits["valid"] += [(label, d) for d in docs[:n_valid]]
        splits["test"] += [(label, d) for d in docs[n_valid:n_valid + n_test]]
        splits["train"] += [(label, d) for d in docs[n_valid + n_test:]]
    for name in splits:
        random.Random(f"{seed}:{name}").shuffle(splits[name])
    return splits


def write_outputs(out_dir: str, splits: Dict[str, List[Tuple[str, str]]], readme: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for name, rows in splits.items():
        with open(os.path.join(out_dir, f"{name}.tsv"), "w", encoding="utf-8", newline="\n") as f:
            for label, doc in rows:
                assert "\t" not in doc and "\n" not in doc and "\t" not in label
                f.write(f"{label}\t{doc}\n")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(readme)


def build_readme(splits, info, classes, directory, provenance, bars_replaced=0) -> str:
    per = {name: {} for name in splits}
    for name, rows in splits.items():
        for label, _ in rows:
            per[name][label] = per[name].get(label, 0) + 1
    table = []
    for label in sorted(classes, key=lambda l: (-len(classes[l]), l)):
        i = info[label]
        table.append(f"| {label} | {i['fortunes']} | {i['duplicates']} | {i['in_other_files']} | "
                     f"{per['train'].get(label, 0)} | {per['valid'].get(label, 0)} | "
                     f"{per['test'].get(label, 0)} |")
    totals = {name: len(rows) for name, rows in splits.items()}
    dropped = [f"{l} ({info[l]['documents']})" for l in sorted(info, key=lambda l: -info[l]
                                                                 ['documents'])
               if l not in classes]
    return f"""# Fortunes classification corpus

Written by `tools/prepare_data.sh fortunes` (parser: `tools/corpora/fortunes.py`) from the
fortune files in `{directory}` (Debian package fortunes; `*.dat`, `*.u8` and anything under
`off/` skipped). {provenance}

## Files

`train.tsv`, `valid.tsv`, `test.tsv`: one fortune per line, `label<TAB>document`; the label is
the fortune file's name. Inside a document the fortune's lines are joined by ` ||| ` (space,
three bars, space: split on it to get the lines back; line breaks in fortunes are mostly hard
wraps, not sentence ends); other whitespace (tabs included) is collapsed to one space, blank
lines are dropped, terminal overstrikes (`_^HX`) are resolved and control characters removed.
A literal `|||` inside a line would be written `| | |`: {bars_replaced} in these files.

Kept: classes with ≥ {MIN_PER_CLASS} documents after cleaning. Exact duplicates within a file
are kept once; documents that occur in several files are left out (ambiguous label).
Stratified split 80/10/10 per class (round(n/10) valid, round(n/10) test, the rest train),
shuffled with fixed seed {SEED} (deterministic); each split file is shuffled.

## Counts ({len(classes)} classes; train {totals['train']:,}, valid {totals['valid']:,}, \
test {totals['test']:,})

| label | fortunes in file | duplicates | also in other files | train | valid | test |
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(table)}

Left out (< {MIN_PER_CLASS} documents): {', '.join(dropped) or 'none'}.
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="/usr/share/games/fortunes", help="fortune files")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--provenance", default="", help="a line for the README (package version)")
    args = ap.parse_args(argv)

    names = fortune_files(args.dir)
    files = {name: read_text(os.path.join(args.dir, name)) for name in names}
    classes, info = build_classes(files)
    bars = sum(line.count("|||") for text in files.values() for line in text.split("\n"))
    if len(classes) < 2:
        print(f"fortunes: only {len(classes)} classes with >= {MIN_PER_CLASS} fortunes in "
              f"{args.dir}", file=sys.stderr)
        return 1
    splits = stratified_split(classes)
    write_outputs(args.out, splits, build_readme(splits, info, classes, args.dir,
                                                 args.provenance, bars))
    print(f"fortunes: {len(classes)} classes (of {len(names)} files); "
          + ", ".join(f"{name} {len(rows):,}" for name, rows in splits.items()) + " documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
