#pragma once
// A stack of Transformer encoder layers (embeddings aside), shared by every model that encodes
// with self-attention: the Transformer encoder-decoder, the document classifier's
// self-attention encoder, BERT.
//   x -> layer_0 -> … -> layer_{N-1} (-> LayerNorm when pre-LN: the last layer's sum is not normed)
// Each layer's self-attention is built from one attention spec of the registry.
// Legend: B batch, S steps, D model dims.

#include <vector>

#include "core/options.h"
#include "modules/attention.h"
#include "modules/transformer_layers.h"

namespace attnlab {

class TransformerEncoderImpl : public torch::nn::Module {
 public:
  /// `layers` layers of `layer` options, each with a self-attention made from `attention` (a
  /// resolved attention-registry spec).
  TransformerEncoderImpl(const TransformerLayerOptions& layer, int64_t layers, const json& attention);
  /// x [B, S, D], key_padding_mask [B, S] (true = padding; undefined: none) -> [B, S, D]. `attention`, if given,
  /// receives each layer's self-attention output.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                        std::vector<AttentionOutput>* attention = nullptr);

  std::vector<TransformerEncoderLayer> layers;
  torch::nn::LayerNorm final_norm{nullptr};  // pre-LN only
};
TORCH_MODULE(TransformerEncoder);

}  // namespace attnlab
