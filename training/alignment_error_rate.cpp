#include "training/alignment_error_rate.h"

#include <algorithm>

namespace attnlab {

void AlignmentErrorCounts::add(const WordAlignment& predicted_links, const WordAlignment& gold_links) {
  predicted += static_cast<int64_t>(predicted_links.size());
  gold += static_cast<int64_t>(gold_links.size());
  for (const auto& link : predicted_links) matched += gold_links.count(link);
}

double AlignmentErrorCounts::rate() const {
  if (predicted + gold == 0) return 0.0;
  return 1.0 - 2.0 * static_cast<double>(matched) / static_cast<double>(predicted + gold);
}

namespace {

/// [words, pieces] 0/1 matrix: entry (w, p) = 1 when piece p belongs to word w.
torch::Tensor pooling_matrix(const std::vector<int64_t>& word_of_piece, int64_t words) {
  auto pool = torch::zeros({words, static_cast<int64_t>(word_of_piece.size())});
  for (size_t p = 0; p < word_of_piece.size(); ++p)
    if (word_of_piece[p] >= 0) pool[word_of_piece[p]][static_cast<int64_t>(p)] = 1.0;
  return pool;
}

int64_t count_words(const std::vector<int64_t>& word_of_piece) {
  int64_t words = 0;
  for (int64_t w : word_of_piece) words = std::max(words, w + 1);
  return words;
}

}  // namespace

WordAlignment alignment_from_attention(const torch::Tensor& weights, const std::vector<int64_t>& source_word_of_piece,
                                       const std::vector<int64_t>& target_word_of_piece) {
  TORCH_CHECK(weights.dim() == 2 && weights.size(0) == static_cast<int64_t>(target_word_of_piece.size()) &&
                  weights.size(1) == static_cast<int64_t>(source_word_of_piece.size()),
              "alignment_from_attention: weights must be [target pieces, source pieces] = [",
              target_word_of_piece.size(), ", ", source_word_of_piece.size(), "], got ", weights.sizes());
  const int64_t source_words = count_words(source_word_of_piece), target_words = count_words(target_word_of_piece);
  WordAlignment links;
  if (source_words == 0 || target_words == 0) return links;
  auto to_target_words = pooling_matrix(target_word_of_piece, target_words);  // [Tw, T]
  auto to_source_words = pooling_matrix(source_word_of_piece, source_words);  // [Sw, S]
  auto word_weights = to_target_words.matmul(weights.to(torch::kFloat)).matmul(to_source_words.t());  // [Tw, Sw]
  auto best = word_weights.argmax(1);                                                              // [Tw]
  auto has_piece = to_target_words.sum(1).gt(0);                                                   // [Tw]
  for (int64_t j = 0; j < target_words; ++j)
    if (has_piece[j].item<bool>()) links.emplace(best[j].item<int64_t>(), j);
  return links;
}

WordAlignment diagonal_alignment(int64_t source_words, int64_t target_words) {
  WordAlignment links;
  if (source_words <= 0) return links;
  for (int64_t j = 0; j < target_words; ++j) {
    const auto i = static_cast<int64_t>((static_cast<double>(j) + 0.5) * source_words / target_words);
    links.emplace(std::min(i, source_words - 1), j);
  }
  return links;
}

}  // namespace attnlab
