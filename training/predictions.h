#pragma once
// What the final evaluation says of each example of a split: predictions.jsonl in a run
// directory, one JSON object per line
//   {"id": 7, "source": "...", "reference": "...", "hypothesis": "...",
//    "statistics": {"exact_match": [1, 1], "bleu": [10 numbers], ...}}
// A corpus metric is a function of statistics summed over examples (corpus_metric), so a
// paired bootstrap can resample examples and recompute every variant's metric exactly.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/options.h"

namespace attnlab {

struct Prediction {
  int64_t id = 0;  // the example's index in its split
  std::string source, reference, hypothesis;
  /// Per metric, this example's statistics: corpus_metric(metric, Σ over examples) is the metric.
  std::map<std::string, std::vector<double>> statistics;
};
using Predictions = std::vector<Prediction>;

/// The corpus metric of statistics summed over examples: "bleu" and "chrf" by sacreBLEU's formulas
/// (training/translation_metrics.h); any other metric is the ratio summed[0] / summed[1]
/// (accuracy: {correct, 1} per example; token accuracy: {correct tokens, tokens}).
double corpus_metric(const std::string& metric, const std::vector<double>& summed);

/// {numerator, denominator}: the statistics of a metric that is a ratio.
inline std::vector<double> ratio_statistics(double numerator, double denominator) { return {numerator, denominator}; }

json prediction_json(const Prediction& prediction);
/// A prediction from prediction_json's form; throws json::exception when a field is missing or mistyped.
Prediction prediction_from_json(const json& j);
/// One line of predictions.jsonl (invalid UTF-8 in the texts replaced).
std::string prediction_line(const Prediction& prediction);

/// Writes one line per prediction, in id order, atomically.
void write_predictions(Predictions predictions, const std::string& path);

/// Reads predictions.jsonl; a line that is not a prediction throws std::runtime_error naming path:line.
Predictions read_predictions(const std::string& path);

}  // namespace attnlab
