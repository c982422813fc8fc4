#!/usr/bin/python3
"""Use an attnlab export (`attnlab export RUN_DIR --out FILE.pt`) from Python, no attnlab needed.

    attnlab_export_demo.py translate FILE.pt [--beam 5] [--n-best 1]   < source lines
    attnlab_export_demo.py classify  FILE.pt                           < documents
    attnlab_export_demo.py fill-mask FILE.pt "In the beginning God created the [MASK]."

Needs torch (Debian: python3-torch) and, for SentencePiece tokenizers, sentencepiece
(python3-sentencepiece; it and torch coexist in one Python process, unlike LibTorch and
libsentencepiece in one C++ process). Everything else is the standard library.

The file holds the model's methods (seq2seq: encode, decode_step, decode_step_logits,
reorder_state, greedy, beam_search; classifiers and masked LMs: forward) and extra files:
attnlab.json (kind, methods, special-token ids), config.json, the tokenizer (tokenizer.json,
tokenizer.model for SentencePiece, vocabulary.txt: line i is id i) and labels.json for
classifiers. Output is the output of `attnlab translate|classify|fill-mask --model FILE.pt`.
"""
import argparse
import json
import math
import sys

import torch

EXTRA = ("attnlab.json", "config.json", "tokenizer.json", "tokenizer.model", "vocabulary.txt", "labels.json")
SPECIAL = ("[PAD]", "[UNK]", "[BOS]", "[EOS]", "[CLS]", "[SEP]", "[MASK]")
PAD, UNK, BOS, EOS, CLS, SEP, MASK = range(len(SPECIAL))


def load(path):
    """The module and its extra files (bytes), after checking it is an attnlab export."""
    files = {name: "" for name in EXTRA}
    module = torch.jit.load(path, _extra_files=files)
    manifest = json.loads(files["attnlab.json"] or "{}")
    if manifest.get("format") != "attnlab-torchscript" or manifest.get("format_version", 0) > 1:
        sys.exit(f"{path}: not an attnlab export of format version 1")
    module.eval()
    return module, manifest, files


class Tokenizer:
    """The export's tokenizer: text <-> ids as attnlab's own (tokenizers/)."""

    def __init__(self, files):
        self.kind = json.loads(files["tokenizer.json"])["kind"]
        self.pieces = files["vocabulary.txt"].decode("utf-8").split("\n")[:-1]
        self.ids = {piece: i for i, piece in enumerate(self.pieces)}
        if self.kind == "sentencepiece":
            import sentencepiece  # imported here: only SentencePiece tokenizers need it
            self.processor = sentencepiece.SentencePieceProcessor(model_proto=files["tokenizer.model"])

    def encode(self, text):
        if self.kind == "sentencepiece":
            return self.processor.encode(text)
        if self.kind == "symbols":
            return [self.ids.get(word, UNK) for word in text.split()]
        return [self.ids.get(piece, UNK) for piece in self.split(text)]

    def decode(self, ids):
        real = [i for i in ids if len(SPECIAL) <= i < len(self.pieces)]
        if self.kind == "sentencepiece":
            return self.processor.decode(real)
        if self.kind == "char":
            return "".join(self.pieces[i] for i in real)
        text = ""
        for piece in (self.pieces[i] for i in real):
            if self.kind == "word" and piece.startswith("##") and text:
                text += piece[2:]
            else:
                text += (" " if text else "") + (piece[2:] if piece.startswith("##") else piece)
        return text

    def piece(self, i):
        return self.pieces[i] if 0 <= i < len(self.pieces) else SPECIAL[UNK]

    def split(self, text):
        """Word pieces (punctuation split off, '##' on a word's later pieces) or characters."""
        words = text.split()
        if self.kind == "char":
            return list(" ".join(words))
        pieces = []
        for word in words:
            if word in SPECIAL:
                pieces.append(word)
                continue
            parts, current = [], ""
            for c in word:
                if is_punctuation(c):
                    parts += [current] if current else []
                    parts.append(c)
                    current = ""
                else:
                    current += c
            parts += [current] if current else []
            pieces += [p if k == 0 else "##" + p for k, p in enumerate(parts)]
        return pieces


def is_punctuation(c):
    o = ord(c)
    if o < 0x80:
        return 0x21 <= o <= 0x2F or 0x3A <= o <= 0x40 or 0x5B <= o <= 0x60 or 0x7B <= o <= 0x7E
    return o in (0xA1, 0xA7, 0xAB, 0xB6, 0xB7, 0xBB, 0xBF) or 0x2010 <= o <= 0x205E or 0x3001 <= o <= 0x303F


def padded(rows, fill=PAD):
    longest = max(1, max(len(r) for r in rows))
    return torch.tensor([r + [fill] * (longest - len(r)) for r in rows], dtype=torch.long)


def translate(module, tokenizer, args):
    lines = sys.stdin.read().splitlines()
    for start in range(0, len(lines), 64):
        sources = [tokenizer.encode(line) for line in lines[start:start + 64]]
        real = [s for s in sources if s]
        results = iter([])
        if real:
            src, lengths = padded(real), torch.tensor([len(s) for s in real])
            if args.greedy:  # the model's greedy(): at most max_length tokens, the first EOS ends
                tokens, ends, _ = module.greedy(src, lengths, args.max_length)
                results = iter([[(0.0, tokens[b, :ends[b]].tolist())] for b in range(len(real))])
            else:
                tokens, counts, scores, _, _, _ = module.beam_search(
                    src, lengths, args.beam, args.max_length_ratio, args.max_length_extra, args.length_penalty, args.n_best)
                results = iter([[(scores[b, j].item(), tokens[b, j, :counts[b, j]].tolist())
                                 for j in range(args.n_best) if scores[b, j].item() != float("-inf")]
                                for b in range(len(real))])
        for source in sources:
            if not source:  # an empty line gives an empty output
                print("" if args.n_best == 1 else "\n")
                continue
            hypotheses = next(results)
            if args.n_best == 1:
                print(tokenizer.decode(hypotheses[0][1]) if hypotheses else "")
                continue
            for rank, (score, ids) in enumerate(hypotheses, 1):
                print(f"{rank}\t{score:g}\t{tokenizer.decode(ids)}")
            print()


def classify(module, tokenizer, labels):
    """Documents separated by blank lines, one sentence per line -> 'label<TAB>probability'."""
    documents, current = [], []
    for line in sys.stdin.read().splitlines() + [""]:
        if line.strip():
            current.append(tokenizer.encode(line))
        elif current:
            documents.append(current)
            current = []
    for start in range(0, len(documents), 64):
        batch = documents[start:start + 64]
        longest_sentence = max(len(s) for d in batch for s in d)
        sentences = max(len(d) for d in batch)
        words = torch.full((len(batch), sentences, longest_sentence), PAD, dtype=torch.long)
        sentence_lengths = torch.zeros((len(batch), sentences), dtype=torch.long)
        for b, document in enumerate(batch):
            for s, sentence in enumerate(document):
                words[b, s, :len(sentence)] = torch.tensor(sentence, dtype=torch.long)
                sentence_lengths[b, s] = len(sentence)
        flat = [sum(d, []) for d in batch]
        log_probs, _, _ = module(words, sentence_lengths, torch.tensor([len(d) for d in batch]), padded(flat),
                                 torch.tensor([len(f) for f in flat]))
        best, classes = log_probs.max(-1)
        for b in range(len(batch)):
            print(f"{labels[classes[b]]}\t{math.exp(best[b].item()):g}")


def fill_mask(module, tokenizer, text, top_k):
    pieces = tokenizer.encode(text)
    # SentencePiece's lone word mark before [MASK] is dropped (training masked whole pieces).
    ids = [p for i, p in enumerate(pieces)
           if not (i + 1 < len(pieces) and pieces[i + 1] == MASK and tokenizer.piece(p) == "\u2581")]
    sequence = torch.tensor([[CLS] + ids + [SEP]])
    probs = module(sequence, torch.zeros_like(sequence))[0].softmax(-1)
    masks = [i for i, p in enumerate(ids) if p == MASK]
    if not masks:
        sys.exit("TEXT: no [MASK] in the text")
    best = list(ids)
    top = [probs[i + 1].topk(top_k) for i in masks]
    for i, (_, indices) in zip(masks, top):
        best[i] = indices[0].item()
    print(text)
    print(tokenizer.decode(best))
    for n, (values, indices) in enumerate(top, 1):
        print(f"[MASK] {n}" + "".join(f"\t{tokenizer.piece(i)} {v:.4f}" for v, i in zip(values.tolist(), indices.tolist())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["translate", "classify", "fill-mask"])
    parser.add_argument("model", help="a file written by `attnlab export`")
    parser.add_argument("text", nargs="?", help="fill-mask: a text with [MASK]s")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--n-best", type=int, default=1)
    parser.add_argument("--length-penalty", type=float, default=0.6)
    parser.add_argument("--max-length-ratio", type=float, default=2.0)
    parser.add_argument("--max-length-extra", type=int, default=10)
    parser.add_argument("--greedy", action="store_true", help="translate with greedy() instead of beam_search()")
    parser.add_argument("--max-length", type=int, default=100, help="greedy: the most tokens decoded")
    parser.add_argument("--top-k", type=int, default=5)
    args = parser.parse_args()

    module, manifest, files = load(args.model)
    wanted = {"translate": "seq2seq", "classify": "classifier", "fill-mask": "masked_lm"}[args.command]
    if manifest["kind"] != wanted:
        sys.exit(f"{args.model}: an export of a {manifest['kind']} model, not of a {wanted} model")
    tokenizer = Tokenizer(files)
    with torch.no_grad():
        if args.command == "translate":
            translate(module, tokenizer, args)
        elif args.command == "classify":
            classify(module, tokenizer, json.loads(files["labels.json"]))
        else:
            fill_mask(module, tokenizer, args.text or sys.stdin.readline().strip(), args.top_k)


if __name__ == "__main__":
    main()
