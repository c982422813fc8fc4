#pragma once
// Attention as a score function with a global scope: weights = softmax over every
// unmasked key of score(q, k); context = weights · values.
// Legend: B batch, Tq query steps, Tk key steps, Dv value dims.

#include <memory>

#include "modules/attention.h"
#include "modules/score.h"

namespace attnlab {

class ScoredAttentionImpl : public AttentionImpl {
 public:
  explicit ScoredAttentionImpl(std::shared_ptr<ScoreImpl> score);
  torch::Tensor prepare_keys(const torch::Tensor& keys) override;
  AttentionOutput attend(const torch::Tensor& query, const torch::Tensor& prepared_keys, const torch::Tensor& values,
                         const torch::Tensor& key_padding_mask) override;

  std::shared_ptr<ScoreImpl> score;
};

}  // namespace attnlab
