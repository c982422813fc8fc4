#pragma once
// The attention interface of attnlab (see DESIGN.md: score x scope x heads).
//
// Legend: B batch, Tq query steps, Tk key steps, W keys a query sees (Tk for global scopes,
//         2D+1 for local windows), Dq query dims, Dk key dims, Dv value dims.
//   query [B, Tq, Dq], keys [B, Tk, Dk], values [B, Tk, Dv], key_padding_mask [B, Tk],
//   attn_mask [Tq, Tk] or [B, Tq, Tk], query_positions [Tq] or [B, Tq]
//   -> context [B, Tq, Dv], weights [B, Tq, W] over the key positions `positions` [B, Tq, W]
//      (undefined `positions`: W = Tk, the weights cover every key in order).
// Every attention returns its weights, so models can hand back alignment maps.

#include <memory>
#include <vector>

#include <torch/torch.h>

namespace attnlab {

/// The keys and values a query reads, prepared once per sequence (a decoder that queries
/// step by step prepares its memory once, not at every step).
struct AttentionMemory {
  torch::Tensor keys;              // [B, Tk, *] keys after the query-independent work (e.g. U k)
  torch::Tensor values;            // [B, Tk, *]
  torch::Tensor key_padding_mask;  // [B, Tk] true where a key is padding, or undefined
};

/// One call's queries and what constrains them.
struct AttentionQuery {
  torch::Tensor query;      // [B, Tq, Dq]
  torch::Tensor attn_mask;  // [Tq, Tk] or [B, Tq, Tk] true where a query may NOT look, or undefined
  /// The source position each query belongs to ([Tq] or [B, Tq], int64), used by scopes that
  /// centre a window on it (local_m: p_t = t); undefined means 0, 1, ..., Tq-1.
  torch::Tensor positions;
};

struct AttentionOutput {
  torch::Tensor context;    // [B, Tq, Dv]
  torch::Tensor weights;    // [B, Tq, W] (multi-head: averaged over heads)
  torch::Tensor positions;  // [B, Tq, W] key index of each weight, or undefined when W = Tk in order
  torch::Tensor head_weights;  // [B, H, Tq, W] per-head weights (multi-head only), or undefined
  /// Hard attention with a REINFORCE estimator, in training: log-probability of the sampled
  /// position [B, Tq] and entropy of the distribution it was sampled from [B, Tq].
  torch::Tensor sample_log_prob;
  torch::Tensor entropy;
};

class AttentionImpl : public torch::nn::Module {
 public:
  /// Work on the keys and values that does not depend on the query, once per sequence.
  virtual AttentionMemory prepare(const torch::Tensor& keys, const torch::Tensor& values,
                                  const torch::Tensor& key_padding_mask) = 0;

  /// Attention of the queries over a prepared memory.
  virtual AttentionOutput attend(const AttentionQuery& query, const AttentionMemory& memory) = 0;

  /// The extra training loss of an attention with a score-function estimator (hard attention,
  /// REINFORCE): given the sample log-probabilities and entropies of attend() stacked to
  /// [B, T], the reward of each sequence [B] (no gradient) and the mask of real steps [B, T].
  /// Undefined for attentions that train by backpropagation alone.
  virtual torch::Tensor estimator_loss(const torch::Tensor& /*sample_log_prob*/, const torch::Tensor& /*entropy*/,
                                       const torch::Tensor& /*reward*/, const torch::Tensor& /*step_mask*/) {
    return {};
  }

  /// A prepared memory for other batch rows: row i of the result is row rows[i] of `memory`
  /// (beam search keeps and repeats rows).
  virtual AttentionMemory select_memory_rows(const AttentionMemory& memory, const torch::Tensor& rows) {
    auto pick = [&](const torch::Tensor& t) { return t.defined() ? t.index_select(0, rows) : t; };
    return {pick(memory.keys), pick(memory.values), pick(memory.key_padding_mask)};
  }

  AttentionOutput forward(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& values,
                          const torch::Tensor& key_padding_mask = {}, const torch::Tensor& attn_mask = {}) {
    return attend({query, attn_mask, {}}, prepare(keys, values, key_padding_mask));
  }
};

/// Checks the shapes of an attention call, naming the sizes when they disagree.
void check_attention_shapes(const AttentionQuery& query, const AttentionMemory& memory);

/// The weights of `output` as [B, Tq, Tk] over every key (scattering windowed weights);
/// `keys_like` is any [B or 1, Tk] tensor (e.g. the key padding mask) that says Tk, so the
/// size is read from data when the code is traced for export.
torch::Tensor dense_weights(const AttentionOutput& output, const torch::Tensor& keys_like);
/// The same for a known number of keys (eager code and tests).
torch::Tensor dense_weights(const AttentionOutput& output, int64_t key_steps);
/// Every head's weights over all `key_steps` keys: [B, H, Tq, Tk] (H = 1 when the attention has
/// no per-head weights), for inspection and maps.
torch::Tensor dense_head_weights(const AttentionOutput& output, int64_t key_steps);

/// Two memories one after the other along the key steps (a decoder's cache of earlier steps
/// followed by the new ones); an undefined key_padding_mask counts as nothing masked.
AttentionMemory concat_memory(const AttentionMemory& earlier, const AttentionMemory& later);

/// Appends keys, values and key_padding_mask to `out`, an undefined mask as an empty 1-D tensor
/// (export passes decoder states as lists of defined tensors); memory_from_tensors reads them.
void append_tensors(const AttentionMemory& memory, std::vector<torch::Tensor>& out);
AttentionMemory memory_from_tensors(const torch::Tensor& keys, const torch::Tensor& values, const torch::Tensor& mask);

/// Entropy of each query's weights, -sum w log w (0 log 0 = 0): [..., W] -> [...].
torch::Tensor weight_entropy(const torch::Tensor& weights);

}  // namespace attnlab
