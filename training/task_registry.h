#pragma once
// The task family: the kinds of work the shared loop runs.

#include <memory>

#include "modules/registry.h"
#include "training/task.h"

namespace attnlab {

struct ExperimentOptions;
using TaskRegistry = Registry<std::unique_ptr<Task>, const ExperimentOptions&>;
const TaskRegistry& task_registry();

}  // namespace attnlab
