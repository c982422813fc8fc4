#pragma once
// The label-smoothed negative log-likelihood of sequence training (Szegedy et al. 2016), with a
// backward pass of its own: the gradient with respect to the log-probabilities,
//   ∂loss/∂log p[r, v] = -w_r ((1 - ε) [v = t_r] + ε / V),  w_r = [t_r ≠ ignore] / (real targets),
// does not depend on them, so it is written in one pass over [N, V] instead of the five that
// autograd takes for the composed expression (mean, gather, their scalings and their sum).
// Legend: N target positions, V vocabulary.

#include <torch/torch.h>

namespace attnlab {

/// Mean over non-ignored targets of -Σ_v q_v log p_v with q = (1 - ε) one-hot(target) + ε / V:
/// log_probs [N, V], targets [N]; targets equal to `ignore_index` count for nothing.
torch::Tensor label_smoothed_nll(const torch::Tensor& log_probs, const torch::Tensor& targets, double epsilon,
                                 int64_t ignore_index);

}  // namespace attnlab
