#pragma once
// Decoding for every seq2seq model, through its incremental interface (start_decoding,
// decode_next): greedy, and beam search batched over sentences (one decode_next call per
// step for all sentences x beams; no per-sentence loop over the model).
// Legend: B sentences, K beam size, R = B x K rows, L decoded steps, V target vocab, S source steps.

#include <vector>

#include "core/options.h"
#include "models/seq2seq_model.h"

namespace attnlab {

Hypotheses greedy_decode(Seq2SeqModelImpl& model, const torch::Tensor& source, const torch::Tensor& source_lengths,
                         int64_t max_steps);

struct BeamSearchOptions {
  /// K: hypotheses kept per sentence.
  TORCH_ARG(int64_t, beam) = 5;
  /// α of the GNMT length penalty ((5 + |Y|) / 6)^α that scores are divided by (0: none).
  TORCH_ARG(double, length_penalty) = 0.6;
  /// Maximum output length ⌈ratio · source length⌉ + extra (the names of /eval; fairseq's a and b).
  TORCH_ARG(double, max_length_ratio) = 2.0;
  TORCH_ARG(int64_t, max_length_extra) = 10;
  /// Hypotheses returned per sentence, best first (at most beam).
  TORCH_ARG(int64_t, n_best) = 1;
};

template <class Fields>
void visit_fields(Fields& f, BeamSearchOptions& o) {
  f("beam", o.beam(), at_least(1));
  f("length_penalty", o.length_penalty(), at_least(0.0));
  f("max_length_ratio", o.max_length_ratio(), at_least(0.0));
  f("max_length_extra", o.max_length_extra(), at_least(0));
  f("n_best", o.n_best(), at_least(1));
}

struct ScoredHypothesis {
  std::vector<int64_t> tokens;  // without EOS
  double log_prob;              // sum of the token log-probabilities, EOS included
  double score;                 // log_prob / length penalty: what the beam ranks by
  bool ended = true;            // false: cut at the length limit before the model chose EOS
};

/// Beam search: for each sentence its n_best hypotheses, best first.
std::vector<std::vector<ScoredHypothesis>> beam_search(Seq2SeqModelImpl& model, const torch::Tensor& source,
                                                       const torch::Tensor& source_lengths,
                                                       const BeamSearchOptions& options);

/// The most tokens decoded for a source of `source_length`: max(1, ⌈ratio · length⌉ + extra), per sentence.
int64_t decoding_step_limit(int64_t source_length, double ratio, int64_t extra);

/// The GNMT length penalty ((5 + length) / 6)^α.
double length_penalty(int64_t length, double alpha);

}  // namespace attnlab
