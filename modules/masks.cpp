#include "modules/masks.h"

#include <limits>

#include "modules/traced_shapes.h"

namespace attnlab {

torch::Tensor key_padding_mask_from_lengths(const torch::Tensor& lengths, int64_t max_len) {
  TORCH_CHECK(lengths.dim() == 1, "lengths must be [B], got ", lengths.sizes());
  auto positions = torch::arange(max_len, lengths.options()).unsqueeze(0);  // [1, T]
  return positions >= lengths.unsqueeze(1);                                   // [B, T]
}

torch::Tensor key_padding_mask_like(const torch::Tensor& lengths, const torch::Tensor& steps) {
  TORCH_CHECK(lengths.dim() == 1 && steps.dim() >= 2, "lengths must be [B] and steps [B, T, ...], got ",
              lengths.sizes(), " and ", steps.sizes());
  return step_positions(steps) >= lengths.unsqueeze(1);  // [B, T]
}

torch::Tensor causal_mask(int64_t steps, const torch::TensorOptions& options) {
  return torch::ones({steps, steps}, options.dtype(torch::kBool)).triu(1);  // [T, T]
}

torch::Tensor mask_if_any(const torch::Tensor& mask) {
  if (!mask.defined() || tracing() || mask.any().item<bool>()) return mask;
  return {};
}

namespace {

// The lowest finite value of the scores' own type (not -inf, and not float's, which is -inf in
// half and bfloat16) keeps a fully masked row finite: its softmax is uniform, and zeroing the
// masked entries afterwards leaves exact zeros.
double lowest_finite(const torch::Tensor& scores) {
  double lowest = 0;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, scores.scalar_type(), "masked_softmax",
                                  [&] { lowest = static_cast<double>(std::numeric_limits<scalar_t>::lowest()); });
  return lowest;
}

}  // namespace

torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& mask) {
  if (!mask.defined()) return torch::softmax(scores, -1);
  auto weights = torch::softmax(scores.masked_fill(mask, lowest_finite(scores)), -1);
  return weights.masked_fill(mask, 0.0);
}

torch::Tensor& masked_softmax_(torch::Tensor& scores, const torch::Tensor& mask) {
  TORCH_CHECK(scores.is_contiguous(), "masked_softmax_: scores must be contiguous, got strides ", scores.strides());
  if (mask.defined()) scores.masked_fill_(mask, lowest_finite(scores));
  // Row by row, ATen's softmax reads a row's maximum, then writes exp(x - max) over it and scales
  // it: element-wise passes, so the output may be the input (tests/modules/masks_test.cpp holds it).
  at::_softmax_out(scores, scores, -1, false);
  if (mask.defined()) scores.masked_fill_(mask, 0.0);
  return scores;
}

}  // namespace attnlab
