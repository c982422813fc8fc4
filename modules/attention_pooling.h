#pragma once
// Attention pooling (Yang et al. 2016): a learned context vector u queries a sequence and the
// attention's context is the pooled vector. With the additive score the weights are
// softmax(vᵀ tanh(W u + U h_t)), HAN's softmax(u_wᵀ tanh(W h_t + b)) up to where the learned
// vectors sit; any attention of the registry may pool (e.g. scaled_dot).
// Legend: B batch, T steps, D dims.

#include <memory>

#include "modules/attention.h"

namespace attnlab {

struct PooledOutput {
  torch::Tensor pooled;   // [B, D]
  torch::Tensor weights;  // [B, T]
};

class AttentionPoolingImpl : public torch::nn::Module {
 public:
  /// `attention` was built for query and key dims D.
  AttentionPoolingImpl(int64_t dims, std::shared_ptr<AttentionImpl> attention);
  /// h [B, T, D], key_padding_mask [B, T] (true = padding) -> pooled [B, D], weights [B, T].
  PooledOutput forward(const torch::Tensor& h, const torch::Tensor& key_padding_mask);

  torch::Tensor context;  // u: [D]
  std::shared_ptr<AttentionImpl> attention;
};
TORCH_MODULE(AttentionPooling);

}  // namespace attnlab
