#pragma once
// Dropout whose mask comes from a counter-based generator (Philox-4x32-10, Salmon et al. 2011):
// element e of a call is kept, and scaled by 1/(1-p), when its 32-bit word of the Philox stream
// keyed by the call's seed is at least p·2³², so the mask is a pure function of (seed, e). The
// words: elements come in chunks of 128; element i of chunk c takes word i / 32 of the Philox
// block (counter) 32·c + i % 32 (so that each word of 32 blocks fills 32 elements in a row).
//   - every thread computes its own share of the elements (LibTorch's bernoulli_ draws them one
//     after another on one thread: 12-14% of a Transformer training step here);
//   - the backward pass regenerates the mask from the seed instead of keeping it in memory;
//   - the seed is one 64-bit draw from LibTorch's default generator per call, so a run's dropout
//     follows its seed and exact resume (which restores that generator) still holds, and the
//     masks do not depend on the thread count.
// Shapes: any tensor -> the same shape (contiguous).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace attnlab {

/// Philox-4x32-10: four 32-bit words from a 128-bit counter and a 64-bit key (Random123's
/// known-answer vectors hold for it).
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

/// The 128 words of the chunk whose first block is `first`, computed by `kernel` ("avx512f",
/// "avx2" or "scalar"), in element order; nullopt when this processor lacks the kernel. For tests:
/// every kernel must give what philox4x32_10 gives.
std::optional<std::vector<uint32_t>> philox_chunk_words(const std::string& kernel, uint64_t first,
                                                        std::array<uint32_t, 2> key);

/// x with each element kept (times 1/(1-p)) or zeroed as the stream of `seed` says; the same
/// (x's shape, p, seed) always gives the same mask. No autograd: the building block of philox_dropout().
torch::Tensor apply_dropout_mask(const torch::Tensor& x, double p, uint64_t seed);

/// One seed from LibTorch's default generator: what every dropout call of a run draws.
uint64_t draw_dropout_seed();

/// Dropout with probability p in [0, 1] in training, the identity otherwise; differentiable
/// (the gradient is masked and scaled alike). Draws its seed from the default generator.
torch::Tensor philox_dropout(const torch::Tensor& x, double p, bool training);

/// The same with a given seed (tests, and callers that keep their own stream).
torch::Tensor philox_dropout_with_seed(const torch::Tensor& x, double p, uint64_t seed);

/// The module form, in place of torch::nn::Dropout.
class DropoutImpl : public torch::nn::Module {
 public:
  explicit DropoutImpl(double p);
  torch::Tensor forward(const torch::Tensor& x) { return philox_dropout(x, p, is_training()); }
  double p;
};
TORCH_MODULE(Dropout);

}  // namespace attnlab
