#pragma once
// The Transformer encoder-decoder (Vaswani et al. 2017) with every attention from the registry:
//   source -> embedding · √D + positions -> dropout -> N encoder layers (-> LayerNorm if pre-LN)
//   target -> embedding · √D + positions -> dropout -> N decoder layers (-> LayerNorm if pre-LN)
//          -> generator: linear (optionally the target embedding's weight) + log-softmax
// Greedy decoding is incremental: each decoder layer caches the keys and values of earlier
// steps, so step t attends over t cached positions instead of recomputing the prefix.
// Legend: B batch, S source steps, T target steps, D model dims, H heads, V target vocab.

#include <vector>

#include "core/options.h"
#include "models/seq2seq_model.h"
#include "modules/attention_registry.h"
#include "modules/dropout.h"
#include "modules/positional_encoding.h"
#include "modules/transformer_encoder.h"
#include "modules/transformer_layers.h"

namespace attnlab {

struct TransformerSeq2SeqOptions {
  TransformerSeq2SeqOptions(int64_t source_vocab, int64_t target_vocab)
      : source_vocab_(source_vocab), target_vocab_(target_vocab) {}
  /// Source vocabulary size (set from the data).
  TORCH_ARG(int64_t, source_vocab);
  /// Target vocabulary size (set from the data).
  TORCH_ARG(int64_t, target_vocab);
  /// D: model dims (embeddings, attention, layer outputs).
  TORCH_ARG(int64_t, dims) = 128;
  /// Hidden size of each feed-forward block.
  TORCH_ARG(int64_t, feed_forward) = 512;
  /// Number of encoder layers.
  TORCH_ARG(int64_t, encoder_layers) = 2;
  /// Number of decoder layers.
  TORCH_ARG(int64_t, decoder_layers) = 2;
  /// Dropout on embeddings, after each sublayer and inside the feed-forward blocks.
  TORCH_ARG(double, dropout) = 0.1;
  /// "sinusoidal" (the paper) or "learned" positions.
  TORCH_ARG(std::string, positions) = "sinusoidal";
  /// The longest source or target it can encode.
  TORCH_ARG(int64_t, max_length) = 1024;
  /// Layer norm before each sublayer (pre-LN) instead of after the residual (post-LN, the paper).
  TORCH_ARG(bool, pre_norm) = false;
  /// The generator uses the target embedding's weight (Press & Wolf 2017).
  TORCH_ARG(bool, tie_output) = false;
  /// Source and target share one embedding (needs one vocabulary).
  TORCH_ARG(bool, share_embeddings) = false;
  /// Encoder self-attention, from the attention registry.
  TORCH_ARG(json, encoder_attention) = default_attention();
  /// Decoder self-attention (causally masked), from the attention registry.
  TORCH_ARG(json, decoder_attention) = default_attention();
  /// Encoder-decoder attention, from the attention registry.
  TORCH_ARG(json, cross_attention) = default_attention();

  static json default_attention() {
    return json{{"type", "multi_head"}, {"heads", 4}, {"score", "scaled_dot"}, {"scope", "global"}};
  }
};

template <class Fields>
void visit_fields(Fields& f, TransformerSeq2SeqOptions& o) {
  f("dims", o.dims(), at_least(1));
  f("feed_forward", o.feed_forward(), at_least(1));
  f("encoder_layers", o.encoder_layers(), at_least(1));
  f("decoder_layers", o.decoder_layers(), at_least(1));
  f("dropout", o.dropout(), in_range(0.0, 1.0));
  f("positions", o.positions(), one_of({"sinusoidal", "learned"}));
  f("max_length", o.max_length(), at_least(1));
  f("pre_norm", o.pre_norm());
  f("tie_output", o.tie_output());
  f("share_embeddings", o.share_embeddings());
  f.nested("encoder_attention", o.encoder_attention(), attention_registry());
  f.nested("decoder_attention", o.decoder_attention(), attention_registry());
  f.nested("cross_attention", o.cross_attention(), attention_registry());
}

void validate_options(const TransformerSeq2SeqOptions& o, const std::string& pointer);

/// Attention weights of every layer, each as the attention returned them.
struct TransformerAttention {
  std::vector<AttentionOutput> encoder_self;  // per encoder layer: weights over source positions
  std::vector<AttentionOutput> decoder_self;  // per decoder layer: weights over earlier target positions
  std::vector<AttentionOutput> cross;         // per decoder layer: weights over source positions
};

class TransformerSeq2SeqImpl : public Seq2SeqModelImpl {
 public:
  explicit TransformerSeq2SeqImpl(const TransformerSeq2SeqOptions& options);

  /// Teacher forcing; `attention` holds the last decoder layer's cross-attention (head average).
  Seq2SeqOutput forward(const torch::Tensor& source, const torch::Tensor& source_lengths,
                        const torch::Tensor& target_in) override;
  std::unique_ptr<DecoderState> start_decoding(const torch::Tensor& source, const torch::Tensor& source_lengths) override;
  /// One step through every decoder layer's cache: step t attends over t cached positions.
  DecoderStep decode_next(DecoderState& state, const torch::Tensor& previous_tokens) override;
  std::unique_ptr<DecoderState> state_from_tensors(const std::vector<torch::Tensor>& tensors) override;
  bool has_attention() const override { return true; }
  /// Every layer's encoder self-, decoder self- and cross-attention, every head.
  std::vector<LayerAttention> every_attention(const torch::Tensor& source, const torch::Tensor& source_lengths,
                                              const torch::Tensor& target_in) override;

  /// Teacher forcing that also returns the attention of every layer and head.
  Seq2SeqOutput forward_with_attention(const torch::Tensor& source, const torch::Tensor& source_lengths,
                                       const torch::Tensor& target_in, TransformerAttention* attention);

  TransformerSeq2SeqOptions options;

  /// The encoded source: each decoder layer's prepared cross-attention memory.
  struct Encoded {
    torch::Tensor padding;  // [B, S] true at padded source steps
    std::vector<AttentionMemory> cross;
  };
  Encoded encode(const torch::Tensor& source, const torch::Tensor& source_lengths, TransformerAttention* attention = nullptr);
  /// Logits [B, T, V] of the target positions offset .. offset+T-1 given `tokens` [B, T] there.
  /// With caches (one per decoder layer), only new positions are given and the caches grow.
  torch::Tensor decode(const torch::Tensor& tokens, int64_t offset, const Encoded& encoded,
                       std::vector<DecoderLayerCache>* caches, TransformerAttention* attention = nullptr);
  /// The same at target positions [T] (int64; export-safe: no position is an integer). Several
  /// new steps (T > 1) need no caches: the causal mask covers the given tokens only.
  torch::Tensor decode(const torch::Tensor& tokens, const torch::Tensor& positions, const Encoded& encoded,
                       std::vector<DecoderLayerCache>* caches, TransformerAttention* attention = nullptr);

 private:
  class IncrementalState;
  torch::Tensor embed(torch::nn::Embedding& table, const torch::Tensor& tokens, const torch::Tensor& positions);  // [B, T, D]

  torch::nn::Embedding source_embedding{nullptr}, target_embedding{nullptr};
  PositionalEncoding positional{nullptr};
  Dropout dropout{nullptr};
  TransformerEncoder encoder{nullptr};
  std::vector<TransformerDecoderLayer> decoder;
  torch::nn::LayerNorm decoder_norm{nullptr};  // pre-LN only
  torch::nn::Linear generator{nullptr};  // absent when tied to the target embedding
  torch::Tensor generator_bias;          // [V] the tied generator's bias
};

}  // namespace attnlab
