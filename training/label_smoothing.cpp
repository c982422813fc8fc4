#include "training/label_smoothing.h"

namespace attnlab {

namespace {

struct LabelSmoothedNll : torch::autograd::Function<LabelSmoothedNll> {
  /// log_probs [N, V], targets [N] -> loss [].
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& log_probs,
                               const torch::Tensor& targets, double epsilon, int64_t ignore_index) {
    const auto real = targets.ne(ignore_index);                                       // [N]
    const auto weight = real.to(log_probs.scalar_type()) / real.sum().clamp_min(1);  // [N] w_r
    const auto nll = -log_probs.gather(1, targets.unsqueeze(1)).squeeze(1);          // [N]
    const auto uniform = -log_probs.mean(1);                                          // [N] -(1/V) Σ_v log p_v
    ctx->save_for_backward({weight, targets});
    ctx->saved_data["epsilon"] = epsilon;
    ctx->saved_data["vocab"] = log_probs.size(1);
    return ((1.0 - epsilon) * nll + epsilon * uniform).mul(weight).sum();
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto scaled = saved[0] * grads[0];  // [N] w_r · ∂L/∂loss
    const double epsilon = ctx->saved_data["epsilon"].toDouble();
    const int64_t V = ctx->saved_data["vocab"].toInt();
    // One pass writes -w_r ε/V everywhere; the target column gets -w_r (1 - ε) more.
    auto grad = (scaled * (-epsilon / static_cast<double>(V))).unsqueeze(1).expand({-1, V}).contiguous();  // [N, V]
    grad.scatter_add_(1, saved[1].unsqueeze(1), (scaled * -(1.0 - epsilon)).unsqueeze(1));
    return {grad, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor label_smoothed_nll(const torch::Tensor& log_probs, const torch::Tensor& targets, double epsilon,
                                 int64_t ignore_index) {
  TORCH_CHECK(log_probs.dim() == 2 && targets.dim() == 1 && targets.size(0) == log_probs.size(0),
              "label_smoothed_nll: needs log_probs [N, V] and targets [N], got ", log_probs.sizes(), " and ",
              targets.sizes());
  return LabelSmoothedNll::apply(log_probs, targets, epsilon, ignore_index);
}

}  // namespace attnlab
