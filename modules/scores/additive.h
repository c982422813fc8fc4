#pragma once
// Additive score (Bahdanau et al. 2014; Luong's "concat"): score(q, k) = vᵀ tanh(W q + U k).
// Legend: B batch (B x H rows when built for H heads), Tq query steps, Tk key steps, A attention hidden dims.

#include "core/options.h"
#include "modules/head_linear.h"
#include "modules/score.h"

namespace attnlab {

struct AdditiveScoreOptions {
  AdditiveScoreOptions(int64_t query_dim, int64_t key_dim) : query_dim_(query_dim), key_dim_(key_dim) {}
  /// Size of the query vectors (set by the model).
  TORCH_ARG(int64_t, query_dim);
  /// Size of the key vectors (set by the model).
  TORCH_ARG(int64_t, key_dim);
  /// Size A of the hidden layer in which query and key are added.
  TORCH_ARG(int64_t, hidden) = 128;
  /// H: heads it serves, each with its own parameters (set by multi_head; 1 elsewhere).
  TORCH_ARG(int64_t, heads) = 1;
};

template <class Fields>
void visit_fields(Fields& f, AdditiveScoreOptions& o) {
  f("hidden", o.hidden(), at_least(1));
}

class AdditiveScoreImpl : public ScoreImpl {
 public:
  explicit AdditiveScoreImpl(const AdditiveScoreOptions& options);
  torch::Tensor project_keys(const torch::Tensor& keys) override;  // [B, Tk, A]
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& projected_keys) override;

  AdditiveScoreOptions options;
  HeadLinear query_proj{nullptr};  // W, with the bias of the hidden layer
  HeadLinear key_proj{nullptr};    // U
  HeadLinear v{nullptr};           // vᵀ
};

}  // namespace attnlab
