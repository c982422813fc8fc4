#include "modules/scoped_attention.h"

namespace attnlab {

ScopedAttentionImpl::ScopedAttentionImpl(std::shared_ptr<ScoreImpl> score_, std::shared_ptr<ScopeImpl> scope_)
    : score(register_module("score", std::move(score_))), scope(register_module("scope", std::move(scope_))) {}

AttentionMemory ScopedAttentionImpl::prepare(const torch::Tensor& keys, const torch::Tensor& values,
                                             const torch::Tensor& key_padding_mask) {
  return {score->project_keys(keys), values, key_padding_mask};
}

AttentionOutput ScopedAttentionImpl::attend(const AttentionQuery& query, const AttentionMemory& memory) {
  check_attention_shapes(query, memory);
  return scope->forward(*score, query, memory, /*weight_dropout=*/0.0);
}

torch::Tensor ScopedAttentionImpl::estimator_loss(const torch::Tensor& sample_log_prob, const torch::Tensor& entropy,
                                                  const torch::Tensor& reward, const torch::Tensor& step_mask) {
  return scope->estimator_loss(sample_log_prob, entropy, reward, step_mask);
}

}  // namespace attnlab
