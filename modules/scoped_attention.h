#pragma once
// Single-head attention: one score function under one alignment scope.
// Legend: B batch, Tq query steps, Tk key steps, Dv value dims.
//   prepare: keys -> score.project_keys(keys) (once per sequence); values as they are
//   attend:  the scope turns the query's scores into weights [B, Tq, W] and context [B, Tq, Dv]

#include <memory>

#include "modules/attention.h"
#include "modules/scope.h"
#include "modules/score.h"

namespace attnlab {

class ScopedAttentionImpl : public AttentionImpl {
 public:
  ScopedAttentionImpl(std::shared_ptr<ScoreImpl> score, std::shared_ptr<ScopeImpl> scope);
  AttentionMemory prepare(const torch::Tensor& keys, const torch::Tensor& values,
                          const torch::Tensor& key_padding_mask) override;
  AttentionOutput attend(const AttentionQuery& query, const AttentionMemory& memory) override;
  torch::Tensor estimator_loss(const torch::Tensor& sample_log_prob, const torch::Tensor& entropy,
                               const torch::Tensor& reward, const torch::Tensor& step_mask) override;

  std::shared_ptr<ScoreImpl> score;
  std::shared_ptr<ScopeImpl> scope;
};

}  // namespace attnlab
