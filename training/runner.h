#pragma once
// Runs an experiment: every variant x seed is built, trained by the shared Trainer,
// evaluated from its best checkpoint and recorded in its run directory
//   <out>/<experiment>/<variant>/seed-<n>/ config.json metrics.jsonl checkpoints/ results.json predictions.jsonl attention/
// then the comparison is written to <out>/<experiment>/{results.csv,summary.md,report.html}.

#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer_store.h"
#include "training/collective.h"
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
  /// Runs trained at once, each in its own process (`worker` + run directory); 1 = in this process.
  int64_t jobs = 1;
  /// The command that trains one run directory, e.g. {"/path/attnlab", "train-run"}.
  std::vector<std::string> worker;
  /// Processes (ranks) per run: > 1 trains each run data-parallel, its ranks started by
  /// run_in_parallel on 127.0.0.1 (each a `worker` with --world-size/--rank/--master).
  int64_t data_parallel = 1;
  /// run_experiment checks the experiment and writes the run directories (config.json), prints
  /// them and stops: for `train-run` to train them, e.g. as ranks on several machines.
  bool prepare_only = false;
  /// In a rank of a data-parallel run (train_run_directory): how it talks to the others.
  Collective* collective = nullptr;
};

struct PlannedRun {
  std::string variant;
  int64_t seed;
  std::string dir;
  bool finished;  // results.json exists
};

enum class RunStatus { kDone, kInterrupted };

/// Builds the task of a resolved variant: threads and seed set first, so the model's
/// initial weights depend on the seed alone.
/// `data` says where text data keeps its tokenizer (none by default: trained in memory).
std::unique_ptr<Task> build_task(const ExperimentOptions& options, int64_t seed, const DataContext& data = {});

/// What can be checked of the config before training: each variant's task builds, its
/// early-stopping metric and eval splits exist. Throws ExperimentError.
/// `tokenizer_cache`: where text data may keep the tokenizers it trains ("": in memory only).
void check_experiment(const Experiment& experiment, const std::string& tokenizer_cache = "");

/// Without resume, no run directory may be in the way; with resume, an existing one must
/// hold the same config. Throws ExperimentError.
void check_run_directories(const Experiment& experiment, const RunnerOptions& options);

RunStatus run_experiment(const Experiment& experiment, const RunnerOptions& options);

/// Creates every run directory with its config.json (kept if present); seed-major order.
std::vector<PlannedRun> plan_runs(const Experiment& experiment, const RunnerOptions& options);

/// Trains (or continues from its latest checkpoint) the run in `dir`, as its config.json says,
/// then evaluates the best checkpoint and writes results.json. Returns false if stopped.
/// With options.collective, this process is one rank of the run: every rank trains and evaluates
/// its share (training/sharded_evaluation.h); rank 0 builds the task (and its tokenizer) first and
/// alone writes files.
bool train_run_directory(const std::string& dir, const RunnerOptions& options);

/// Writes <out>/<experiment>/results.csv, summary.md and report.html from the runs' files, and prints the table.
void write_comparison_table(const Experiment& experiment, const std::vector<PlannedRun>& runs,
                            const RunnerOptions& options);

std::string run_directory(const std::string& out_dir, const std::string& experiment, const std::string& variant,
                          int64_t seed);

/// Evaluates a run's best checkpoint (rebuilt from its config.json) on `splits` (empty: its
/// config's eval splits): {split: metrics}. Throws ExperimentError.
json evaluate_run(const std::string& run_dir, const std::vector<std::string>& splits);

/// A trained run's task with the best checkpoint's weights loaded (the task keeps its data,
/// tokenizer and model alive). Throws ExperimentError.
/// `checkpoint` "latest" loads the last training checkpoint's weights instead.
std::unique_ptr<Task> load_trained_task(const std::string& run_dir, const std::string& checkpoint = "best");

int64_t count_parameters(torch::nn::Module& model);

}  // namespace attnlab
