#include "modules/transformer_layers.h"

namespace attnlab {

namespace {
FeedForward feed_forward_of(const TransformerLayerOptions& o) {
  return FeedForward(o.dims(), o.feed_forward(), o.dropout(), activation_from_name(o.activation()));
}
SublayerConnection sublayer_of(const TransformerLayerOptions& o) {
  return SublayerConnection(o.dims(), o.dropout(), o.pre_norm(), o.norm_eps());
}
}  // namespace

SublayerConnectionImpl::SublayerConnectionImpl(int64_t dims, double dropout_p, bool pre_norm, double norm_eps)
    : pre_norm_(pre_norm) {
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dims}).eps(norm_eps)));
  dropout = register_module("dropout", Dropout(dropout_p));
}

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(const TransformerLayerOptions& o,
                                                         std::shared_ptr<AttentionImpl> self_attention_)
    : self_attention(register_module("self_attention", std::move(self_attention_))) {
  TORCH_CHECK(self_attention, "transformer encoder layer: needs a self-attention (not \"none\")");
  feed_forward = register_module("feed_forward", feed_forward_of(o));
  attention_sublayer = register_module("attention_sublayer", sublayer_of(o));
  feed_forward_sublayer = register_module("feed_forward_sublayer", sublayer_of(o));
}

torch::Tensor TransformerEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                                                   AttentionOutput* attention) {
  auto attended = attention_sublayer->forward(x, [&](const torch::Tensor& z) {
    auto out = self_attention->forward(z, z, z, key_padding_mask);  // q = k = v: [B, S, D]
    if (attention) *attention = out;
    return out.context;
  });
  return feed_forward_sublayer->forward(attended, [&](const torch::Tensor& z) { return feed_forward(z); });
}

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(const TransformerLayerOptions& o,
                                                         std::shared_ptr<AttentionImpl> self_attention_,
                                                         std::shared_ptr<AttentionImpl> cross_attention_)
    : self_attention(register_module("self_attention", std::move(self_attention_))),
      cross_attention(register_module("cross_attention", std::move(cross_attention_))) {
  TORCH_CHECK(self_attention && cross_attention, "transformer decoder layer: needs self- and cross-attention");
  feed_forward = register_module("feed_forward", feed_forward_of(o));
  self_sublayer = register_module("self_sublayer", sublayer_of(o));
  cross_sublayer = register_module("cross_sublayer", sublayer_of(o));
  feed_forward_sublayer = register_module("feed_forward_sublayer", sublayer_of(o));
}

torch::Tensor TransformerDecoderLayerImpl::forward(const torch::Tensor& y, const AttentionMemory& source,
                                                   const torch::Tensor& self_attn_mask, const torch::Tensor& positions,
                                                   DecoderLayerCache* cache, AttentionOutput* self_weights,
                                                   AttentionOutput* cross_weights) {
  auto h = self_sublayer->forward(y, [&](const torch::Tensor& z) {
    auto memory = self_attention->prepare(z, z, {});  // the new positions' keys and values
    if (cache) memory = cache->self = concat_memory(cache->self, memory);
    auto out = self_attention->attend({z, self_attn_mask, positions}, memory);  // [B, T, D]
    if (self_weights) *self_weights = out;
    return out.context;
  });
  h = cross_sublayer->forward(h, [&](const torch::Tensor& z) {
    auto out = cross_attention->attend({z, {}, positions}, source);  // [B, T, D]
    if (cross_weights) *cross_weights = out;
    return out.context;
  });
  return feed_forward_sublayer->forward(h, [&](const torch::Tensor& z) { return feed_forward(z); });
}

}  // namespace attnlab
