#pragma once
// The interface of every sequence-to-sequence model.
// Legend: B batch, S source steps, T target steps, L decoded steps, V target vocab.

#include <torch/torch.h>

namespace attnlab {

struct Seq2SeqOutput {
  torch::Tensor log_probs;  // [B, T, V]
  torch::Tensor attention;  // [B, T, S], or undefined for a model without attention
};

struct Hypotheses {
  torch::Tensor tokens;     // [B, L] predicted ids, the first EOS included, kPad after it
  torch::Tensor lengths;    // [B] tokens before the first EOS (L if none)
  torch::Tensor attention;  // [B, L, S], or undefined
};

class Seq2SeqModelImpl : public torch::nn::Module {
 public:
  /// Teacher forcing: target_in [B, T] (BOS y1..yn) -> log-probabilities of y1..yn EOS.
  virtual Seq2SeqOutput forward(const torch::Tensor& source, const torch::Tensor& source_lengths,
                                const torch::Tensor& target_in) = 0;
  /// Whether forward() and greedy() return attention weights.
  virtual bool has_attention() const = 0;
  /// Greedy decoding of the model's own predictions, at most max_steps tokens.
  virtual Hypotheses greedy(const torch::Tensor& source, const torch::Tensor& source_lengths,
                            int64_t max_steps) = 0;
};

}  // namespace attnlab
