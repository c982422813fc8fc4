#include "modules/traced_shapes.h"

#include <torch/csrc/jit/frontend/tracer.h>

namespace attnlab {

bool tracing() { return torch::jit::tracer::isTracing(); }

torch::Tensor size_as_tensor(const torch::Tensor& x, int64_t dim) {
  return at::_shape_as_tensor(x).select(0, dim < 0 ? dim + x.dim() : dim);  // []
}

torch::Tensor step_positions(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() >= 2, "step positions need [B, T, ...], got ", x.sizes());
  auto rows = x;
  while (rows.dim() > 2) rows = rows.select(-1, 0);                               // [B, T]
  return torch::ones_like(rows, rows.options().dtype(torch::kLong)).cumsum(1) - 1;  // [B, T]
}

torch::Tensor unflatten_like(const torch::Tensor& x, const torch::Tensor& like) {
  TORCH_CHECK(like.dim() >= 2 && x.dim() >= 1 && x.size(0) == like.size(0) * like.size(1),
              "unflatten_like: x must be [B x N, ...] for like [B, N, ...]; got ", x.sizes(), " and ", like.sizes());
  namespace tracer = torch::jit::tracer;
  if (tracer::isTracing()) {  // the sizes argument of the next op is like's traced sizes
    for (size_t i = 0; i < 2; ++i)
      tracer::ArgumentStash::stashIntArrayRefElem("sizes", 2, i, tracer::getSizeOf(like, static_cast<int64_t>(i)));
  }
  return x.unflatten(0, {like.size(0), like.size(1)});  // [B, N, ...]
}

}  // namespace attnlab
