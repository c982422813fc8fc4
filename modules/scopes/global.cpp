#include "modules/scopes/global.h"

#include "modules/dot_product_attention.h"
#include "modules/masks.h"
#include "modules/traced_shapes.h"

namespace attnlab {

AttentionOutput GlobalScopeImpl::forward(ScoreImpl& score, const AttentionQuery& query,
                                         const AttentionMemory& memory, double weight_dropout) {
  // Matrix-product scores take the fused path; a trace (export) records the composed one.
  if (auto product_query = score.product_query(query.query); product_query.defined() && !tracing() &&
                                                               weight_dropout < 1.0) {
    auto fused = dot_product_attention(product_query, memory.keys, memory.values, merged_mask(query, memory),
                                       weight_dropout, is_training());
    AttentionOutput out;
    out.context = fused.context;  // [B, Tq, Dv]
    out.weights = fused.weights;  // [B, Tq, Tk]
    return out;
  }
  auto scores = score.forward(query.query, memory.keys);                // [B, Tq, Tk]
  auto weights = masked_softmax(scores, merged_mask(query, memory));    // [B, Tq, Tk]
  AttentionOutput out;
  out.context = mix_values(weights, memory.values, weight_dropout, is_training());  // [B, Tq, Dv]
  out.weights = weights;
  return out;
}

}  // namespace attnlab
