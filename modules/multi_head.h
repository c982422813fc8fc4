#pragma once
// Multi-head attention (Vaswani et al. 2017) over any score and any scope: queries, keys and
// values are projected to D = Dq dims, split into H heads of Dh = D/H dims, each head attends
// with the score and scope (both built for Dh dims and H heads: a score or scope with
// parameters — general's W, additive's W, U, v, location's table, cosine's scale, local_p's
// predictor — has its own per head, as in the literature), and the heads' contexts are joined
// and projected back. Self-attention is the same module with query = keys = values.
// Legend: B batch, H heads, Tq query steps, Tk key steps, W keys a query sees, D = Dq model
//         dims, Dh = D/H head dims, Dk key (= value) dims.

#include <memory>

#include "core/options.h"
#include "modules/attention.h"
#include "modules/scope.h"
#include "modules/score.h"

namespace attnlab {

struct MultiHeadOptions {
  MultiHeadOptions(int64_t query_dim, int64_t key_dim) : query_dim_(query_dim), key_dim_(key_dim) {}
  /// D: size of the queries and of the output (set by the model).
  TORCH_ARG(int64_t, query_dim);
  /// Size of the keys and values (set by the model).
  TORCH_ARG(int64_t, key_dim);
  /// H: number of heads; D must be a multiple of it.
  TORCH_ARG(int64_t, heads) = 4;
  /// Dropout on the attention weights (training only).
  TORCH_ARG(double, dropout) = 0.0;
  /// Biases in the q, k, v and output projections.
  TORCH_ARG(bool, bias) = true;
};

class MultiHeadAttentionImpl : public AttentionImpl {
 public:
  MultiHeadAttentionImpl(const MultiHeadOptions& options, std::shared_ptr<ScoreImpl> score,
                         std::shared_ptr<ScopeImpl> scope);
  /// keys [B, Tk, Dk], values [B, Tk, Dk] -> per-head memory: keys and values [B x H, Tk, Dh].
  AttentionMemory prepare(const torch::Tensor& keys, const torch::Tensor& values,
                          const torch::Tensor& key_padding_mask) override;
  AttentionOutput attend(const AttentionQuery& query, const AttentionMemory& memory) override;
  /// Rows of the batch; the memory holds H rows per batch row.
  AttentionMemory select_memory_rows(const AttentionMemory& memory, const torch::Tensor& rows) override;
  torch::Tensor estimator_loss(const torch::Tensor& sample_log_prob, const torch::Tensor& entropy,
                               const torch::Tensor& reward, const torch::Tensor& step_mask) override;

  MultiHeadOptions options;
  torch::nn::Linear query_proj{nullptr}, key_proj{nullptr}, value_proj{nullptr}, output_proj{nullptr};
  std::shared_ptr<ScoreImpl> score;  // over Dh-dim heads, parameters per head
  std::shared_ptr<ScopeImpl> scope;

 private:
  torch::Tensor split_heads(const torch::Tensor& x) const;  // [B, T, D] -> [B x H, T, Dh]
  torch::Tensor merge_heads(const torch::Tensor& x) const;  // [B x H, T, Dh] -> [B, T, D]
};

/// Checks that the heads divide the model dims, naming both.
void check_head_split(int64_t dims, int64_t heads);

}  // namespace attnlab
