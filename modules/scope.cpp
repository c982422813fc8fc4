#include "modules/scope.h"

#include "modules/dropout.h"

namespace attnlab {

torch::Tensor merged_mask(const AttentionQuery& query, const AttentionMemory& memory) {
  torch::Tensor mask;
  if (memory.key_padding_mask.defined()) mask = memory.key_padding_mask.unsqueeze(1);  // [B, 1, Tk]
  if (query.attn_mask.defined()) {
    auto attn = query.attn_mask.dim() == 2 ? query.attn_mask.unsqueeze(0) : query.attn_mask;  // [1 or B, Tq, Tk]
    mask = mask.defined() ? (mask | attn) : attn;
  }
  if (mask.defined() && mask.size(0) != memory.keys.size(0))  // [1, Tq, Tk] | [B, 1, 1] -> [B, Tq, Tk]
    mask = mask | torch::zeros_like(memory.keys.narrow(1, 0, 1).narrow(2, 0, 1), mask.options());
  return mask;
}

torch::Tensor mix_values(const torch::Tensor& weights, const torch::Tensor& values, double weight_dropout,
                         bool training) {
  auto mixing = weight_dropout > 0 ? philox_dropout(weights, weight_dropout, training) : weights;
  if (values.dim() == 3) return torch::bmm(mixing, values);                    // [B, Tq, Tk] x [B, Tk, Dv]
  return torch::matmul(mixing.unsqueeze(-2), values).squeeze(-2);              // [B, Tq, 1, W] x [B, Tq, W, Dv]
}

}  // namespace attnlab
