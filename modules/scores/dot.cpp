#include "modules/scores/dot.h"

#include <cmath>

#include "modules/band_products.h"

namespace attnlab {

DotScoreImpl::DotScoreImpl(const DotScoreOptions& options_) : ScoreImpl(options_.heads()), options(options_) {
  TORCH_CHECK(options.query_dim() > 0 && options.key_dim() > 0, "dot score: dims must be positive, got query ",
              options.query_dim(), ", key ", options.key_dim());
  if (options.bilinear()) {
    key_proj = register_module(
        "key_proj",
        HeadLinear(HeadLinearOptions(options.key_dim(), options.query_dim()).heads(options.heads()).bias(false)));
  } else {
    TORCH_CHECK(options.query_dim() == options.key_dim(), "dot score: query (", options.query_dim(),
                " dims) and keys (", options.key_dim(), " dims) must have the same size; use \"general\"");
  }
}

torch::Tensor DotScoreImpl::project_keys(const torch::Tensor& keys) {
  TORCH_CHECK(keys.dim() == 3 && keys.size(2) == options.key_dim(), "dot score: keys must be [B, Tk, ",
              options.key_dim(), "], got ", keys.sizes());
  return key_proj ? key_proj(keys) : keys;  // [B, Tk, Dq]
}

torch::Tensor DotScoreImpl::forward(const torch::Tensor& query, const torch::Tensor& projected_keys) {
  return torch::bmm(product_query(query), projected_keys.transpose(1, 2));  // [B, Tq, Tk]
}

torch::Tensor DotScoreImpl::product_query(const torch::Tensor& query) {
  check_query(query);
  // The 1/√D of a scaled score is applied to the queries [B, Tq, D], not to the scores [B, Tq, Tk].
  return scale(query);  // [B, Tq, D]
}

torch::Tensor DotScoreImpl::score_window(const torch::Tensor& query, const torch::Tensor& window_keys,
                                         const torch::Tensor& /*positions*/) {
  check_query(query);
  // Σ_d over [B, Tq, W, D] ⊙ [B, Tq, 1, D]: element-wise, so a window of views costs no copy
  // (a matrix product would make one tiny product per query).
  return (window_keys * scale(query).unsqueeze(2)).sum(-1);  // [B, Tq, W]
}

torch::Tensor DotScoreImpl::score_shifted(const torch::Tensor& query, const torch::Tensor& key_rows,
                                          const torch::Tensor& positions) {
  check_query(query);
  return band_scores(scale(query), key_rows, positions.size(2));  // [B, Tq, W]
}

torch::Tensor DotScoreImpl::scale(const torch::Tensor& query) const {
  return options.scaled() ? query * (1.0 / std::sqrt(static_cast<double>(options.query_dim()))) : query;
}

void DotScoreImpl::check_query(const torch::Tensor& query) const {
  TORCH_CHECK(query.dim() == 3 && query.size(2) == options.query_dim(), "dot score: query must be [B, Tq, ",
              options.query_dim(), "], got ", query.sizes());
}

}  // namespace attnlab
