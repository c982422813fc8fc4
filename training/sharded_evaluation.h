#pragma once
// One split evaluated by every rank of a data-parallel run: each rank measures its share of the
// evaluation batches (EvaluationShare: the batches one process would make, dealt out in turn),
// the ranks add their sums (MetricSums) and every rank computes the same metrics from the total —
// corpus metrics from summed statistics (BLEU's n-gram matches, chrF's character n-gram counts,
// correct/total), never from averaged ratios. With one process it is Task::evaluate / validate.
// A split of fewer batches than ranks (eval.batch_size) leaves the last ranks without work.

#include <cstdint>
#include <string>
#include <vector>

#include "training/collective.h"
#include "training/task.h"

namespace attnlab {

struct SplitEvaluation {
  Metrics metrics;
  /// How many predictions each rank measured (with predictions asked for; else empty).
  std::vector<int64_t> predictions_per_rank;
};

/// Every rank must call it with the same split and pass. With `predictions`, every rank receives
/// every rank's predictions. A stop flag set on any rank (Ctrl-C) throws EvaluationStopped on all.
SplitEvaluation evaluate_on_ranks(Task& task, Collective& collective, const std::string& split, EvaluationPass pass,
                                  Predictions* predictions = nullptr);

}  // namespace attnlab
