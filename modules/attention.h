#pragma once
// The attention interface of attnlab (see DESIGN.md: score x scope x heads).
//
// Shapes: B batch, Tq query steps, Tk key steps, Dq query dims, Dk key dims, Dv value dims.
//   query [B, Tq, Dq], keys [B, Tk, Dk], values [B, Tk, Dv], key_padding_mask [B, Tk]
//   -> context [B, Tq, Dv], weights [B, Tq, Tk]
// Every attention returns its weights, so models can hand back alignment maps.

#include <memory>

#include <torch/torch.h>

namespace attnlab {

struct AttentionOutput {
  torch::Tensor context;  // [B, Tq, Dv]
  torch::Tensor weights;  // [B, Tq, Tk]
};

class AttentionImpl : public torch::nn::Module {
 public:
  /// Work on the keys that does not depend on the query (e.g. U·k of the additive score),
  /// done once per source sequence by decoders that query step by step.
  virtual torch::Tensor prepare_keys(const torch::Tensor& keys) { return keys; }

  /// Attention with keys already passed through prepare_keys.
  virtual AttentionOutput attend(const torch::Tensor& query, const torch::Tensor& prepared_keys,
                                 const torch::Tensor& values, const torch::Tensor& key_padding_mask) = 0;

  AttentionOutput forward(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& values,
                          const torch::Tensor& key_padding_mask) {
    return attend(query, prepare_keys(keys), values, key_padding_mask);
  }
};

/// Checks the shapes of an attention call, naming the sizes when they disagree.
void check_attention_shapes(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& values,
                            const torch::Tensor& key_padding_mask);

}  // namespace attnlab
