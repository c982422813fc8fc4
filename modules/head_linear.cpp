#include "modules/head_linear.h"

#include <cmath>

namespace attnlab {

HeadLinearImpl::HeadLinearImpl(const HeadLinearOptions& options_) : options(options_) { reset(); }

void HeadLinearImpl::reset() {
  const int64_t H = options.heads(), in = options.in_features(), out = options.out_features();
  TORCH_CHECK(H >= 1 && in >= 1 && out >= 1, "head linear: heads and dims must be positive, got ", H, " heads, ", in,
              " -> ", out);
  weight = register_parameter("weight", H == 1 ? torch::empty({out, in}) : torch::empty({H, out, in}));
  if (options.bias()) bias = register_parameter("bias", H == 1 ? torch::empty({out}) : torch::empty({H, out}));
  // Each head as torch::nn::Linear initialises itself (kaiming uniform with a = √5, the bias
  // uniform in ±1/√in), in the same order, so one head draws exactly what a Linear draws.
  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  for (int64_t h = 0; h < H; ++h) {
    torch::nn::init::kaiming_uniform_(H == 1 ? weight : weight[h], std::sqrt(5.0));
    if (options.bias()) (H == 1 ? bias : bias[h]).uniform_(-bound, bound);
  }
}

torch::Tensor HeadLinearImpl::forward(const torch::Tensor& x) {
  const int64_t H = options.heads();
  TORCH_CHECK(x.dim() >= 2 && x.size(-1) == options.in_features(), "head linear: input must be [B x H, ..., ",
              options.in_features(), "], got ", x.sizes());
  if (H == 1) return torch::nn::functional::linear(x, weight, bias);
  auto per_head = x.unflatten(0, {-1, H});                             // [B, H, ..., in]
  auto y = torch::einsum("bh...i,hoi->bh...o", {per_head, weight});   // [B, H, ..., out]
  if (bias.defined()) {
    std::vector<int64_t> bias_shape(per_head.dim() - 1, 1);            // [H, 1, ..., 1, out]
    bias_shape.front() = H;
    bias_shape.back() = options.out_features();
    y = y + bias.view(bias_shape);
  }
  return y.flatten(0, 1);  // [B x H, ..., out]
}

torch::Tensor HeadLinearImpl::stacked_weight() const { return options.heads() == 1 ? weight.unsqueeze(0) : weight; }

torch::Tensor HeadLinearImpl::stacked_bias() const {
  if (!bias.defined()) return {};
  return options.heads() == 1 ? bias.unsqueeze(0) : bias;
}

}  // namespace attnlab
