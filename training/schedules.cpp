#include "training/schedules.h"

#include <algorithm>
#include <cmath>

namespace attnlab {

namespace {

struct WarmupSpec {
  /// Steps of linear warmup from 0 to the base rate.
  TORCH_ARG(int64_t, warmup) = 0;
};
template <class Fields>
void visit_fields(Fields& f, WarmupSpec& o) {
  f("warmup", o.warmup(), at_least(0));
}

struct LinearSpec {
  TORCH_ARG(int64_t, warmup) = 0;
  /// Factor reached at the last step.
  TORCH_ARG(double, final_factor) = 0.0;
};
template <class Fields>
void visit_fields(Fields& f, LinearSpec& o) {
  f("warmup", o.warmup(), at_least(0));
  f("final_factor", o.final_factor(), in_range(0.0, 1.0));
}

struct InverseSqrtSpec {
  TORCH_ARG(int64_t, warmup) = 4000;
  /// If > 0, Noam's form: factor = model_dim^-0.5 · min(t^-0.5, t · warmup^-1.5) (the base
  /// rate is then Noam's scale); if 0, the same curve scaled to peak at 1 at t = warmup.
  TORCH_ARG(int64_t, model_dim) = 0;
};
template <class Fields>
void visit_fields(Fields& f, InverseSqrtSpec& o) {
  f("warmup", o.warmup(), at_least(1));
  f("model_dim", o.model_dim(), at_least(0));
}

double warmup_factor(int64_t step, int64_t warmup) {
  return warmup > 0 && step < warmup ? static_cast<double>(step) / warmup : 1.0;
}

}  // namespace

const ScheduleRegistry& schedule_registry() {
  static const ScheduleRegistry registry(
      "schedule",
      {
          options_entry<LearningRateSchedule, int64_t>(
              "constant", "the base rate throughout, after an optional linear warmup", WarmupSpec{},
              [](const WarmupSpec& o, int64_t) -> LearningRateSchedule {
                return [o](int64_t step) { return warmup_factor(step, o.warmup()); };
              }),
          options_entry<LearningRateSchedule, int64_t>(
              "linear", "linear warmup, then linear decay to final_factor at the last step", LinearSpec{},
              [](const LinearSpec& o, int64_t total) -> LearningRateSchedule {
                return [o, total](int64_t step) {
                  if (step < o.warmup()) return warmup_factor(step, o.warmup());
                  const double span = std::max<int64_t>(1, total - o.warmup());
                  const double progress = std::min(1.0, (step - o.warmup()) / span);
                  return 1.0 - (1.0 - o.final_factor()) * progress;
                };
              }),
          options_entry<LearningRateSchedule, int64_t>(
              "inverse_sqrt", "linear warmup, then decay as 1/sqrt(step) (Vaswani et al. 2017, 'Noam')",
              InverseSqrtSpec{}, [](const InverseSqrtSpec& o, int64_t) -> LearningRateSchedule {
                return [o](int64_t step) {
                  const double t = std::max<int64_t>(1, step), w = o.warmup();
                  const double noam = std::min(std::pow(t, -0.5), t * std::pow(w, -1.5));
                  return o.model_dim() > 0 ? std::pow(static_cast<double>(o.model_dim()), -0.5) * noam
                                           : noam * std::sqrt(w);
                };
              }),
      });
  return registry;
}

}  // namespace attnlab
