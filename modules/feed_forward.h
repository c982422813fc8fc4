#pragma once
// The position-wise feed-forward block of a Transformer layer: W2 dropout(act(W1 x + b1)) + b2,
// act = relu (Vaswani et al. 2017) or gelu (BERT, Devlin et al. 2019; the exact erf form).
// Legend: B batch, T steps, D model dims, F hidden dims.

#include <string>

#include <torch/torch.h>

#include "modules/dropout.h"

namespace attnlab {

enum class Activation { kRelu, kGelu };
/// "relu" or "gelu" (the options' spelling).
Activation activation_from_name(const std::string& name);
torch::Tensor apply_activation(Activation activation, const torch::Tensor& x);

class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dims, int64_t hidden, double dropout, Activation activation = Activation::kRelu);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, D] -> [B, T, D]

  torch::nn::Linear linear1{nullptr}, linear2{nullptr};  // D -> F, F -> D
  Dropout dropout{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(FeedForward);

}  // namespace attnlab
