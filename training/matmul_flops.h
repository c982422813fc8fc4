#pragma once
// Counting the floating-point operations of matrix products as LibTorch executes them.
//
// Method: while a MatmulFlopCounter lives, an ATen RecordFunction callback on this thread sees
// every operator call with its inputs. Each outermost matrix product counts 2 FLOPs per
// multiply-add (a product nested inside another, e.g. the addmm a CPU bmm loops over, is not
// counted again):
//   mm, addmm [n,k]·[k,m]: 2nkm      bmm, baddbmm [b,n,k]·[b,k,m]: 2bnkm
//   addbmm: 2bnkm                    mv, addmv [n,k]·[k]: 2nk        dot, vdot: 2n
// Everything else (additions, activations, softmax, norms, the bias of addmm) is left out: in
// attention models and RNNs the matrix products are nearly all of the arithmetic. Products of
// the backward pass run on the calling thread for CPU tensors, so a training step is counted
// whole: forward and backward products as they ran, not a rule such as "3 × forward".

#include <cstdint>
#include <vector>

#include <ATen/record_function.h>

namespace attnlab {

class Task;

class MatmulFlopCounter {
 public:
  MatmulFlopCounter();  // counts this thread's matrix products from now on
  ~MatmulFlopCounter();
  MatmulFlopCounter(const MatmulFlopCounter&) = delete;
  MatmulFlopCounter& operator=(const MatmulFlopCounter&) = delete;
  /// FLOPs counted so far.
  int64_t flops() const;

 private:
  at::CallbackHandle handle_;
};

struct TrainingStepFlops {
  int64_t flops = 0;   // forward and backward matrix products of one step
  int64_t tokens = 0;  // the tokens the step's loss covers (Task::train_loss)
  double per_token() const { return tokens > 0 ? static_cast<double>(flops) / static_cast<double>(tokens) : 0.0; }
};

/// The matrix-product FLOPs of one training step (loss and backward, no optimizer update) on the
/// training examples `examples`; the model's gradients are cleared afterwards.
TrainingStepFlops count_training_step_flops(Task& task, const std::vector<int64_t>& examples);

}  // namespace attnlab
