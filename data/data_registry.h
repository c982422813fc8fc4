#pragma once
// The data family: where a task's examples come from (sequence pairs, documents).

#include <memory>

#include "core/registry.h"
#include "data/dataset.h"
#include "data/tokenizer_store.h"

namespace attnlab {

/// Every dataset a task can read; the task checks that it is of its kind. The context says
/// where a text dataset keeps the tokenizer it trains (data/tokenizer_store.h).
using DataRegistry = Registry<std::shared_ptr<Dataset>, const DataContext&>;
const DataRegistry& data_registry();

}  // namespace attnlab
