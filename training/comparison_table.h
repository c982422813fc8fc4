#pragma once
// The comparison table of an experiment: one row per variant, each metric as
// mean ± sample standard deviation over seeds, with the cost of the variant
// (parameters, training time, tokens/s). Written as CSV (machine) and Markdown (people).

#include <string>
#include <vector>

#include "core/options.h"
#include "training/statistics.h"

namespace attnlab {

struct RunRecord {
  std::string variant;
  json results;  // a run's results.json
};

struct ComparisonTable {
  std::string split;                     // whose metrics are shown
  std::vector<std::string> metrics;      // in column order
  std::vector<std::string> variants;     // in row order
  std::vector<RunRecord> runs;
};

/// Whether a metric is a fraction shown in percent (accuracies, exact match).
bool is_fraction_metric(const std::string& metric);
/// +1 where higher is better, -1 where lower is better (loss, perplexity, AER), 0 where neither.
int metric_direction(const std::string& metric);

std::string render_csv(const ComparisonTable& table);
std::string render_markdown(const ComparisonTable& table);

}  // namespace attnlab
