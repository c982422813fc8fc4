#include "modules/multi_head.h"

namespace attnlab {

void check_head_split(int64_t dims, int64_t heads) {
  TORCH_CHECK(heads >= 1 && dims % heads == 0, "multi_head: ", heads, " heads do not divide ", dims, " dims");
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadOptions& options_, std::shared_ptr<ScoreImpl> score_,
                                               std::shared_ptr<ScopeImpl> scope_)
    : options(options_) {
  const int64_t D = options.query_dim(), Dk = options.key_dim();
  TORCH_CHECK(D > 0 && Dk > 0, "multi_head: dims must be positive, got query ", D, ", key ", Dk);
  check_head_split(D, options.heads());
  auto linear = [&](int64_t in) { return torch::nn::Linear(torch::nn::LinearOptions(in, D).bias(options.bias())); };
  query_proj = register_module("query_proj", linear(D));
  key_proj = register_module("key_proj", linear(Dk));
  value_proj = register_module("value_proj", linear(Dk));
  output_proj = register_module("output_proj", linear(D));
  score = register_module("score", std::move(score_));
  scope = register_module("scope", std::move(scope_));
}

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.unflatten(2, {options.heads(), -1})  // [B, T, H, Dh]
      .transpose(1, 2)                          // [B, H, T, Dh]
      .flatten(0, 1);                           // [B x H, T, Dh]
}

torch::Tensor MultiHeadAttentionImpl::merge_heads(const torch::Tensor& x) const {
  return x.unflatten(0, {-1, options.heads()})  // [B, H, T, Dh]
      .transpose(1, 2)                          // [B, T, H, Dh]
      .flatten(2);                              // [B, T, D]
}

AttentionMemory MultiHeadAttentionImpl::prepare(const torch::Tensor& keys, const torch::Tensor& values,
                                                const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(keys.dim() == 3 && values.dim() == 3 && keys.size(0) == values.size(0) &&
                  keys.size(1) == values.size(1) && keys.size(2) == options.key_dim() &&
                  values.size(2) == options.key_dim(),
              "multi_head: keys and values must both be [B, Tk, ", options.key_dim(), "], got ", keys.sizes(), " and ",
              values.sizes());
  const int64_t H = options.heads();
  return {score->project_keys(split_heads(key_proj(keys))),  // [B x H, Tk, Dh]
          split_heads(value_proj(values)),                    // [B x H, Tk, Dh]
          key_padding_mask.defined() ? key_padding_mask.repeat_interleave(H, 0) : torch::Tensor()};  // [B x H, Tk]
}

AttentionOutput MultiHeadAttentionImpl::attend(const AttentionQuery& query, const AttentionMemory& memory) {
  const auto& q = query.query;
  const int64_t H = options.heads();
  TORCH_CHECK(q.dim() == 3 && q.size(2) == options.query_dim(), "multi_head: query must be [B, Tq, ",
              options.query_dim(), "], got ", q.sizes());
  TORCH_CHECK(q.size(0) * H == memory.keys.size(0), "multi_head: query batch ", q.size(0), " x ", H,
              " heads does not match the memory's ", memory.keys.size(0));
  auto per_batch_to_heads = [&](const torch::Tensor& t, int64_t per_batch_dims) {  // [B, ...] -> [B x H, ...]
    return t.defined() && t.dim() == per_batch_dims ? t.repeat_interleave(H, 0) : t;
  };
  AttentionQuery per_head{split_heads(query_proj(q)),                // [B x H, Tq, Dh]
                          per_batch_to_heads(query.attn_mask, 3),    // [Tq, Tk] or [B x H, Tq, Tk]
                          per_batch_to_heads(query.positions, 2)};   // [Tq] or [B x H, Tq]
  check_attention_shapes(per_head, memory);
  auto heads = scope->forward(*score, per_head, memory, options.dropout());

  AttentionOutput out;
  out.context = output_proj(merge_heads(heads.context));       // [B, Tq, D]
  out.head_weights = heads.weights.unflatten(0, {-1, H});      // [B, H, Tq, W]
  if (!heads.positions.defined()) {
    out.weights = out.head_weights.mean(1);                    // [B, Tq, Tk]
  } else {
    // Windows differ per head: list every head's window side by side, each weight / H, so
    // dense_weights() sums them into the average over heads without a [B, Tq, Tk] tensor here.
    out.weights = (out.head_weights / H).transpose(1, 2).flatten(2);                    // [B, Tq, H x W]
    out.positions = heads.positions.unflatten(0, {-1, H}).transpose(1, 2).flatten(2);  // [B, Tq, H x W]
  }
  // Hard heads choose independently: the joint log-probability and entropy are sums over heads.
  if (heads.sample_log_prob.defined()) out.sample_log_prob = heads.sample_log_prob.unflatten(0, {-1, H}).sum(1);
  if (heads.entropy.defined()) out.entropy = heads.entropy.unflatten(0, {-1, H}).sum(1);  // [B, Tq]
  return out;
}

AttentionMemory MultiHeadAttentionImpl::select_memory_rows(const AttentionMemory& memory, const torch::Tensor& rows) {
  const int64_t H = options.heads();
  auto head_rows = (rows.unsqueeze(1) * H + torch::arange(H, rows.options())).flatten();  // [R x H]
  return AttentionImpl::select_memory_rows(memory, head_rows);
}

torch::Tensor MultiHeadAttentionImpl::estimator_loss(const torch::Tensor& sample_log_prob, const torch::Tensor& entropy,
                                                     const torch::Tensor& reward, const torch::Tensor& step_mask) {
  return scope->estimator_loss(sample_log_prob, entropy, reward, step_mask);
}

}  // namespace attnlab
