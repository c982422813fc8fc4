#include "modules/attention_pooling.h"

namespace attnlab {

AttentionPoolingImpl::AttentionPoolingImpl(int64_t dims, std::shared_ptr<AttentionImpl> attention_)
    : attention(register_module("attention", std::move(attention_))) {
  TORCH_CHECK(attention, "attention pooling: needs an attention (not \"none\")");
  context = register_parameter("context", torch::randn({dims}) * 0.1);
}

PooledOutput AttentionPoolingImpl::forward(const torch::Tensor& h, const torch::Tensor& key_padding_mask) {
  // [1, 1, D] + [B, 1, 1]: the batch size read from h, not frozen by a trace.
  auto query = context.view({1, 1, -1}) + torch::zeros_like(h.narrow(1, 0, 1).narrow(2, 0, 1));  // [B, 1, D]
  auto out = attention->forward(query, h, h, key_padding_mask);
  return {out.context.squeeze(1), dense_weights(out, h.select(2, 0)).squeeze(1)};  // [B, D], [B, T]
}

}  // namespace attnlab
