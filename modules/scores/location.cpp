#include "modules/scores/location.h"

namespace attnlab {

LocationScoreImpl::LocationScoreImpl(const LocationScoreOptions& options_) : options(options_) {
  TORCH_CHECK(options.query_dim() > 0, "location score: query dims must be positive, got ", options.query_dim());
  position_weights = register_module("position_weights", torch::nn::Linear(options.query_dim(), options.max_length()));
}

torch::Tensor LocationScoreImpl::forward(const torch::Tensor& query, const torch::Tensor& keys) {
  const int64_t Tk = keys.size(1);
  TORCH_CHECK(Tk <= options.max_length(), "location score: ", Tk, " keys but max_length is ", options.max_length());
  return position_weights(query).narrow(-1, 0, Tk);  // [B, Tq, Tk]
}

}  // namespace attnlab
