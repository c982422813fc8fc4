#pragma once
// The one mask convention of attnlab, written into the names:
//   key_padding_mask [B, Tk] bool: true where a key is padding.
//   attn_mask        [Tq, Tk] or [B, Tq, Tk] bool: true where a query may NOT look.
// A query row whose keys are all masked gets zero weights (and so a zero context), never NaN.

#include <torch/torch.h>

#include "modules/traced_shapes.h"

namespace attnlab {

/// [B] lengths -> [B, max_len] bool, true at positions >= length (padding).
torch::Tensor key_padding_mask_from_lengths(const torch::Tensor& lengths, int64_t max_len);

/// [B] lengths and steps x [B, T, ...] -> [B, T] bool, true at positions >= length (padding).
/// Export-safe: T is read from x (modules/traced_shapes.h).
torch::Tensor key_padding_mask_like(const torch::Tensor& lengths, const torch::Tensor& steps);

/// [T, T] bool, true above the diagonal: query t may not look at keys after t.
torch::Tensor causal_mask(int64_t steps, const torch::TensorOptions& options = {});

/// `mask` when some entry is true, undefined otherwise: attention then does no masking work when
/// nothing is padded. Kept as it is while tracing (an exported graph must not depend on the data).
torch::Tensor mask_if_any(const torch::Tensor& mask);

/// Softmax over the last dim of scores [B, Tq, Tk] ignoring masked keys; `mask` broadcasts
/// to scores (true = masked; may be undefined). Fully masked rows give all-zero weights.
torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& mask);

/// The same in place, over contiguous scores, without autograd: what a fused attention uses to
/// turn its scores into weights without another [B, Tq, Tk] tensor. Equal to masked_softmax.
torch::Tensor& masked_softmax_(torch::Tensor& scores, const torch::Tensor& mask);

}  // namespace attnlab
