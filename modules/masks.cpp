#include "modules/masks.h"

#include <limits>

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

torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& mask) {
  if (!mask.defined()) return torch::softmax(scores, -1);
  // The lowest finite value (not -inf) keeps a fully masked row finite: its softmax is
  // uniform, and zeroing the masked entries afterwards leaves exact zeros.
  const double lowest = scores.scalar_type() == torch::kDouble ? std::numeric_limits<double>::lowest()
                                                               : std::numeric_limits<float>::lowest();
  auto weights = torch::softmax(scores.masked_fill(mask, lowest), -1);
  return weights.masked_fill(mask, 0.0);
}

}  // namespace attnlab
