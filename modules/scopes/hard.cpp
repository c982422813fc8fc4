#include "modules/scopes/hard.h"

#include <limits>

#include "modules/masks.h"

namespace attnlab {

HardScopeImpl::HardScopeImpl(const HardScopeOptions& options_) : options(options_) {
  TORCH_CHECK(options.estimator() == "reinforce" || options.estimator() == "gumbel_st",
              "hard scope: estimator must be reinforce or gumbel_st, got ", options.estimator());
  estimator = options.estimator() == "reinforce" ? HardEstimator::kReinforce : HardEstimator::kGumbelStraightThrough;
  baseline = register_buffer("baseline", torch::zeros({}));
  baseline_updates = register_buffer("baseline_updates", torch::zeros({}, torch::kLong));
}

AttentionOutput HardScopeImpl::forward(ScoreImpl& score, const AttentionQuery& query, const AttentionMemory& memory,
                                       double /*weight_dropout: one position has nothing to drop*/) {
  auto scores = score.forward(query.query, memory.keys);  // [B, Tq, Tk]
  auto mask = merged_mask(query, memory);                 // broadcasts to [B, Tq, Tk], or undefined
  auto probs = masked_softmax(scores, mask);              // [B, Tq, Tk]
  auto has_keys = probs.sum(-1, /*keepdim=*/true).gt(0.5);  // [B, Tq, 1] false where every key is masked
  const int64_t Tk = scores.size(-1);
  auto one_hot = [&](const torch::Tensor& index) {  // [B, Tq] -> [B, Tq, Tk], zero rows where no key is left
    return torch::zeros_like(probs).scatter(-1, index.unsqueeze(-1), 1.0) * has_keys;
  };

  AttentionOutput out;
  if (!is_training()) {
    out.weights = one_hot(probs.argmax(-1));
  } else if (estimator == HardEstimator::kReinforce) {
    torch::Tensor sample;  // [B, Tq]
    {
      torch::NoGradGuard no_grad;
      // Rows without keys sample from a uniform stand-in; their one-hot is zeroed above.
      auto sampling = torch::where(has_keys, probs, torch::ones_like(probs) / Tk);
      sample = torch::multinomial(sampling.flatten(0, 1), 1).view({probs.size(0), probs.size(1)});
    }
    out.weights = one_hot(sample);
    out.sample_log_prob = probs.gather(-1, sample.unsqueeze(-1)).squeeze(-1).clamp_min(1e-30).log() *
                          has_keys.squeeze(-1);  // [B, Tq]
    out.entropy = weight_entropy(probs);         // [B, Tq]
  } else {  // gumbel_st
    auto uniform = torch::rand_like(scores).clamp(1e-10, 1.0 - 1e-10);
    auto gumbel = -torch::log(-torch::log(uniform));                                     // [B, Tq, Tk]
    auto soft = masked_softmax((scores + gumbel) / options.temperature(), mask);          // [B, Tq, Tk]
    auto hard = one_hot(soft.argmax(-1));
    out.weights = hard - soft.detach() + soft;  // forward: one-hot; backward: the soft gradient
  }
  out.context = mix_values(out.weights, memory.values, 0.0, is_training());  // [B, Tq, Dv]
  return out;
}

torch::Tensor HardScopeImpl::estimator_loss(const torch::Tensor& sample_log_prob, const torch::Tensor& entropy,
                                            const torch::Tensor& reward, const torch::Tensor& step_mask) {
  if (estimator != HardEstimator::kReinforce || !sample_log_prob.defined()) return {};
  TORCH_CHECK(sample_log_prob.dim() == 2 && reward.dim() == 1 && reward.size(0) == sample_log_prob.size(0) &&
                  step_mask.sizes() == sample_log_prob.sizes(),
              "hard attention: estimator_loss needs log-probs [B, T], reward [B], mask [B, T]; got ",
              sample_log_prob.sizes(), ", ", reward.sizes(), ", ", step_mask.sizes());
  auto real = step_mask.to(sample_log_prob.scalar_type());  // [B, T]
  auto tokens = real.sum().clamp_min(1.0);
  torch::Tensor advantage;  // [B]
  {
    torch::NoGradGuard no_grad;
    const double batch_mean = reward.mean().item<double>();
    const bool first = baseline_updates.item<int64_t>() == 0;
    const double b = first ? batch_mean : baseline.item<double>();
    advantage = (reward - b).to(sample_log_prob.scalar_type());
    if (is_training()) {
      const double decay = options.baseline_decay();
      baseline.fill_(first ? batch_mean : decay * b + (1 - decay) * batch_mean);
      baseline_updates.add_(1);
    }
  }
  auto log_prob_of_choices = (sample_log_prob * real).sum(1);  // [B]
  auto reinforce = -(advantage * log_prob_of_choices).sum() / tokens;
  auto entropy_bonus = (entropy * real).sum() / tokens;
  return options.reinforce_weight() * reinforce - options.entropy_weight() * entropy_bonus;
}

}  // namespace attnlab
