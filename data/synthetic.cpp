#include "data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "tokenizers/symbol_tokenizer.h"

namespace attnlab {

namespace {

/// Distinct sequences of lengths [min, max] over `symbols` symbols, capped at `cap`.
double distinct_sequences(int64_t symbols, const std::vector<int64_t>& lengths, double cap) {
  double total = 0;
  for (int64_t n = lengths[0]; n <= lengths[1] && total < cap; ++n) total += std::pow(static_cast<double>(symbols), n);
  return std::min(total, cap);
}

}  // namespace

void validate_options(const SyntheticOptions& o, const std::string& pointer) {
  for (const char* key : {"train_lengths", "test_lengths"}) {
    const auto& range = std::string(key) == "train_lengths" ? o.train_lengths() : o.test_lengths();
    if (range.size() != 2 || range[0] > range[1])
      throw ConfigError(pointer_join(pointer, key), "must be [min, max] with min <= max");
  }
  // Sources are drawn at random without repeats: ask for at most half of what exists, or
  // the drawing would crawl (or never end).
  const double wanted = static_cast<double>(o.train_size() + o.valid_size() + o.test_size());
  const double train_space = distinct_sequences(o.symbols(), o.train_lengths(), 4 * wanted);
  const double test_space = distinct_sequences(o.symbols(), o.test_lengths(), 4 * wanted);
  if (2.0 * static_cast<double>(o.train_size() + o.valid_size()) > train_space)
    throw ConfigError(pointer_join(pointer, "train_size"),
                      "train_size + valid_size must be at most half of the " + format_number(train_space) +
                          " distinct sequences of train_lengths over " + std::to_string(o.symbols()) + " symbols");
  if (2.0 * static_cast<double>(o.test_size()) > test_space)
    throw ConfigError(pointer_join(pointer, "test_size"),
                      "must be at most half of the " + format_number(test_space) +
                          " distinct sequences of test_lengths over " + std::to_string(o.symbols()) + " symbols");
}

Seq2SeqExample make_synthetic_example(SyntheticKind kind, std::vector<int64_t> source) {
  const int64_t n = static_cast<int64_t>(source.size());
  std::vector<int64_t> alignment(n);
  std::iota(alignment.begin(), alignment.end(), 0);
  if (kind == SyntheticKind::kReverse) std::reverse(alignment.begin(), alignment.end());
  if (kind == SyntheticKind::kSort)
    std::stable_sort(alignment.begin(), alignment.end(),
                     [&](int64_t a, int64_t b) { return source[a] < source[b]; });
  Seq2SeqExample example;  // ids only: synthetic tasks have no text
  example.target.resize(n);
  for (int64_t j = 0; j < n; ++j) example.target[j] = source[alignment[j]];
  example.source = std::move(source);
  example.alignment = std::move(alignment);
  return example;
}

namespace {

std::vector<Seq2SeqExample> draw(SyntheticKind kind, int64_t count, const std::vector<int64_t>& lengths,
                                 int64_t symbols, std::mt19937_64& rng, std::set<std::vector<int64_t>>& seen) {
  std::uniform_int_distribution<int64_t> length(lengths[0], lengths[1]);
  std::uniform_int_distribution<int64_t> symbol(0, symbols - 1);
  std::vector<Seq2SeqExample> examples;
  // Short lengths over few symbols have few distinct sequences: stop trying after a
  // generous number of draws rather than loop forever.
  for (int64_t tries = 0; static_cast<int64_t>(examples.size()) < count && tries < 100 * count; ++tries) {
    std::vector<int64_t> source(length(rng));
    for (auto& s : source) s = kNumSpecialTokens + symbol(rng);
    if (!seen.insert(source).second) continue;
    examples.push_back(make_synthetic_example(kind, std::move(source)));
  }
  TORCH_CHECK(static_cast<int64_t>(examples.size()) == count, "synthetic data: only ", examples.size(),
              " distinct sequences of lengths ", lengths[0], "-", lengths[1], " over ", symbols,
              " symbols, asked for ", count);
  return examples;
}

}  // namespace

std::shared_ptr<Seq2SeqData> make_synthetic_data(SyntheticKind kind, const SyntheticOptions& o) {
  std::mt19937_64 rng(static_cast<uint64_t>(o.seed()));
  std::set<std::vector<int64_t>> seen;  // keeps valid and test sources out of train
  auto data = std::make_shared<Seq2SeqData>();
  data->splits["train"] = draw(kind, o.train_size(), o.train_lengths(), o.symbols(), rng, seen);
  data->splits["valid"] = draw(kind, o.valid_size(), o.train_lengths(), o.symbols(), rng, seen);
  data->splits["test"] = draw(kind, o.test_size(), o.test_lengths(), o.symbols(), rng, seen);
  data->tokenizer = std::make_shared<SymbolTokenizer>(SymbolTokenizerOptions().symbols(o.symbols()));
  return data;
}

}  // namespace attnlab
