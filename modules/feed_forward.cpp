#include "modules/feed_forward.h"

namespace attnlab {

Activation activation_from_name(const std::string& name) {
  if (name == "relu") return Activation::kRelu;
  TORCH_CHECK(name == "gelu", "activation must be relu or gelu, got ", name);
  return Activation::kGelu;
}

torch::Tensor apply_activation(Activation activation, const torch::Tensor& x) {
  return activation == Activation::kGelu ? torch::gelu(x) : torch::relu(x);
}

FeedForwardImpl::FeedForwardImpl(int64_t dims, int64_t hidden, double dropout_p, Activation activation)
    : activation_(activation) {
  linear1 = register_module("linear1", torch::nn::Linear(dims, hidden));
  linear2 = register_module("linear2", torch::nn::Linear(hidden, dims));
  dropout = register_module("dropout", Dropout(dropout_p));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return linear2(dropout(apply_activation(activation_, linear1(x))));
}

}  // namespace attnlab
