#include "training/fused_adam.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace attnlab {

namespace {

/// What one update of one parameter needs besides its tensors.
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW: p ← p (1 - lr·wd) before the update; Adam: g ← g + wd·p
  bool amsgrad;
  int64_t step;    // 1 for the first update
};

/// The update of LibTorch's Adam/AdamW, operation for operation, on each element in turn:
///   g = grad (+ wd p) ; m = β1 m + (1-β1) g ; v = β2 v + (1-β2) g² ; v̂ = max(v̂, v) (amsgrad)
///   p = p (1 - lr wd) (AdamW) ; p = p - lr/(1-β1^t) · m / (sqrt(v or v̂)/sqrt(1-β2^t) + eps)
void update(torch::Tensor& param, const torch::Tensor& grad_in, torch::Tensor& exp_avg, torch::Tensor& exp_avg_sq,
            torch::Tensor& max_exp_avg_sq, const AdamStep& s) {
  TORCH_CHECK(!grad_in.is_sparse(), "adam: sparse gradients are not supported");
  TORCH_CHECK(param.is_contiguous() && exp_avg.is_contiguous() && exp_avg_sq.is_contiguous() &&
                  (!s.amsgrad || max_exp_avg_sq.is_contiguous()),
              "adam: parameters and their state must be contiguous");
  const auto grad = grad_in.contiguous();
  const double bias_correction1 = 1 - std::pow(s.beta1, static_cast<double>(s.step));
  const double bias_correction2 = 1 - std::pow(s.beta2, static_cast<double>(s.step));
  AT_DISPATCH_FLOATING_TYPES(param.scalar_type(), "fused_adam", [&] {
    auto* p = param.data_ptr<scalar_t>();
    const auto* g = grad.data_ptr<scalar_t>();
    auto* m = exp_avg.data_ptr<scalar_t>();
    auto* v = exp_avg_sq.data_ptr<scalar_t>();
    auto* v_max = s.amsgrad ? max_exp_avg_sq.data_ptr<scalar_t>() : nullptr;
    const auto beta1 = static_cast<scalar_t>(s.beta1), beta2 = static_cast<scalar_t>(s.beta2);
    const auto one_minus_beta1 = static_cast<scalar_t>(1 - s.beta1), one_minus_beta2 = static_cast<scalar_t>(1 - s.beta2);
    const auto weight_decay = static_cast<scalar_t>(s.weight_decay);
    const auto shrink = static_cast<scalar_t>(1 - s.lr * s.weight_decay);
    const auto sqrt_bias_correction2 = static_cast<scalar_t>(std::sqrt(bias_correction2));
    const auto eps = static_cast<scalar_t>(s.eps);
    const auto step_size = static_cast<scalar_t>(s.lr / bias_correction1);
    const bool l2 = !s.decoupled && s.weight_decay != 0, decay = s.decoupled && s.weight_decay != 0;
    at::parallel_for(0, param.numel(), 16384, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t gi = l2 ? g[i] + weight_decay * p[i] : g[i];
        m[i] = m[i] * beta1 + one_minus_beta1 * gi;
        v[i] = v[i] * beta2 + one_minus_beta2 * gi * gi;
        scalar_t second = v[i];
        if (v_max) second = v_max[i] = std::max(v_max[i], v[i]);
        if (decay) p[i] = p[i] * shrink;
        p[i] = p[i] - step_size * (m[i] / (std::sqrt(second) / sqrt_bias_correction2 + eps));
      }
    });
  });
}

/// One step of every parameter with a gradient, moments created on first use as LibTorch does.
template <class Options, class State, class StateMap>
void step_all(std::vector<torch::optim::OptimizerParamGroup>& groups, StateMap& state, bool decoupled) {
  torch::NoGradGuard no_grad;
  for (auto& group : groups) {
    const auto& o = static_cast<const Options&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto key = c10::guts::to_string(p.unsafeGetTensorImpl());  // LibTorch's key, so checkpoints match
      auto found = state.find(key);
      if (found == state.end()) {
        auto fresh = std::make_unique<State>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        if (o.amsgrad()) fresh->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        found = state.emplace(key, std::move(fresh)).first;
      }
      auto& s = static_cast<State&>(*found->second);
      s.step(s.step() + 1);
      auto param = p.detach();  // the same storage, written in place
      auto exp_avg = s.exp_avg(), exp_avg_sq = s.exp_avg_sq(), max_exp_avg_sq = s.max_exp_avg_sq();
      update(param, p.grad(), exp_avg, exp_avg_sq, max_exp_avg_sq,
             {o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(), o.weight_decay(), decoupled,
              o.amsgrad(), s.step()});
    }
  }
}

/// The loss of an optimizer's closure (evaluated with gradients on), or undefined without one.
torch::Tensor loss_of(const torch::optim::Optimizer::LossClosure& closure) {
  if (!closure) return {};
  torch::AutoGradMode enable_grad(true);
  return closure();
}

}  // namespace

torch::Tensor FusedAdam::step(LossClosure closure) {
  auto loss = loss_of(closure);
  step_all<torch::optim::AdamOptions, torch::optim::AdamParamState>(param_groups_, state_, /*decoupled=*/false);
  return loss;
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
  auto loss = loss_of(closure);
  step_all<torch::optim::AdamWOptions, torch::optim::AdamWParamState>(param_groups_, state_, /*decoupled=*/true);
  return loss;
}

}  // namespace attnlab
