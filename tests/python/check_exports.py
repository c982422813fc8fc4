#!/usr/bin/env python3
"""Runs attnlab TorchScript exports in Python and compares them with the C++ results.

Usage: check_exports.py DIR. DIR holds model_<i>.pt (attnlab exports) and case_<i>_<kind>.pt
(torch.load-able dicts written by the C++ test: the inputs and what the loaded module gave in
C++). Prints "checked N cases" and exits 0 when every number agrees (tokens and lengths
exactly, floats within 1e-5); else prints each difference and exits 1. Needs torch only.
"""
import pathlib
import sys

import torch

TOLERANCE = 1e-5


def close(name, got, expected, problems):
    if got.shape != expected.shape:
        problems.append(f"{name}: shape {tuple(got.shape)} != {tuple(expected.shape)}")
        return
    if expected.dtype in (torch.int64, torch.bool):
        if not torch.equal(got, expected):
            problems.append(f"{name}: differs")
        return
    finite = torch.isfinite(expected)
    if not torch.equal(finite, torch.isfinite(got)):
        problems.append(f"{name}: -inf in different places")
        return
    if finite.any():
        difference = (got.double() - expected.double())[finite].abs().max().item()
        if difference > TOLERANCE:
            problems.append(f"{name}: max difference {difference:.3g}")


def check(model, kind, case, problems):
    if kind == "seq2seq":
        src, lengths = case["source"], case["lengths"]
        log_probs, attention, _ = model.decode_step(torch.full_like(lengths, 2), model.encode(src, lengths))
        close("decode_step log_probs", log_probs, case["step_log_probs"], problems)
        close("decode_step attention", attention, case["step_attention"], problems)
        tokens, out_lengths, weights = model.greedy(src, lengths, 6)
        close("greedy tokens", tokens, case["greedy_tokens"], problems)
        close("greedy lengths", out_lengths, case["greedy_lengths"], problems)
        close("greedy attention", weights, case["greedy_attention"], problems)
        names = ["tokens", "lengths", "scores", "log_probs", "ended", "attention"]
        for name, got in zip(names, model.beam_search(src, lengths, 3, 1.0, 2, 0.6, 2)):
            close("beam " + name, got, case["beam_" + name], problems)
    elif kind == "classifier":
        inputs = [case[name] for name in
                  ("words", "sentence_lengths", "sentence_counts", "flat_words", "flat_lengths")]
        for name, got in zip(("log_probs", "word_weights", "sentence_weights"), model(*inputs)):
            close(name, got, case[name], problems)
    elif kind == "masked_lm":
        close("logits", model(case["ids"], case["segments"]), case["logits"], problems)
    else:
        problems.append(f"unknown kind {kind}")


def main():
    directory = pathlib.Path(sys.argv[1])
    cases = sorted(directory.glob("case_*.pt"))
    failed = 0
    for case_file in cases:
        _, index, kind = case_file.stem.split("_", 2)
        model = torch.jit.load(str(directory / f"model_{index}.pt"))
        problems = []
        with torch.no_grad():
            check(model, kind, torch.load(str(case_file)), problems)
        for problem in problems:
            print(f"{case_file.name}: {problem}")
        failed += bool(problems)
    print(f"checked {len(cases)} cases, {failed} failed")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
