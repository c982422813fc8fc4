#include "modules/transformer_encoder.h"

#include "modules/attention_registry.h"

namespace attnlab {

TransformerEncoderImpl::TransformerEncoderImpl(const TransformerLayerOptions& layer, int64_t count, const json& attention) {
  TORCH_CHECK(count >= 1, "transformer encoder: needs at least one layer, got ", count);
  const AttentionDims dims{layer.dims(), layer.dims()};
  for (int64_t l = 0; l < count; ++l)
    layers.push_back(register_module("layer_" + std::to_string(l),
                                     TransformerEncoderLayer(layer, attention_registry().create(attention, dims))));
  if (layer.pre_norm())
    final_norm = register_module(
        "final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({layer.dims()}).eps(layer.norm_eps())));
}

torch::Tensor TransformerEncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                                              std::vector<AttentionOutput>* attention) {
  TORCH_CHECK(x.dim() == 3 && (!key_padding_mask.defined() || (key_padding_mask.dim() == 2 &&
                                                                 key_padding_mask.size(0) == x.size(0) &&
                                                                 key_padding_mask.size(1) == x.size(1))),
              "transformer encoder: x must be [B, S, D] with key_padding_mask [B, S]; got ", x.sizes(), " and ",
              key_padding_mask.sizes());
  auto h = x;  // [B, S, D]
  for (auto& layer : layers) {
    AttentionOutput weights;
    h = layer(h, key_padding_mask, attention ? &weights : nullptr);
    if (attention) attention->push_back(std::move(weights));
  }
  return final_norm ? final_norm(h) : h;
}

}  // namespace attnlab
