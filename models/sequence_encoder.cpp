#include "models/sequence_encoder.h"

#include "modules/masks.h"

namespace attnlab {

namespace rnn_utils = torch::nn::utils::rnn;

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
  const int64_t T = x.size(1);
  auto padding = key_padding_mask_from_lengths(lengths, T);  // [B, T]
  torch::Tensor h;                                           // [B, T, H]
  if (gru) {
    // Packing needs a length >= 1; empty rows are zeroed below.
    auto packed = rnn_utils::pack_padded_sequence(x, lengths.clamp_min(1).to(torch::kCPU), /*batch_first=*/true,
                                                  /*enforce_sorted=*/false);
    h = std::get<0>(rnn_utils::pad_packed_sequence(std::get<0>(gru->forward_with_packed_input(packed)),
                                                   /*batch_first=*/true, 0.0, T));
  } else {
    h = positional(input_proj ? input_proj(x) : x);
    h = encoder(h, padding);
  }
  return h.masked_fill(padding.unsqueeze(-1), 0.0);
}

}  // namespace attnlab
