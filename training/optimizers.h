#pragma once
// The optimizer family: adam, adamw (one pass per parameter: training/fused_adam.h), sgd (with momentum).

#include <memory>
#include <vector>

#include <torch/torch.h>

#include "core/registry.h"

namespace attnlab {

using OptimizerRegistry = Registry<std::unique_ptr<torch::optim::Optimizer>, std::vector<torch::Tensor>>;
const OptimizerRegistry& optimizer_registry();

/// The learning rate the optimizer was built with (its first parameter group's).
double base_learning_rate(const json& resolved_optimizer);

}  // namespace attnlab
