#include "modules/scores/additive.h"

namespace attnlab {

AdditiveScoreImpl::AdditiveScoreImpl(const AdditiveScoreOptions& options_)
    : ScoreImpl(options_.heads()), options(options_) {
  TORCH_CHECK(options.query_dim() > 0 && options.key_dim() > 0 && options.hidden() > 0,
              "additive score: dims must be positive, got query ", options.query_dim(), ", key ",
              options.key_dim(), ", hidden ", options.hidden());
  const int64_t H = options.heads();
  query_proj =
      register_module("query_proj", HeadLinear(HeadLinearOptions(options.query_dim(), options.hidden()).heads(H)));
  key_proj = register_module("key_proj",
                             HeadLinear(HeadLinearOptions(options.key_dim(), options.hidden()).heads(H).bias(false)));
  v = register_module("v", HeadLinear(HeadLinearOptions(options.hidden(), 1).heads(H).bias(false)));
}

torch::Tensor AdditiveScoreImpl::project_keys(const torch::Tensor& keys) {
  TORCH_CHECK(keys.dim() == 3 && keys.size(2) == options.key_dim(), "additive score: keys must be [B, Tk, ",
              options.key_dim(), "], got ", keys.sizes());
  return key_proj(keys);  // [B, Tk, A]
}

torch::Tensor AdditiveScoreImpl::forward(const torch::Tensor& query, const torch::Tensor& projected_keys) {
  TORCH_CHECK(query.dim() == 3 && query.size(2) == options.query_dim(), "additive score: query must be [B, Tq, ",
              options.query_dim(), "], got ", query.sizes());
  auto q = query_proj(query).unsqueeze(2);                              // [B, Tq, 1, A]
  return v(torch::tanh(q + projected_keys.unsqueeze(1))).squeeze(-1);  // [B, Tq, Tk, A] -> [B, Tq, Tk]
}

}  // namespace attnlab
