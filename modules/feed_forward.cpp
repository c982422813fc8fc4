#include "modules/feed_forward.h"

namespace attnlab {

FeedForwardImpl::FeedForwardImpl(int64_t dims, int64_t hidden, double dropout_p) {
  linear1 = register_module("linear1", torch::nn::Linear(dims, hidden));
  linear2 = register_module("linear2", torch::nn::Linear(hidden, dims));
  dropout = register_module("dropout", torch::nn::Dropout(dropout_p));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return linear2(dropout(torch::relu(linear1(x))));
}

}  // namespace attnlab
