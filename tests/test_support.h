#pragma once
// Helpers shared by the tests: temporary directories, small files, tensors written out in a
// test, LibTorch's multi-head attention weights copied into ours, a quiet training run.

#include <filesystem>
#include <functional>
#include <string>

#include "modules/multi_head.h"
#include "training/experiment_options.h"
#include "training/trainer.h"

namespace attnlab::test_util {

/// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_text(const std::string& path, const std::string& text);

/// Trains `task` by `options.train()` into `dir` as a run seeded `seed`, its progress lines
/// discarded; `adjust` may change the run first (stop flag, resume, hooks).
TrainOutcome train_quietly(Task& task, const ExperimentOptions& options, const std::string& dir, int64_t seed,
                           const std::function<void(TrainerRun&)>& adjust = {});
std::string read_text(const std::string& path);
/// Inverts every bit of the byte at `offset` of the file (a damaged disk or copy).
void flip_byte(const std::string& path, size_t offset);

/// A double tensor [a, b, c] holding a copy of the values written out at `data` (row-major).
torch::Tensor tensor3(const double* data, int64_t a, int64_t b, int64_t c);

/// Ours with the weights of `reference` (in_proj rows [0, E) = q, [E, 2E) = k, [2E, 3E) = v).
void copy_multi_head_weights(const torch::nn::MultiheadAttention& reference, MultiHeadAttentionImpl& ours);

}  // namespace attnlab::test_util
