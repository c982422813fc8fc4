#pragma once
// What the benchmarks (bench_attention.cpp, bench_model.cpp) share: timing, number formatting,
// list parsing.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/options.h"

namespace attnlab::cli {

/// A seq2seq model the benchmarks time (bench model, bench export), by its registry spec.
struct BenchModel {
  std::string name;
  json spec;  // model_registry() spec
};
/// The Transformer (d=256, ff=1024, 3+3 layers, 8 heads) and the Bahdanau RNN (bi-GRU 256).
std::vector<BenchModel> seq2seq_bench_models();

/// Median milliseconds of `repeats` runs of `step` after one warm-up; `reset` runs untimed before each.
double median_ms(const std::function<void()>& step, const std::function<void()>& reset, int repeats);

/// The median milliseconds of each of `runs` (each times one run of its own and returns it), run
/// in turn -- runs[0], runs[1], ..., then again -- `repeats` times after one untimed round, so
/// that all of them see the machine in the same state.
std::vector<double> alternating_median_ms(const std::vector<std::function<double()>>& runs, int repeats);
/// Milliseconds `step` takes.
double elapsed_ms(const std::function<void()>& step);
/// Sorted, distinct positive integers from "128,512,1024"; empty if any item is not one.
std::vector<int64_t> parse_positive_list(const std::string& text);
/// The non-empty items of a comma-separated list.
std::vector<std::string> parse_names(const std::string& text);

std::string fixed(double x, int decimals);
/// `text` padded with spaces to `width` (on the left if `right`, i.e. right-aligned).
std::string padded(const std::string& text, size_t width, bool right = false);

}  // namespace attnlab::cli
