#pragma once
// H independent linear maps, one per attention head, applied to rows laid out head-fastest
// ([B x H, ..., in], row b x H + h belongs to head h: the layout multi_head gives its score and
// scope). With one head it is torch::nn::Linear: same parameter names and shapes (weight
// [out, in], bias [out]), same initialisation, so single-head checkpoints keep their layout.
// With H heads: weight [H, out, in], bias [H, out], each head initialised as its own Linear.
// Legend: B batch, H heads, in / out feature dims.

#include <torch/torch.h>

namespace attnlab {

struct HeadLinearOptions {
  HeadLinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  /// H: one map per head.
  TORCH_ARG(int64_t, heads) = 1;
  TORCH_ARG(bool, bias) = true;
};

class HeadLinearImpl : public torch::nn::Cloneable<HeadLinearImpl> {
 public:
  explicit HeadLinearImpl(const HeadLinearOptions& options);
  void reset() override;
  /// x [B x H, ..., in] -> [B x H, ..., out], head h's map on rows b x H + h.
  torch::Tensor forward(const torch::Tensor& x);
  /// The weights as [H, out, in] and the biases as [H, out] (undefined without bias), whatever H.
  torch::Tensor stacked_weight() const;
  torch::Tensor stacked_bias() const;

  HeadLinearOptions options;
  torch::Tensor weight;
  torch::Tensor bias;
};
TORCH_MODULE(HeadLinear);

}  // namespace attnlab
