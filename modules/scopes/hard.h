#pragma once
// Hard attention (Xu et al. 2015): the context is the value at ONE position, chosen from the
// distribution softmax(scores) over the unmasked keys: sampled in training, the argmax at
// evaluation. Two ways to train through the discrete choice:
//   reinforce:  the sample carries no gradient; attend() returns log p(sample) and the entropy,
//               and estimator_loss() turns them into the REINFORCE surrogate
//                 -λ_r (r - b) Σ_t log p(s_t) - λ_e Σ_t H_t   (per target token)
//               with r the sequence's reward (its log-likelihood), b a moving-average baseline.
//   gumbel_st:  straight-through Gumbel-softmax (Jang et al. 2017): the forward pass uses the
//               one-hot argmax of softmax((log p + g) / τ), the backward pass its soft gradient.
// Legend: B batch, Tq query steps, Tk key steps, T target steps, Dv value dims.

#include "core/options.h"
#include "modules/scope.h"

namespace attnlab {

struct HardScopeOptions {
  /// "reinforce" (score-function estimator, Xu et al. 2015) or "gumbel_st" (straight-through).
  TORCH_ARG(std::string, estimator) = "reinforce";
  /// gumbel_st: temperature τ of the Gumbel-softmax.
  TORCH_ARG(double, temperature) = 1.0;
  /// reinforce: weight λ_r of the REINFORCE term.
  TORCH_ARG(double, reinforce_weight) = 1.0;
  /// reinforce: weight λ_e of the entropy bonus.
  TORCH_ARG(double, entropy_weight) = 0.01;
  /// reinforce: the baseline b follows the batch mean reward: b <- decay b + (1 - decay) r̄.
  TORCH_ARG(double, baseline_decay) = 0.9;
};

template <class Fields>
void visit_fields(Fields& f, HardScopeOptions& o) {
  f("estimator", o.estimator(), one_of({"reinforce", "gumbel_st"}));
  f("temperature", o.temperature(), greater_than(0.0));
  f("reinforce_weight", o.reinforce_weight(), at_least(0.0));
  f("entropy_weight", o.entropy_weight(), at_least(0.0));
  f("baseline_decay", o.baseline_decay(), in_range(0.0, 1.0));
}

/// The estimator option, read once at construction.
enum class HardEstimator { kReinforce, kGumbelStraightThrough };

class HardScopeImpl : public ScopeImpl {
 public:
  explicit HardScopeImpl(const HardScopeOptions& options);
  AttentionOutput forward(ScoreImpl& score, const AttentionQuery& query, const AttentionMemory& memory,
                          double weight_dropout) override;
  torch::Tensor estimator_loss(const torch::Tensor& sample_log_prob, const torch::Tensor& entropy,
                               const torch::Tensor& reward, const torch::Tensor& step_mask) override;

  HardScopeOptions options;
  HardEstimator estimator;
  torch::Tensor baseline;          // scalar buffer: moving average of the reward (checkpointed)
  torch::Tensor baseline_updates;  // scalar buffer: how often it was updated (0: not yet)
};

}  // namespace attnlab
