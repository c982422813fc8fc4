#pragma once
// Sizes that survive a trace (DESIGN.md, "Export-friendly forward code"). In C++ every
// x.size(i) is a plain integer, and a trace for TorchScript export freezes it: a shape, range
// or mask built from it is wrong at any other batch size or length, often silently
// (../shared/notes/torchscript.md). These helpers read sizes from the tensors themselves.
// Legend: B batch, T steps, N the second dim of a split batch.

#include <torch/torch.h>

namespace attnlab {

/// Whether the code runs under the TorchScript tracer (checks that read a value skip then).
bool tracing();

/// x.size(dim) as a 0-dim int64 tensor (traced as aten::_shape_as_tensor, not a constant).
torch::Tensor size_as_tensor(const torch::Tensor& x, int64_t dim);

/// The positions 0 .. T-1 of every row of x [B, T, ...], as [B, T] int64.
torch::Tensor step_positions(const torch::Tensor& x);

/// x [B x N, ...] -> [B, N, ...], with B and N read from `like` [B, N, ...] (a trace records
/// them as like's sizes).
torch::Tensor unflatten_like(const torch::Tensor& x, const torch::Tensor& like);

}  // namespace attnlab
