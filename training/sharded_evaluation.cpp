#include "training/sharded_evaluation.h"

#include <sstream>
#include <stdexcept>

namespace attnlab {
namespace {

/// The names and lengths of the sums, which every rank must have alike to add them.
std::string layout_of(const MetricSums& sums) {
  std::string layout;
  for (const auto& [name, values] : sums) layout += name + ":" + std::to_string(values.size()) + ";";
  return layout;
}

/// Each sum replaced by its total over the ranks.
void add_over_ranks(Collective& collective, MetricSums& sums) {
  const std::string layout = layout_of(sums);
  const bool differs = broadcast_bytes(collective, layout) != layout;
  if (any_rank(collective, differs))
    throw std::logic_error("data-parallel evaluation: the ranks' metric sums differ in layout (rank " +
                           std::to_string(collective.rank()) + ": " + layout + ")");
  std::vector<double> flat;
  for (const auto& [name, values] : sums) flat.insert(flat.end(), values.begin(), values.end());
  std::vector<torch::Tensor> total = {torch::tensor(flat, torch::kDouble)};
  collective.all_reduce_sum(total);
  const double* added = total[0].data_ptr<double>();
  for (auto& [name, values] : sums)
    for (double& value : values) value = *added++;
}

/// Every rank's predictions on every rank; how many came from each.
std::vector<int64_t> gather_predictions(Collective& collective, Predictions& predictions) {
  std::string lines;
  for (const auto& p : predictions) lines += prediction_line(p);
  predictions.clear();
  std::vector<int64_t> per_rank;
  for (const std::string& rank_lines : all_gather_bytes(collective, lines)) {
    std::istringstream in(rank_lines);
    int64_t count = 0;
    for (std::string line; std::getline(in, line); ++count) predictions.push_back(prediction_from_json(json::parse(line)));
    per_rank.push_back(count);
  }
  return per_rank;
}

}  // namespace

SplitEvaluation evaluate_on_ranks(Task& task, Collective& collective, const std::string& split, EvaluationPass pass,
                                  Predictions* predictions) {
  const EvaluationShare share{collective.rank(), collective.world_size()};
  SplitEvaluation result;
  Predictions mine;
  MetricSums sums;
  bool stopped = false;
  try {
    sums = task.measure(split, pass, share, predictions ? &mine : nullptr);
  } catch (const EvaluationStopped&) {
    stopped = true;
  }
  if (any_rank(collective, stopped)) throw EvaluationStopped();
  if (collective.world_size() > 1) add_over_ranks(collective, sums);
  result.metrics = task.metrics_from(split, pass, sums);
  if (predictions) {
    if (collective.world_size() > 1) {
      result.predictions_per_rank = gather_predictions(collective, mine);
    } else {
      result.predictions_per_rank = {static_cast<int64_t>(mine.size())};
    }
    predictions->insert(predictions->end(), std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));
  }
  return result;
}

}  // namespace attnlab
