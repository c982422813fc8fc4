#pragma once
// Runs an experiment: every variant x seed is built, trained by the shared Trainer,
// evaluated from its best checkpoint and recorded in its run directory
//   <out>/<experiment>/<variant>/seed-<n>/ config.json metrics.jsonl checkpoints/ results.json
// then the comparison table is written to <out>/<experiment>/{results.csv,summary.md}.

#include <atomic>
#include <iostream>
#include <memory>
#include <string>

#include "training/experiment.h"
#include "training/task.h"

namespace attnlab {

struct RunnerOptions {
  std::string out_dir = "runs";
  /// Continue unfinished runs and keep finished ones, instead of refusing existing run directories.
  bool resume = false;
  const std::atomic<bool>* stop = nullptr;
  std::ostream* out = &std::cout;  // the table
  std::ostream* log = &std::cerr;  // progress
  bool log_is_terminal = false;
};

enum class RunStatus { kDone, kInterrupted };

/// Builds the task of a resolved variant: threads and seed set first, so the model's
/// initial weights depend on the seed alone.
std::unique_ptr<Task> build_task(const ExperimentOptions& options, int64_t seed);

/// What can be checked of the config before training: each variant's task builds, its
/// early-stopping metric and eval splits exist. Throws ExperimentError.
void check_experiment(const Experiment& experiment);

/// Without resume, no run directory may be in the way; with resume, an existing one must
/// hold the same config. Throws ExperimentError.
void check_run_directories(const Experiment& experiment, const RunnerOptions& options);

RunStatus run_experiment(const Experiment& experiment, const RunnerOptions& options);

std::string run_directory(const std::string& out_dir, const std::string& experiment, const std::string& variant,
                          int64_t seed);

/// Evaluates a finished run's best checkpoint on `split` (rebuilt from its config.json).
Metrics evaluate_run(const std::string& run_dir, const std::string& split);

int64_t count_parameters(torch::nn::Module& model);

}  // namespace attnlab
