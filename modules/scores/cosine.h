#pragma once
// Cosine score (query-key normalisation: Henry et al. 2020; Liu et al. 2022, Swin v2):
//   score(q, k) = s · qᵀk / (|q| |k|),
// a cosine in [-1, 1] times a scale s (learned, one per head, or fixed) that sets how peaked
// the softmax can get. Keys are normalised once per key sequence.
// Legend: B batch (B x H rows when built for H heads), H heads, Tq query steps, Tk key steps, D dims.

#include "core/options.h"
#include "modules/score.h"

namespace attnlab {

struct CosineScoreOptions {
  CosineScoreOptions(int64_t query_dim, int64_t key_dim) : query_dim_(query_dim), key_dim_(key_dim) {}
  /// Size of the query vectors (set by the model).
  TORCH_ARG(int64_t, query_dim);
  /// Size of the key vectors (set by the model); must equal the query's.
  TORCH_ARG(int64_t, key_dim);
  /// s: the scale of the cosines (its starting value when learned).
  TORCH_ARG(double, scale) = 10.0;
  /// Learn s (one per head) rather than keep it fixed.
  TORCH_ARG(bool, learn_scale) = true;
  /// H: heads it serves, each with its own scale (set by multi_head; 1 elsewhere).
  TORCH_ARG(int64_t, heads) = 1;
};

template <class Fields>
void visit_fields(Fields& f, CosineScoreOptions& o) {
  f("scale", o.scale(), greater_than(0.0));
  f("learn_scale", o.learn_scale());
}

class CosineScoreImpl : public ScoreImpl {
 public:
  explicit CosineScoreImpl(const CosineScoreOptions& options);
  torch::Tensor project_keys(const torch::Tensor& keys) override;  // keys / |keys|: [B, Tk, D]
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& projected_keys) override;

  CosineScoreOptions options;
  torch::Tensor scale;  // [H]: a parameter when learned, else a buffer
};

}  // namespace attnlab
