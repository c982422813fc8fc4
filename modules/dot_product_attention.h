#pragma once
// Softmax attention over matrix-product scores, fused: context = dropout(softmax(q kᵀ)) v with
// its own backward, for scores that are a product of the queries with the keys (dot, scaled_dot,
// general — ScoreImpl::product_query) under the global scope.
//
// Composed of LibTorch operators, the same attention makes four [B, Tq, Tk] tensors per call
// with a mask (scores, masked scores, softmax, masked weights) and three more in the backward.
// Here the scores become the weights in place, and the backward makes one, which it turns into
// the scores' gradient in place: the softmax's row term Σ_k dw·w is dO · O (FlashAttention's
// identity; dropout does not change it), read from the [B, Tq, Dv] context instead of the
// [B, Tq, Tk] weights, and it makes that one a few rows at a time, in chunks small enough to be
// reused from the freed memory kept (training/freed_memory.h). At B·H = 256, T = 1024 each
// [B, Tq, Tk] tensor is 1 GiB, beyond what is kept, so every one is mapped and faulted in afresh.
// Weight dropout regenerates its mask in the backward from the seed (modules/dropout.h).
//
// Legend: B batch (B x H rows under multi_head), Tq query steps, Tk key steps, D query (= key)
//         dims of the product, Dv value dims.
//   query [B, Tq, D], keys [B, Tk, D], values [B, Tk, Dv], mask broadcasting to [B, Tq, Tk]
//   (true = may not look; undefined = none) -> context [B, Tq, Dv], weights [B, Tq, Tk]

#include <torch/torch.h>

namespace attnlab {

struct DotProductAttentionOutput {
  torch::Tensor context;  // [B, Tq, Dv]
  torch::Tensor weights;  // [B, Tq, Tk], before dropout; differentiable
};

/// Weights are masked_softmax(bmm(query, keysᵀ), mask) exactly; context and every gradient equal
/// the composed expression's to rounding (tests/modules/dot_product_attention_test.cpp).
/// `weight_dropout` drops weights in training (one seed drawn per call, as philox_dropout).
/// The backward works through the rows in chunks of at most `backward_chunk_bytes` of scores
/// (at least one row; all rows at once with dropout, whose mask indexes the whole tensor).
/// Not for the tracer: its in-place steps and custom backward are not TorchScript.
DotProductAttentionOutput dot_product_attention(const torch::Tensor& query, const torch::Tensor& keys,
                                                const torch::Tensor& values, const torch::Tensor& mask,
                                                double weight_dropout, bool training,
                                                int64_t backward_chunk_bytes = int64_t{32} << 20);

}  // namespace attnlab
