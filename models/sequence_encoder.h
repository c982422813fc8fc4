#pragma once
// A sequence encoder shared by the document classifier's levels (words, sentences):
//   gru:            bidirectional GRU, H/2 units per direction (packed: padding is skipped)
//   self_attention: linear to H if needed, sinusoidal positions, Transformer encoder layers
//                   with any self-attention of the registry
// Legend: B batch, T steps, I input dims, H output dims.

#include <memory>
#include <vector>

#include "core/options.h"
#include "modules/positional_encoding.h"
#include "modules/transformer_encoder.h"

namespace attnlab {

struct SequenceEncoderOptions {
  SequenceEncoderOptions(int64_t input_dims, int64_t hidden) : input_dims_(input_dims), hidden_(hidden) {}
  TORCH_ARG(int64_t, input_dims);
  TORCH_ARG(int64_t, hidden);
  /// "gru" or "self_attention".
  TORCH_ARG(std::string, kind) = "gru";
  TORCH_ARG(double, dropout) = 0.1;
  /// self_attention: number of layers, their attention spec and feed-forward size.
  TORCH_ARG(int64_t, layers) = 1;
  TORCH_ARG(json, self_attention) = json::object();
  TORCH_ARG(int64_t, feed_forward) = 256;
};

class SequenceEncoderImpl : public torch::nn::Module {
 public:
  explicit SequenceEncoderImpl(const SequenceEncoderOptions& options);
  /// x [B, T, I], lengths [B] (0 allowed: such rows come out as zeros) -> [B, T, H].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& lengths);

  SequenceEncoderOptions options;

 private:
  torch::nn::GRU gru{nullptr};
  torch::nn::Linear input_proj{nullptr};  // self_attention with I != H
  PositionalEncoding positional{nullptr};
  TransformerEncoder encoder{nullptr};
};
TORCH_MODULE(SequenceEncoder);

}  // namespace attnlab
