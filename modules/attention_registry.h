#pragma once
// The attention family: every attention a model can be given through `model.attention`.
// A single-head attention is a score from the score registry under one scope of the scope
// registry, one entry per scope, generated from the scope's own entry
//   {"type": "local_p", "score": "general", "window": 5};
// names from the literature are aliases ("bahdanau": global scope, additive score), and
// multi_head splits any score and scope into heads, each with its own parameters
//   {"type": "multi_head", "heads": 8, "score": "scaled_dot", "scope": "global"}.
// "none" creates no module (a null pointer): the model then uses a fixed context.

#include <memory>

#include "core/registry.h"
#include "modules/attention.h"
#include "modules/multi_head.h"
#include "modules/scope_registry.h"
#include "modules/score_registry.h"

namespace attnlab {

/// What a model tells the attention it builds (values have the keys' size).
struct AttentionDims {
  int64_t query_dim;
  int64_t key_dim;
};

/// Options of multi_head as they appear in JSON: the module's own, its score and its scope.
struct MultiHeadSpec {
  MultiHeadOptions heads{0, 0};
  /// The score each head uses, built for D/H dims, with its own parameters per head.
  json score = json{{"type", "scaled_dot"}};
  /// The scope each head uses, from the scope registry (local_p: a position predictor per head).
  json scope = json{{"type", "global"}};
};
template <class Fields>
void visit_fields(Fields& f, MultiHeadSpec& o) {
  f("heads", o.heads.heads(), at_least(1));
  f("dropout", o.heads.dropout(), in_range(0.0, 1.0));
  f("bias", o.heads.bias());
  f.nested("score", o.score, score_registry());
  f.nested("scope", o.scope, scope_registry());
}

using AttentionRegistry = Registry<std::shared_ptr<AttentionImpl>, AttentionDims>;
const AttentionRegistry& attention_registry();

}  // namespace attnlab
