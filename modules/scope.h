#pragma once
// An alignment scope: which keys a query may attend to and how the scores become weights
// (see DESIGN.md: score x scope x heads). A scope owns no score; it is handed one, so every
// score works with every scope.
// Legend: B batch, Tq query steps, Tk key steps, W keys a query sees, Dv value dims.
//   score, query [B, Tq, Dq], memory (keys [B, Tk, *], values [B, Tk, Dv])
//   -> context [B, Tq, Dv], weights [B, Tq, W] (+ positions [B, Tq, W] when W != Tk)

#include <torch/torch.h>

#include "modules/attention.h"
#include "modules/score.h"

namespace attnlab {

/// What an attention tells the scope it builds.
struct ScopeDims {
  int64_t query_dim;
  /// Heads the scope serves, each with its own parameters (multi_head; 1 elsewhere).
  int64_t heads = 1;
};

class ScopeImpl : public torch::nn::Module {
 public:
  /// Weights and context of the queries over the memory. `weight_dropout` drops weights (in
  /// training) before they mix the values; the weights returned are those before dropout.
  virtual AttentionOutput forward(ScoreImpl& score, const AttentionQuery& query, const AttentionMemory& memory,
                                  double weight_dropout) = 0;

  /// See AttentionImpl::estimator_loss; undefined for scopes trained by backpropagation alone.
  virtual torch::Tensor estimator_loss(const torch::Tensor& /*sample_log_prob*/, const torch::Tensor& /*entropy*/,
                                       const torch::Tensor& /*reward*/, const torch::Tensor& /*step_mask*/) {
    return {};
  }
};

/// key_padding_mask and attn_mask merged: true where a query may not look at a key,
/// [B, 1, Tk] or [B, Tq, Tk] (broadcasts to the scores), or undefined when nothing is masked.
torch::Tensor merged_mask(const AttentionQuery& query, const AttentionMemory& memory);

/// weights [B, Tq, W] -> weights after dropout (training only) -> context [B, Tq, Dv] over `values` [B, Tq?, W, Dv].
torch::Tensor mix_values(const torch::Tensor& weights, const torch::Tensor& values, double weight_dropout,
                         bool training);

}  // namespace attnlab
