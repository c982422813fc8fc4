#pragma once
// Batched matrix products as one BLAS call per matrix. LibTorch 1.13's CPU bmm, built without MKL
// as Debian's is, makes three select() views and an addmm per matrix of the batch (~2.6 µs each)
// and runs them one after another: at [256, 32, 32] · [256, 32, 32] — 8 heads of a batch of 32 at
// 32 tokens — that is 0.89 ms against 0.23 ms for the products themselves; at [256, 128, 32] ·
// [256, 32, 128] 4.2 ms against 3.1, and 6.7 ms with 2 threads, where OpenBLAS splits each small
// product (1.8 ms split by matrix). Here each matrix's operands are read in place, transposed views
// included (BLAS's 'T'), and the batch is split across ATen's threads, one whole product each.
// Legend: N batch, M rows of a, K columns of a = rows of b, P columns of b.

#include <torch/torch.h>

namespace attnlab {

/// a [N, M, K] · b [N, K, P] -> [N, M, P] (contiguous), equal to torch::bmm's bit for bit: the
/// same BLAS call per matrix that bmm makes, with the same transpositions, and bmm itself for
/// products under 400 multiply-adds (which it does in a loop of its own). No autograd: for the
/// insides of autograd Functions and for no-grad code. When an operand would need it (grad mode on
/// and an operand requiring grad), under a trace for export, for anything but float or double CPU
/// tensors, or when the BLAS has no sgemm_ / dgemm_, this is torch::bmm.
torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b);

/// The same into out [N, M, P] (when out is not contiguous, torch::bmm_out).
void batched_matmul_out(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b);

/// Whether batched_matmul(a, b) makes the BLAS calls itself; false: it is torch::bmm(a, b).
bool batched_matmul_calls_blas(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace attnlab
