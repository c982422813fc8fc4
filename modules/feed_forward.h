#pragma once
// The position-wise feed-forward block of a Transformer layer: W2 dropout(relu(W1 x + b1)) + b2.
// Legend: B batch, T steps, D model dims, F hidden dims.

#include <torch/torch.h>

namespace attnlab {

class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dims, int64_t hidden, double dropout);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, D] -> [B, T, D]

  torch::nn::Linear linear1{nullptr}, linear2{nullptr};  // D -> F, F -> D
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(FeedForward);

}  // namespace attnlab
