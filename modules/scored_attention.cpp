#include "modules/scored_attention.h"

#include "modules/masks.h"

namespace attnlab {

ScoredAttentionImpl::ScoredAttentionImpl(std::shared_ptr<ScoreImpl> score_)
    : score(register_module("score", std::move(score_))) {}

torch::Tensor ScoredAttentionImpl::prepare_keys(const torch::Tensor& keys) { return score->project_keys(keys); }

AttentionOutput ScoredAttentionImpl::attend(const torch::Tensor& query, const torch::Tensor& prepared_keys,
                                            const torch::Tensor& values, const torch::Tensor& key_padding_mask) {
  check_attention_shapes(query, prepared_keys, values, key_padding_mask);
  auto scores = score->forward(query, prepared_keys);  // [B, Tq, Tk]
  auto mask = key_padding_mask.defined() ? key_padding_mask.unsqueeze(1) : torch::Tensor();  // [B, 1, Tk]
  auto weights = masked_softmax(scores, mask);          // [B, Tq, Tk]
  return {torch::bmm(weights, values), weights};        // [B, Tq, Dv], [B, Tq, Tk]
}

}  // namespace attnlab
