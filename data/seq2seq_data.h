#pragma once
// Sequence-to-sequence examples and the batches made of them.
// Legend: B batch, S source steps, T target steps (target + EOS).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/dataset.h"
#include "data/word_alignment.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

struct Seq2SeqExample {
  std::vector<int64_t> source;
  std::vector<int64_t> target;
  /// Gold alignment: for target position j, the source position it comes from (-1: none).
  std::vector<int64_t> alignment;
  /// Text corpora: the texts (references for BLEU and chrF), each piece's word (-1: none),
  /// and gold word links where the corpus has them.
  std::string source_text, target_text;
  std::vector<int64_t> source_word_of_piece, target_word_of_piece;
  std::optional<WordAlignment> word_alignment;
};

/// A dataset's splits ("train", "valid", "test") and the tokenizer of its ids.
struct Seq2SeqData : Dataset {
  std::map<std::string, std::vector<Seq2SeqExample>> splits;
  /// Whether examples carry their texts (text corpora: BLEU and chrF apply).
  bool has_text = false;
  const std::vector<Seq2SeqExample>& split(const std::string& name) const;
  std::vector<std::string> split_names() const override;
};

struct Seq2SeqBatch {
  torch::Tensor source;          // [B, S] ids, kPad after the end
  torch::Tensor source_lengths;  // [B]
  torch::Tensor target_in;       // [B, T] BOS y1 .. yn (teacher forcing input)
  torch::Tensor target_out;      // [B, T] y1 .. yn EOS
  torch::Tensor target_lengths;  // [B] n + 1
  torch::Tensor alignment;       // [B, T] gold source position per target step, -1 for none / padding
  int64_t target_tokens() const;
};

/// Builds one batch from examples[indices] as whole tensors (padded, with lengths).
Seq2SeqBatch make_batch(const std::vector<Seq2SeqExample>& examples, const std::vector<int64_t>& indices);

}  // namespace attnlab
