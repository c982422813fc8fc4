#include "modules/scopes/global.h"

#include "modules/masks.h"

namespace attnlab {

AttentionOutput GlobalScopeImpl::forward(ScoreImpl& score, const AttentionQuery& query,
                                         const AttentionMemory& memory, double weight_dropout) {
  auto scores = score.forward(query.query, memory.keys);                // [B, Tq, Tk]
  auto weights = masked_softmax(scores, merged_mask(query, memory));    // [B, Tq, Tk]
  AttentionOutput out;
  out.context = mix_values(weights, memory.values, weight_dropout, is_training());  // [B, Tq, Dv]
  out.weights = weights;
  return out;
}

}  // namespace attnlab
