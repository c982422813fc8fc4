#pragma once
// The interface of every sequence-to-sequence model.
// Legend: B batch, S source steps, T target steps, L decoded steps, V target vocab.

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "modules/attention.h"

namespace attnlab {

struct Seq2SeqOutput {
  torch::Tensor log_probs;  // [B, T, V]
  torch::Tensor attention;  // [B, T, S], or undefined for a model without attention
  /// Hard attention trained by REINFORCE (training only): log-probability of the sampled
  /// positions and entropy of their distributions, [B, T] each; otherwise undefined.
  torch::Tensor attention_sample_log_prob;
  torch::Tensor attention_entropy;
};

struct Hypotheses {
  torch::Tensor tokens;     // [B, L] predicted ids, the first EOS included, kPad after it
  torch::Tensor lengths;    // [B] tokens before the first EOS (L if none)
  torch::Tensor attention;  // [B, L, S], or undefined
};

/// What an incremental decoder carries from one step to the next, for a batch of rows
/// (sentences, or sentences x beams).
class DecoderState {
 public:
  virtual ~DecoderState() = default;
  /// Keeps rows: row i of the new state is row rows[i] of this one ([R] int64, repeats allowed).
  virtual void select_rows(const torch::Tensor& rows) = 0;
  /// Every tensor of the state, all defined, in an order fixed by the model's options (export
  /// passes the state between TorchScript steps as a list; Seq2SeqModelImpl::state_from_tensors
  /// reads it back).
  /// (The default refuses: a state written for a test double or a wrapper need not export.)
  virtual std::vector<torch::Tensor> tensors() const;
};

/// Reads a DecoderState's tensors() back in order, naming the model when the count is off.
class StateTensorReader {
 public:
  StateTensorReader(const std::vector<torch::Tensor>& tensors, std::string model);
  torch::Tensor next();
  /// An attention memory written by append_tensors (modules/attention.h).
  AttentionMemory memory();
  void expect_end() const;

 private:
  const std::vector<torch::Tensor>& tensors_;
  std::string model_;
  size_t at_ = 0;
};

/// One incremental step: the next token's scores and where it looked. The scores are logits:
/// greedy decoding takes their argmax as they are, beam search normalises them (log_softmax).
struct DecoderStep {
  torch::Tensor logits;     // [R, V], log-probabilities up to a constant per row
  torch::Tensor attention;  // [R, S], or undefined
};

/// One attention of a model over a batch, every head, for maps of every layer and head.
struct LayerAttention {
  std::string name;         // e.g. "cross-attention, layer 2"
  bool query_is_source;     // rows: source positions (encoder self-attention) or target positions
  bool key_is_source;       // columns: source or target positions
  torch::Tensor weights;    // [B, H, Tq, Tk] over all keys
};

class Seq2SeqModelImpl : public torch::nn::Module {
 public:
  /// Teacher forcing: target_in [B, T] (BOS y1..yn) -> log-probabilities of y1..yn EOS.
  virtual Seq2SeqOutput forward(const torch::Tensor& source, const torch::Tensor& source_lengths,
                                const torch::Tensor& target_in) = 0;
  /// The training loss a score-function estimator adds to the likelihood (hard attention with
  /// REINFORCE), given forward()'s output, each sequence's reward [B] and the mask of real
  /// target steps [B, T]; undefined when the model trains by backpropagation alone.
  virtual torch::Tensor estimator_loss(const Seq2SeqOutput& /*output*/, const torch::Tensor& /*reward*/,
                                       const torch::Tensor& /*step_mask*/) {
    return {};
  }
  /// Whether forward() and greedy() return attention weights.
  virtual bool has_attention() const = 0;
  /// Teacher forcing that returns every attention of a model with several layers or heads, each
  /// head apart; empty for a model whose forward() attention is all it has.
  virtual std::vector<LayerAttention> every_attention(const torch::Tensor& /*source*/,
                                                      const torch::Tensor& /*source_lengths*/,
                                                      const torch::Tensor& /*target_in*/) {
    return {};
  }
  /// Encodes the source and returns the state before the first target token.
  virtual std::unique_ptr<DecoderState> start_decoding(const torch::Tensor& source,
                                                       const torch::Tensor& source_lengths) = 0;
  /// Feeds the previous tokens [R] (BOS first) and returns the next token's logits.
  virtual DecoderStep decode_next(DecoderState& state, const torch::Tensor& previous_tokens) = 0;
  /// The state whose tensors() gave `tensors` (export: the state crosses TorchScript as a list).
  /// (The default refuses, as DecoderState::tensors does.)
  virtual std::unique_ptr<DecoderState> state_from_tensors(const std::vector<torch::Tensor>& tensors);
  /// Greedy decoding of the model's own predictions, at most max_steps tokens
  /// (by default through start_decoding / decode_next: models/decoding.h).
  virtual Hypotheses greedy(const torch::Tensor& source, const torch::Tensor& source_lengths, int64_t max_steps);
};

}  // namespace attnlab
