#pragma once
// Dot-product scores. Legend: B batch (B x H rows when built for H heads), Tq query steps, Tk key
// steps, W window keys, D dims.
//   dot (Luong et al. 2015):          score(q, k) = qᵀk
//   scaled_dot (Vaswani et al. 2017): score(q, k) = qᵀk / √D
//   general (Luong et al. 2015):      score(q, k) = qᵀ W k   (W k computed once per key sequence)

#include "core/options.h"
#include "modules/head_linear.h"
#include "modules/score.h"

namespace attnlab {

struct DotScoreOptions {
  DotScoreOptions(int64_t query_dim, int64_t key_dim) : query_dim_(query_dim), key_dim_(key_dim) {}
  /// Size of the query vectors (set by the model).
  TORCH_ARG(int64_t, query_dim);
  /// Size of the key vectors (set by the model).
  TORCH_ARG(int64_t, key_dim);
  /// Divide by √D (scaled dot product).
  TORCH_ARG(bool, scaled) = false;
  /// Learn W: score = qᵀ W k ("general"); keys and queries may then differ in size.
  TORCH_ARG(bool, bilinear) = false;
  /// H: heads it serves, each with its own parameters (set by multi_head; 1 elsewhere).
  TORCH_ARG(int64_t, heads) = 1;
};

template <class Fields>
void visit_fields(Fields& /*f*/, DotScoreOptions& /*o*/) {}  // its registry names fix every field

class DotScoreImpl : public ScoreImpl {
 public:
  explicit DotScoreImpl(const DotScoreOptions& options);
  torch::Tensor project_keys(const torch::Tensor& keys) override;  // [B, Tk, Dq]
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& projected_keys) override;
  torch::Tensor product_query(const torch::Tensor& query) override;  // [B, Tq, Dq], scaled if scaled
  torch::Tensor score_window(const torch::Tensor& query, const torch::Tensor& window_keys,
                             const torch::Tensor& positions) override;  // element-wise, no tiny products
  torch::Tensor score_shifted(const torch::Tensor& query, const torch::Tensor& key_rows,
                              const torch::Tensor& positions) override;  // banded matrix products

  DotScoreOptions options;
  HeadLinear key_proj{nullptr};  // W of "general" (one per head); absent for plain dot products

 private:
  torch::Tensor scale(const torch::Tensor& query) const;  // query / √D if scaled
  void check_query(const torch::Tensor& query) const;
};

}  // namespace attnlab
