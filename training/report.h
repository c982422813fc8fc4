#pragma once
// The comparison report of an experiment: one self-contained HTML page (inline CSS and SVG, no
// script, nothing fetched) read from the run directories under <out>/<experiment>:
//   results     per variant and metric of the report split: mean ± std and the 95% Student-t
//               interval over seeds, the best variant of each metric marked;
//   significance each variant against the baseline by paired bootstrap over the report split's
//               examples (Koehn 2004) from predictions.jsonl, seeds pooled;
//   cost        parameters, training FLOPs per token and in all, train time, tokens/s, peak memory;
//   curves      training loss and the early-stopping metric against step, a thin line per seed;
//   attention   the same test examples' maps of every variant side by side, gold alignment outlined.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace attnlab {

struct ReportOptions {
  std::string baseline;          // the variant the others are compared with; "" : the first
  int64_t resamples = 1000;      // of the paired bootstrap
  uint64_t bootstrap_seed = 2004;
  double significance = 0.05;    // p below it is marked
};

/// Bad or missing run files; the message names the file.
struct ReportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The page for every run with a results.json under `experiment_dir` (VARIANT/seed-N/).
/// Variants appear in the order of the experiment's results.csv when there is one.
std::string render_report(const std::string& experiment_dir, const ReportOptions& options = {});

/// Writes render_report's page to `path` (atomically).
void write_report(const std::string& experiment_dir, const std::string& path, const ReportOptions& options = {});

}  // namespace attnlab
