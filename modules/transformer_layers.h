#pragma once
// Transformer layers (Vaswani et al. 2017) over any attention of the registry.
//   encoder layer: self-attention, feed-forward
//   decoder layer: causal self-attention, encoder-decoder (cross) attention, feed-forward
// Each sublayer is wrapped in a residual connection and layer norm:
//   post-LN (the paper): x = LayerNorm(x + Dropout(sublayer(x)))
//   pre-LN (option):     x = x + Dropout(sublayer(LayerNorm(x)))
// Legend: B batch, S source steps, T target steps (new ones when decoding incrementally),
//         D model dims.

#include <memory>
#include <vector>

#include "modules/attention.h"
#include "modules/dropout.h"
#include "modules/feed_forward.h"

namespace attnlab {

struct TransformerLayerOptions {
  explicit TransformerLayerOptions(int64_t dims) : dims_(dims) {}
  /// D: model dims.
  TORCH_ARG(int64_t, dims);
  /// Hidden size of the feed-forward block.
  TORCH_ARG(int64_t, feed_forward) = 512;
  /// Dropout after each sublayer and inside the feed-forward block.
  TORCH_ARG(double, dropout) = 0.1;
  /// Layer norm before each sublayer (pre-LN) instead of after the residual sum (post-LN).
  TORCH_ARG(bool, pre_norm) = false;
  /// The feed-forward block's activation: "relu" (the paper) or "gelu" (BERT).
  TORCH_ARG(std::string, activation) = "relu";
  /// The layer norms' epsilon (LibTorch's default; BERT uses 1e-12).
  TORCH_ARG(double, norm_eps) = 1e-5;
};

/// The residual + layer norm wrapping shared by the layers.
class SublayerConnectionImpl : public torch::nn::Module {
 public:
  SublayerConnectionImpl(int64_t dims, double dropout, bool pre_norm, double norm_eps = 1e-5);
  /// x [B, T, D] -> x with `sublayer` added as the norm placement says.
  template <class Sublayer>
  torch::Tensor forward(const torch::Tensor& x, Sublayer&& sublayer) {
    if (pre_norm_) return x + dropout(sublayer(norm(x)));
    return norm(x + dropout(sublayer(x)));
  }

  torch::nn::LayerNorm norm{nullptr};
  Dropout dropout{nullptr};

 private:
  bool pre_norm_;
};
TORCH_MODULE(SublayerConnection);

class TransformerEncoderLayerImpl : public torch::nn::Module {
 public:
  TransformerEncoderLayerImpl(const TransformerLayerOptions& options, std::shared_ptr<AttentionImpl> self_attention);
  /// x [B, S, D], key_padding_mask [B, S] -> x [B, S, D]; `attention` receives the self-attention output.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                        AttentionOutput* attention = nullptr);

  std::shared_ptr<AttentionImpl> self_attention;
  FeedForward feed_forward{nullptr};
  SublayerConnection attention_sublayer{nullptr}, feed_forward_sublayer{nullptr};
};
TORCH_MODULE(TransformerEncoderLayer);

/// What a decoder layer keeps between incremental steps: its self-attention's prepared keys
/// and values of every earlier target position.
struct DecoderLayerCache {
  AttentionMemory self;
};

class TransformerDecoderLayerImpl : public torch::nn::Module {
 public:
  TransformerDecoderLayerImpl(const TransformerLayerOptions& options, std::shared_ptr<AttentionImpl> self_attention,
                              std::shared_ptr<AttentionImpl> cross_attention);
  /// y [B, T, D] at target positions `positions` [T]; `source` = cross_attention->prepare(encoder output).
  /// Without a cache, y is the whole target and `self_attn_mask` [T, T] the causal mask. With a
  /// cache, y holds only new positions: they attend to the cached ones and to themselves
  /// (self_attn_mask [T, T_cached + T] or undefined for one step), and the cache grows.
  torch::Tensor forward(const torch::Tensor& y, const AttentionMemory& source, const torch::Tensor& self_attn_mask,
                        const torch::Tensor& positions, DecoderLayerCache* cache = nullptr,
                        AttentionOutput* self_weights = nullptr, AttentionOutput* cross_weights = nullptr);

  std::shared_ptr<AttentionImpl> self_attention, cross_attention;
  FeedForward feed_forward{nullptr};
  SublayerConnection self_sublayer{nullptr}, cross_sublayer{nullptr}, feed_forward_sublayer{nullptr};
};
TORCH_MODULE(TransformerDecoderLayer);

}  // namespace attnlab
