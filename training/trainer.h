#pragma once
// The shared training loop: the same for every task.
//   micro-batches in a seeded order per epoch -> loss (from the task) -> backward,
//   gradients accumulated, clipped -> learning rate from the schedule -> optimizer step;
//   train loss logged every log_every steps; every eval_every steps the validation
//   split is evaluated, the best checkpoint kept, early stopping decided and the latest
//   checkpoint written. A stop request (SIGINT) writes the latest checkpoint and returns.
// In a data-parallel run (TrainerRun::collective) every rank runs this loop on its share of each
// micro-batch and of the validation batches; gradients (before clipping) and the validation's
// metric sums are added over the ranks, and rank 0 writes and decides for all (trainer.cpp).

#include <atomic>
#include <functional>
#include <stdexcept>
#include <iostream>
#include <string>

#include "training/checkpoint.h"
#include "training/collective.h"
#include "training/task.h"
#include "training/train_options.h"

namespace attnlab {

struct TrainerRun {
  /// Holds checkpoints/ and metrics.jsonl.
  std::string run_dir;
  int64_t seed = 1;
  /// Continue from run_dir/checkpoints/latest.pt if it exists.
  bool resume = false;
  /// Shown in progress lines, e.g. "bahdanau seed 1".
  std::string label = "train";
  /// When set, training stops after the current step with a checkpoint.
  const std::atomic<bool>* stop = nullptr;
  /// Called after every optimizer step with the step number (tests, hooks).
  std::function<void(int64_t)> after_step;
  std::ostream* log = &std::cerr;
  bool log_is_terminal = false;
  /// The run's config hash, recorded in its checkpoints and compared on resume ("": not compared).
  std::string config_hash;
  /// The ranks of a data-parallel run (null: this process alone). Every rank takes its share of
  /// each micro-batch and of the validation; rank 0 alone writes checkpoints, metrics and
  /// progress, and decides for all (see trainer.cpp).
  Collective* collective = nullptr;
};

struct TrainOutcome {
  bool interrupted = false;
  bool stopped_early = false;
  TrainerState state;
  /// Data-parallel runs, this session: time in the exchanges of the training steps (gradients,
  /// loss weights, buffers) and the bytes each rank sends into them per step.
  double exchange_seconds = 0;
  double exchange_bytes_per_step = 0;
  /// Time in training steps this session (state.train_seconds counts earlier sessions too).
  double session_train_seconds = 0;
};

/// Training diverged: a step's loss or gradient norm, or a validation's loss or early-stopping
/// metric, is not finite. Thrown before anything is saved, so the checkpoints on disk are the last
/// finite ones (and a non-finite validation is never the best).
struct TrainingDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The draw_seed of Task::train_loss for micro-batch `micro_batch` of optimizer step `step`
/// (0-based: the step being taken) of a run seeded `run_seed`.
uint64_t draw_seed(int64_t run_seed, int64_t step, int64_t micro_batch);

class Trainer {
 public:
  Trainer(Task& task, TrainOptions options, TrainerRun run);
  /// Throws TrainingDiverged at the first non-finite loss, gradient norm or validation.
  TrainOutcome train();

  static std::string latest_checkpoint(const std::string& run_dir);
  static std::string best_checkpoint(const std::string& run_dir);
  /// The latest checkpoint before the current one, kept for a resume when latest.pt is damaged.
  static std::string previous_checkpoint(const std::string& run_dir);

 private:
  struct Session;  // what one train() call keeps between its steps (trainer.cpp)
  struct Step;     // what one optimizer step gave

  /// Optimizer, resume, and in a data-parallel run rank 0's weights and state on every rank.
  void start(Session& s);
  /// One optimizer step over grad_accumulation micro-batches; throws TrainingDiverged.
  Step take_step(Session& s);
  void log_step(Session& s, const Step& step);
  /// Validation (rank 0), the best checkpoint, early stopping, the latest checkpoint. Returns
  /// whether to stop early; the decision reaches every rank.
  bool evaluate_and_checkpoint(Session& s, double lr);
  void save_latest(Session& s);

  /// Indices of the micro-batches of one epoch, in that epoch's seeded order.
  std::vector<std::vector<int64_t>> epoch_batches(int64_t epoch) const;
  /// Loads latest.pt, or previous.pt when latest.pt is missing or damaged (saying so); throws
  /// CheckpointError saying what to do when neither can be used.
  void resume_from(const std::string& latest, const std::string& previous, torch::nn::Module& model,
                   torch::optim::Optimizer& optimizer, TrainerState& state) const;

  Task& task_;
  TrainOptions options_;
  TrainerRun run_;
};

}  // namespace attnlab
