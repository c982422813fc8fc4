#include "modules/positional_encoding.h"

#include <cmath>

#include "modules/traced_shapes.h"

namespace attnlab {

torch::Tensor sinusoidal_table(int64_t length, int64_t dims) {
  auto position = torch::arange(length, torch::kDouble).unsqueeze(1);                          // [T, 1]
  auto even = torch::arange(0, dims, 2, torch::kDouble);                                       // [ceil(D/2)]
  auto angle = position * torch::exp(even * (-std::log(10000.0) / static_cast<double>(dims)));  // [T, ceil(D/2)]
  auto table = torch::zeros({length, dims}, torch::kDouble);
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, dims, 2)}, torch::sin(angle));
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, dims, 2)},
                   torch::cos(angle).narrow(1, 0, dims / 2));
  return table.to(torch::kFloat);
}

PositionalEncodingImpl::PositionalEncodingImpl(const PositionalEncodingOptions& options_) : options(options_) {
  TORCH_CHECK(options.dims() > 0 && options.max_length() > 0, "positional encoding: dims and max_length must be positive");
  if (options.kind() == "learned") {
    table = register_parameter("table", torch::randn({options.max_length(), options.dims()}) * 0.02);
  } else {
    TORCH_CHECK(options.kind() == "sinusoidal", "positional encoding: kind must be sinusoidal or learned, got ",
                options.kind());
    table = register_buffer("table", sinusoidal_table(options.max_length(), options.dims()) * options.scale());
  }
}

torch::Tensor PositionalEncodingImpl::forward(const torch::Tensor& x, int64_t offset) {
  const int64_t T = x.size(1);
  TORCH_CHECK(offset + T <= options.max_length(), "positional encoding: position ", offset + T - 1,
              " is past max_length ", options.max_length());
  return forward_at(x, step_positions(x).select(0, 0) + offset);  // positions read from x: [T]
}

torch::Tensor PositionalEncodingImpl::forward_at(const torch::Tensor& x, const torch::Tensor& positions) {
  return x + torch::embedding(table, positions);  // [B, T, D] + [T, D] or [B, T, D]
}

}  // namespace attnlab
