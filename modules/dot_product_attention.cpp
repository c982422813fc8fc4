#include "modules/dot_product_attention.h"

#include <algorithm>

#include "modules/batched_matmul.h"
#include "modules/dropout.h"
#include "modules/masks.h"

namespace attnlab {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// forward: query, keys, values, mask, dropout p, seed, the backward's chunk size -> context, weights.
struct DotProductAttentionFunction : torch::autograd::Function<DotProductAttentionFunction> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& query, const torch::Tensor& keys,
                               const torch::Tensor& values, const c10::optional<torch::Tensor>& mask, double dropout,
                               int64_t seed, int64_t chunk_bytes) {
    auto weights = batched_matmul(query, keys.transpose(1, 2));  // [B, Tq, Tk] scores, then in place:
    masked_softmax_(weights, mask.value_or(torch::Tensor()));  // [B, Tq, Tk] weights
    auto mixing = dropout > 0 ? apply_dropout_mask(weights, dropout, static_cast<uint64_t>(seed)) : weights;
    auto context = batched_matmul(mixing, values);  // [B, Tq, Dv]
    ctx->save_for_backward({query, keys, values, weights, context});
    ctx->set_materialize_grads(false);  // an unread output's gradient stays undefined, not a [B, Tq, Tk] of zeros
    ctx->saved_data["dropout"] = dropout;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["chunk_bytes"] = chunk_bytes;
    return {context, weights};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &query = saved[0], &keys = saved[1], &values = saved[2], &weights = saved[3], &context = saved[4];
    const double dropout = ctx->saved_data["dropout"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto &grad_context = grads[0], &grad_weights = grads[1];  // either may be undefined

    // Σ_k dL/dw·w per query: dO·O for the context's part (see the header), [B, Tq, 1].
    auto row = grad_context.defined() ? (grad_context * context).sum(-1, /*keepdim=*/true)
                                      : torch::zeros({weights.size(0), weights.size(1), 1}, weights.options());
    torch::Tensor grad_values;  // [B, Tk, Dv]
    if (grad_context.defined()) {
      auto mixing = dropout > 0 ? apply_dropout_mask(weights, dropout, seed) : weights;
      grad_values = batched_matmul(mixing.transpose(1, 2), grad_context);  // read transposed in place
    }
    auto grad_query = torch::empty_like(query, torch::MemoryFormat::Contiguous);  // [B, Tq, D]
    auto grad_keys_t = torch::empty({keys.size(0), keys.size(2), keys.size(1)}, keys.options());  // [B, D, Tk]
    // The scores' gradient a chunk of rows at a time, each at most chunk_bytes: memory that freed
    // blocks keep, not a fresh [B, Tq, Tk]. With dropout one chunk: its mask indexes the whole tensor.
    const int64_t chunk_bytes = ctx->saved_data["chunk_bytes"].toInt();
    const int64_t rows = weights.size(0), row_bytes = weights.size(1) * weights.size(2) * weights.element_size();
    const int64_t chunk =
        dropout > 0 ? rows : std::clamp<int64_t>(chunk_bytes / std::max<int64_t>(row_bytes, 1), 1, std::max<int64_t>(rows, 1));
    for (int64_t first = 0; first < rows; first += chunk) {
      const int64_t n = std::min(chunk, rows - first);
      auto slice = [&](const torch::Tensor& t) { return t.narrow(0, first, n); };
      auto grad_w = grad_context.defined() ? batched_matmul(slice(grad_context), slice(values).transpose(1, 2))
                                           : torch::zeros_like(slice(weights));  // dL/dweights [n, Tq, Tk]
      if (dropout > 0 && grad_context.defined()) grad_w = apply_dropout_mask(grad_w, dropout, seed);
      auto chunk_row = slice(row);  // [n, Tq, 1]
      if (grad_weights.defined()) {
        grad_w.add_(slice(grad_weights));
        chunk_row = chunk_row + (slice(grad_weights) * slice(weights)).sum(-1, /*keepdim=*/true);
      }
      grad_w.sub_(chunk_row).mul_(slice(weights));  // dL/dscores [n, Tq, Tk]: softmax's backward, in place
      auto grad_query_rows = slice(grad_query), grad_keys_t_rows = slice(grad_keys_t);
      batched_matmul_out(grad_query_rows, grad_w, slice(keys));                     // [n, Tq, D]
      batched_matmul_out(grad_keys_t_rows, slice(query).transpose(1, 2), grad_w);   // [n, D, Tk]
    }
    auto grad_keys = grad_keys_t.transpose(1, 2);  // [B, Tk, D]
    return {grad_query, grad_keys, grad_values, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

DotProductAttentionOutput dot_product_attention(const torch::Tensor& query, const torch::Tensor& keys,
                                                const torch::Tensor& values, const torch::Tensor& mask,
                                                double weight_dropout, bool training, int64_t backward_chunk_bytes) {
  TORCH_CHECK(query.dim() == 3 && keys.dim() == 3 && values.dim() == 3 && query.size(0) == keys.size(0) &&
                  keys.size(0) == values.size(0) && query.size(2) == keys.size(2) && keys.size(1) == values.size(1),
              "dot_product_attention: query [B, Tq, D], keys [B, Tk, D] and values [B, Tk, Dv] expected, got ",
              query.sizes(), ", ", keys.sizes(), " and ", values.sizes());
  TORCH_CHECK(backward_chunk_bytes > 0, "dot_product_attention: backward chunks must have bytes, got ",
              backward_chunk_bytes);
  TORCH_CHECK(weight_dropout >= 0.0 && weight_dropout < 1.0, "dot_product_attention: weight dropout must be in [0, 1), got ",
              weight_dropout);
  const double p = training ? weight_dropout : 0.0;
  const int64_t seed = p > 0 ? static_cast<int64_t>(draw_dropout_seed()) : 0;
  // The mask as an optional: autograd's Function takes no undefined tensor among its inputs.
  auto outputs = DotProductAttentionFunction::apply(
      query, keys, values, mask.defined() ? c10::optional<torch::Tensor>(mask) : c10::nullopt, p, seed,
      backward_chunk_bytes);
  return {outputs[0], outputs[1]};
}

}  // namespace attnlab
