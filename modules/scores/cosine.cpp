#include "modules/scores/cosine.h"

namespace attnlab {

namespace {
/// x / max(|x|, ε) over the last dim: a zero vector stays zero rather than becoming NaN.
torch::Tensor unit_rows(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1).eps(1e-12));
}
}  // namespace

CosineScoreImpl::CosineScoreImpl(const CosineScoreOptions& options_) : ScoreImpl(options_.heads()), options(options_) {
  TORCH_CHECK(options.query_dim() > 0 && options.key_dim() > 0, "cosine score: dims must be positive, got query ",
              options.query_dim(), ", key ", options.key_dim());
  TORCH_CHECK(options.query_dim() == options.key_dim(), "cosine score: query (", options.query_dim(),
              " dims) and keys (", options.key_dim(), " dims) must have the same size");
  auto initial = torch::full({options.heads()}, options.scale());
  scale = options.learn_scale() ? register_parameter("scale", initial) : register_buffer("scale", initial);
}

torch::Tensor CosineScoreImpl::project_keys(const torch::Tensor& keys) {
  TORCH_CHECK(keys.dim() == 3 && keys.size(2) == options.key_dim(), "cosine score: keys must be [B, Tk, ",
              options.key_dim(), "], got ", keys.sizes());
  return unit_rows(keys);  // [B, Tk, D]
}

torch::Tensor CosineScoreImpl::forward(const torch::Tensor& query, const torch::Tensor& projected_keys) {
  TORCH_CHECK(query.dim() == 3 && query.size(2) == options.query_dim(), "cosine score: query must be [B, Tq, ",
              options.query_dim(), "], got ", query.sizes());
  // The scale goes on the unit queries [B, Tq, D], not on the scores [B, Tq, Tk].
  auto scaled = (unit_rows(query).unflatten(0, {-1, heads()}) * scale.view({1, -1, 1, 1})).flatten(0, 1);  // [B, Tq, D]
  return torch::bmm(scaled, projected_keys.transpose(1, 2));  // [B, Tq, Tk]
}

}  // namespace attnlab
