#pragma once
// The attention family: every attention a model can be given through `model.attention`.
// "none" creates no module (a null pointer): the model then uses a fixed context.

#include <memory>

#include "modules/attention.h"
#include "modules/registry.h"
#include "modules/score_registry.h"

namespace attnlab {

/// What a model tells the attention it builds.
struct AttentionDims {
  int64_t query_dim;
  int64_t key_dim;
};

/// Options of the "global" scope: which score to normalise over every key.
struct GlobalAttentionOptions {
  /// A score from the score registry ("dot", "general", {"type": "additive", "hidden": 64}, ...).
  TORCH_ARG(json, score) = json{{"type", "dot"}};
};
template <class Fields>
void visit_fields(Fields& f, GlobalAttentionOptions& o) {
  f.nested("score", o.score(), score_registry());
}

using AttentionRegistry = Registry<std::shared_ptr<AttentionImpl>, AttentionDims>;
const AttentionRegistry& attention_registry();

}  // namespace attnlab
