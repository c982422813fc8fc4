#pragma once
// The data family: where a task's examples come from (sequence pairs, documents).

#include <memory>

#include "data/dataset.h"
#include "modules/registry.h"

namespace attnlab {

/// Every dataset a task can read; the task checks that it is of its kind.
using DataRegistry = Registry<std::shared_ptr<Dataset>>;
const DataRegistry& data_registry();

}  // namespace attnlab
