#pragma once
// The data family: where a task's examples come from.

#include <memory>

#include "data/seq2seq_data.h"
#include "modules/registry.h"

namespace attnlab {

using Seq2SeqDataRegistry = Registry<std::shared_ptr<Seq2SeqData>>;
const Seq2SeqDataRegistry& seq2seq_data_registry();

}  // namespace attnlab
