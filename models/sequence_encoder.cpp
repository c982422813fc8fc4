#include "models/sequence_encoder.h"

#include "modules/masks.h"
#include "modules/packed_rnn.h"

namespace attnlab {

SequenceEncoderImpl::SequenceEncoderImpl(const SequenceEncoderOptions& options_) : options(options_) {
  const auto& o = options;
  if (o.kind() == "gru") {
    TORCH_CHECK(o.hidden() % 2 == 0, "sequence encoder: a bidirectional GRU needs an even hidden size, got ", o.hidden());
    gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(o.input_dims(), o.hidden() / 2)
                                                    .batch_first(true)
                                                    .bidirectional(true)));
    return;
  }
  TORCH_CHECK(o.kind() == "self_attention", "sequence encoder: kind must be gru or self_attention, got ", o.kind());
  if (o.input_dims() != o.hidden()) input_proj = register_module("input_proj", torch::nn::Linear(o.input_dims(), o.hidden()));
  positional = register_module("positional", PositionalEncoding(PositionalEncodingOptions(o.hidden())));
  const auto layer = TransformerLayerOptions(o.hidden()).feed_forward(o.feed_forward()).dropout(o.dropout());
  encoder = register_module("encoder", TransformerEncoder(layer, o.layers(), o.self_attention()));
}

torch::Tensor SequenceEncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& lengths) {
  auto padding = key_padding_mask_like(lengths, x);  // [B, T]
  torch::Tensor h;                                   // [B, T, H]
  if (gru) {
    h = run_packed(gru, x, lengths.clamp_min(1)).outputs;  // packing needs a length >= 1; empty rows are zeroed below
  } else {
    h = positional(input_proj ? input_proj(x) : x);
    h = encoder(h, padding);
  }
  return h.masked_fill(padding.unsqueeze(-1), 0.0);
}

}  // namespace attnlab
