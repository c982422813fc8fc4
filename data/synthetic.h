#pragma once
// Synthetic sequence-to-sequence tasks with known alignments:
//   copy:    y = x                      gold alignment j -> j
//   reverse: y = x reversed             gold alignment j -> n-1-j
//   sort:    y = x sorted (stable)      gold alignment j -> the source position of y_j
//            (with repeated symbols any of their positions would serve; the stable order's
//            is the one recorded, so alignment accuracy on `sort` is a lower bound)
// Valid examples are drawn from the train lengths, test examples from the test lengths
// (which may be longer, to measure length generalisation); no valid or test source
// also appears in train.

#include "core/options.h"
#include "data/seq2seq_data.h"

namespace attnlab {

enum class SyntheticKind { kCopy, kReverse, kSort };

struct SyntheticOptions {
  /// Number of distinct symbols.
  TORCH_ARG(int64_t, symbols) = 10;
  // Train and valid sizes must fit in the distinct sequences of the train lengths, the test size
  // in those of the test lengths (validate_options checks it).
  /// [min, max] source length of train and valid examples.
  TORCH_ARG(std::vector<int64_t>, train_lengths) = std::vector<int64_t>{5, 25};
  /// [min, max] source length of test examples.
  TORCH_ARG(std::vector<int64_t>, test_lengths) = std::vector<int64_t>{5, 50};
  /// Examples per split (distinct sources; no valid or test source is in train).
  TORCH_ARG(int64_t, train_size) = 10000;
  TORCH_ARG(int64_t, valid_size) = 500;
  TORCH_ARG(int64_t, test_size) = 1000;
  /// Seed of the data (the same for every model seed, so all runs see the same data).
  TORCH_ARG(int64_t, seed) = 1;
};

template <class Fields>
void visit_fields(Fields& f, SyntheticOptions& o) {
  f("symbols", o.symbols(), in_range(1, 100000));
  f("train_lengths", o.train_lengths(), each_at_least(1, 2));
  f("test_lengths", o.test_lengths(), each_at_least(1, 2));
  f("train_size", o.train_size(), in_range(1, 1e8));
  f("valid_size", o.valid_size(), in_range(1, 1e8));
  f("test_size", o.test_size(), in_range(1, 1e8));
  f("seed", o.seed());
}
void validate_options(const SyntheticOptions& o, const std::string& pointer);

/// The target and gold alignment of one source under a task.
Seq2SeqExample make_synthetic_example(SyntheticKind kind, std::vector<int64_t> source);

std::shared_ptr<Seq2SeqData> make_synthetic_data(SyntheticKind kind, const SyntheticOptions& options);

}  // namespace attnlab
