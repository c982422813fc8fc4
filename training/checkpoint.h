#pragma once
// Checkpoints: model weights, and for `latest` also the optimizer and the trainer's
// state (step, data position, RNG, early-stopping record), so that a resumed run
// continues exactly. Written to a temporary file and renamed, so a checkpoint on disk
// is always whole.

#include <optional>
#include <string>

#include <torch/torch.h>

namespace attnlab {

struct TrainerState {
  int64_t step = 0;            // optimizer steps done
  int64_t epoch = 0;           // data position: epoch ...
  int64_t batch_in_epoch = 0;  // ... and micro-batches of it consumed
  int64_t tokens = 0;          // training tokens seen
  double train_seconds = 0;    // time spent in training steps
  double elapsed_seconds = 0;  // wall time of the run, evaluations included
  bool finished = false;       // max_steps reached or stopped early
  double best_metric = 0;
  int64_t best_step = -1;      // -1: no evaluation yet
  int64_t evals_without_improvement = 0;
  torch::Tensor rng_state;     // the default CPU generator's state
};

/// Writes model (+ optimizer and state when given) to `path` atomically.
void save_checkpoint(const std::string& path, torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                     const TrainerState* state);
/// Reads what save_checkpoint wrote; optimizer and state are read when given.
void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     TrainerState* state);

}  // namespace attnlab
