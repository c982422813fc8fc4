#pragma once
// The score family: how a query and a key are compared (see DESIGN.md: score x scope x heads).

#include <memory>

#include "core/registry.h"
#include "modules/score.h"

namespace attnlab {

/// What an attention tells the score it builds.
struct ScoreDims {
  int64_t query_dim;
  int64_t key_dim;
  /// Heads the score serves, each with its own parameters (multi_head; 1 elsewhere).
  int64_t heads = 1;
};

using ScoreRegistry = Registry<std::shared_ptr<ScoreImpl>, ScoreDims>;
const ScoreRegistry& score_registry();

}  // namespace attnlab
