#pragma once
// The attention family: every attention a model can be given through `model.attention`.
// "none" creates no module (a null pointer): the model then uses a fixed context.

#include <memory>

#include "modules/attention.h"
#include "modules/registry.h"

namespace attnlab {

/// What a model tells the attention it builds.
struct AttentionDims {
  int64_t query_dim;
  int64_t key_dim;
};

using AttentionRegistry = Registry<std::shared_ptr<AttentionImpl>, AttentionDims>;
const AttentionRegistry& attention_registry();

}  // namespace attnlab
