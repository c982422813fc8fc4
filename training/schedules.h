#pragma once
// The learning-rate schedule family. A schedule is a factor of the optimizer's base
// learning rate at optimizer step t = 1, 2, ...; being a pure function of the step, it
// needs no state of its own in a checkpoint.

#include <functional>

#include "core/registry.h"

namespace attnlab {

using LearningRateSchedule = std::function<double(int64_t step)>;

/// Context: the run's total number of optimizer steps.
using ScheduleRegistry = Registry<LearningRateSchedule, int64_t>;
const ScheduleRegistry& schedule_registry();

}  // namespace attnlab
