#pragma once
// How the processes ("ranks") of one data-parallel run talk to each other: all the Trainer
// needs, and nothing of the engine underneath. SingleProcess is the run of one process (every
// call returns at once, values unchanged); training/gloo_collective.h connects ranks through
// PyTorch's c10d with the Gloo backend.
//
// Every call is collective: each rank makes the same calls in the same order, or the run hangs
// until the engine's timeout. A rank that is gone makes the others' next call throw
// CollectiveError.

#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace attnlab {

/// Another rank is gone or did not answer in time; one line naming it where it is known.
struct CollectiveError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Collective {
 public:
  virtual ~Collective() = default;
  /// This process's rank, 0 … world_size() − 1; rank 0 writes the run's files.
  virtual int64_t rank() const = 0;
  virtual int64_t world_size() const = 0;
  /// Replaces each tensor (contiguous, CPU) by its sum over the ranks.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  /// Copies rank 0's tensors into every other rank's (same shapes and types on every rank).
  virtual void broadcast(std::vector<torch::Tensor>& tensors) = 0;
  /// Returns when every rank has called it.
  virtual void barrier() = 0;

  bool is_main() const { return rank() == 0; }
};

class SingleProcess final : public Collective {
 public:
  int64_t rank() const override { return 0; }
  int64_t world_size() const override { return 1; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void broadcast(std::vector<torch::Tensor>&) override {}
  void barrier() override {}
};

/// Whether `flag` is set on any rank.
bool any_rank(Collective& collective, bool flag);
/// Rank 0's `bytes` on every rank.
std::string broadcast_bytes(Collective& collective, const std::string& bytes);
/// Every rank's `bytes`, in rank order, on every rank.
std::vector<std::string> all_gather_bytes(Collective& collective, const std::string& bytes);
/// Rank 0's `values` on every rank (each rank passes as many).
std::vector<double> broadcast_values(Collective& collective, std::vector<double> values);

/// The rows [begin, end) of a batch of `size` rows that `rank` of `world_size` takes: contiguous
/// shares whose sizes differ by at most one, the first ranks taking the larger ones.
std::pair<int64_t, int64_t> share_of(int64_t size, int64_t rank, int64_t world_size);

}  // namespace attnlab
