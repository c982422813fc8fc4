#pragma once
// Alignment error rate (Och & Ney 2003) of attention against gold word alignments.
// With one gold set G (sure = possible links, as Strong's-number alignments give) and predicted
// links A: AER = 1 - 2|A ∩ G| / (|A| + |G|), summed over the corpus before dividing.

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "data/word_alignment.h"

namespace attnlab {

/// Corpus counts: add sentences, then read the rate.
struct AlignmentErrorCounts {
  int64_t predicted = 0, gold = 0, matched = 0;
  void add(const WordAlignment& predicted_links, const WordAlignment& gold_links);
  /// 1 - 2·matched / (predicted + gold); 0 when both are empty.
  double rate() const;
};

/// The alignment attention implies: subword weights [T, S] are summed to words (rows of a
/// target word's pieces and columns of a source word's pieces), then each target word links to
/// its highest-weighted source word. `source_word_of_piece[s]` / `target_word_of_piece[t]` give
/// each piece's word (-1: no word, e.g. EOS; its row or column is ignored).
WordAlignment alignment_from_attention(const torch::Tensor& weights, const std::vector<int64_t>& source_word_of_piece,
                                       const std::vector<int64_t>& target_word_of_piece);

/// The diagonal baseline: target word j of m links to source word floor((j + 0.5) · n / m) of n.
WordAlignment diagonal_alignment(int64_t source_words, int64_t target_words);

}  // namespace attnlab
