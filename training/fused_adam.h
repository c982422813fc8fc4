#pragma once
// Adam and AdamW that update each parameter in one multi-threaded pass over its elements, reading
// the parameter, its gradient and both moments once and writing them once (LibTorch's Adam makes
// six passes of separate element-wise operations, each on one thread for small tensors). Same
// options, same state (AdamParamState / AdamWParamState) and so the same checkpoints as
// torch::optim::Adam / AdamW, of which they are subclasses; the same figures to rounding
// (tests/training/fused_adam_test.cpp: within 1e-6 of LibTorch's after several steps).

#include <torch/torch.h>

namespace attnlab {

/// Adam (Kingma & Ba 2015), L2 weight decay added to the gradient, as torch::optim::Adam.
class FusedAdam : public torch::optim::Adam {
 public:
  using torch::optim::Adam::Adam;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

/// AdamW (Loshchilov & Hutter 2019), decoupled weight decay, as torch::optim::AdamW.
class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace attnlab
