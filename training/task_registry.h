#pragma once
// The task family: the kinds of work the shared loop runs.

#include <memory>

#include "core/registry.h"
#include "training/task.h"

namespace attnlab {

struct ExperimentOptions;
struct DataContext;
/// A task is built from the whole resolved config (data, model, eval) and the data context.
using TaskRegistry = Registry<std::unique_ptr<Task>, const ExperimentOptions&, const DataContext&>;
const TaskRegistry& task_registry();

}  // namespace attnlab
