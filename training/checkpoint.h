#pragma once
// Checkpoints: model weights, and for `latest` also the optimizer and the trainer's
// state (step, data position, RNG, early-stopping record), so that a resumed run
// continues exactly. Written to a temporary file and renamed, so a checkpoint on disk
// is always whole.
//
// A checkpoint proves itself. The file is attnlab's own container, read by attnlab alone until
// every byte is verified, because LibTorch's archive reader is not safe on damaged input (a
// fuzzer crashed it, SEGV in its TorchScript type parser):
//   attnlab checkpoint 2 <manifest checksum, 16 hex digits>\n
//   <manifest: JSON on one line>\n
//   <payload: the LibTorch archive of model, optimizer and trainer state>
// The manifest holds the payload's size and checksum, the name, shape and type of every model
// tensor and the hash of the run's config. Loading checks the header, the manifest's checksum and
// the payload's size and checksum (any flipped byte: "damaged"), then the model's tensors against
// the manifest (a checkpoint of another model: the first mismatching tensor), then the config
// hash when the caller gives one — before LibTorch reads anything and before anything is copied
// into the model. Files of earlier attnlab versions are LibTorch archives ("PK" zip files: a
// "manifest" + "payload" pair, or the payload alone): refused, unless the environment says
// ATTNLAB_TRUST_OLD_CHECKPOINTS=1; then LibTorch reads them as they are.

#include <optional>
#include <stdexcept>
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
  int64_t skipped_steps = 0;   // steps whose update was skipped (train.non_finite: skip)
  torch::Tensor rng_state;     // the default CPU generator's state
};

/// A checkpoint that cannot be used: one line "PATH: what is wrong".
class CheckpointError : public std::runtime_error {
 public:
  /// damaged: the file is not whole (unreadable, truncated, checksum); otherwise it is whole
  /// but does not fit (another model, another config).
  CheckpointError(const std::string& message, bool damaged) : std::runtime_error(message), damaged_(damaged) {}
  bool damaged() const { return damaged_; }

 private:
  bool damaged_;
};

/// Writes model (+ optimizer and state when given) to `path` atomically; `config_hash`
/// (run_config_hash) is recorded for load_checkpoint to compare.
void save_checkpoint(const std::string& path, torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                     const TrainerState* state, const std::string& config_hash = "");
/// The bytes save_checkpoint writes (what a data-parallel run's rank 0 sends the other ranks).
std::string checkpoint_bytes(torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                             const TrainerState* state, const std::string& config_hash = "");
/// load_checkpoint of checkpoint_bytes' bytes, verified the same way; `name` stands for the path in messages.
void load_checkpoint_bytes(const std::string& bytes, const std::string& name, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer, TrainerState* state, const std::string& config_hash = "");
/// Reads what save_checkpoint wrote; optimizer and state are read when given. Verifies the
/// file first (see above; `config_hash` empty: not compared). Throws CheckpointError.
void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     TrainerState* state, const std::string& config_hash = "");
/// The verified payload of a checkpoint (its "model", "optimizer", "trainer" archives), for
/// readers that take part of a model. Throws CheckpointError if damaged.
torch::serialize::InputArchive read_checkpoint_payload(const std::string& path);

/// Whether `path` starts as a checkpoint of save_checkpoint's does (its header's magic).
bool is_attnlab_checkpoint(const std::string& path);

/// 64-bit checksum of `size` bytes (not cryptographic: it detects damage).
uint64_t content_checksum(const void* data, size_t size);
/// content_checksum as 16 hex digits.
std::string content_hash(const void* data, size_t size);

}  // namespace attnlab
