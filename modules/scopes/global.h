#pragma once
// Global scope (Bahdanau et al. 2014; Luong et al. 2015; Vaswani et al. 2017):
// weights = softmax of the scores over every key the masks leave; context = weights · values.
// Legend: B batch, Tq query steps, Tk key steps, Dv value dims.

#include "modules/scope.h"

namespace attnlab {

class GlobalScopeImpl : public ScopeImpl {
 public:
  AttentionOutput forward(ScoreImpl& score, const AttentionQuery& query, const AttentionMemory& memory,
                          double weight_dropout) override;
};

}  // namespace attnlab
