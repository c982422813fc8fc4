#include "models/transformer_seq2seq.h"

#include <cmath>

#include "core/special_tokens.h"
#include "modules/masks.h"

namespace attnlab {

void validate_options(const TransformerSeq2SeqOptions& o, const std::string& pointer) {
  if (o.share_embeddings() && o.source_vocab() > 0 && o.target_vocab() > 0 && o.source_vocab() != o.target_vocab())
    throw ConfigError(pointer_join(pointer, "share_embeddings"),
                      "needs one vocabulary; source has " + std::to_string(o.source_vocab()) + " ids, target " +
                          std::to_string(o.target_vocab()));
}

TransformerSeq2SeqImpl::TransformerSeq2SeqImpl(const TransformerSeq2SeqOptions& options_) : options(options_) {
  const auto& o = options;
  TORCH_CHECK(o.source_vocab() > 0 && o.target_vocab() > 0, "transformer: vocab sizes must be positive");
  validate_options(o, "");
  const int64_t D = o.dims();
  auto embedding = [&](int64_t vocab) {
    torch::nn::Embedding table(torch::nn::EmbeddingOptions(vocab, D).padding_idx(kPad));
    torch::NoGradGuard no_grad;
    table->weight.normal_(0.0, std::pow(static_cast<double>(D), -0.5));  // unit variance after the √D scaling
    table->weight[kPad].zero_();
    return table;
  };
  target_embedding = register_module("target_embedding", embedding(o.target_vocab()));
  // A shared embedding is registered once, so the optimizer sees its parameters once.
  source_embedding = o.share_embeddings() ? target_embedding
                                          : register_module("source_embedding", embedding(o.source_vocab()));
  positional = register_module(
      "positional", PositionalEncoding(PositionalEncodingOptions(D).kind(o.positions()).max_length(o.max_length())));
  dropout = register_module("dropout", Dropout(o.dropout()));

  const auto layer = TransformerLayerOptions(D).feed_forward(o.feed_forward()).dropout(o.dropout()).pre_norm(o.pre_norm());
  auto attention = [&](const json& spec) { return attention_registry().create(spec, AttentionDims{D, D}); };
  encoder = register_module("encoder", TransformerEncoder(layer, o.encoder_layers(), o.encoder_attention()));
  for (int64_t l = 0; l < o.decoder_layers(); ++l)
    decoder.push_back(register_module(
        "decoder_" + std::to_string(l),
        TransformerDecoderLayer(layer, attention(o.decoder_attention()), attention(o.cross_attention()))));
  if (o.pre_norm()) decoder_norm = register_module("decoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
  if (o.tie_output()) generator_bias = register_parameter("generator_bias", torch::zeros({o.target_vocab()}));
  else generator = register_module("generator", torch::nn::Linear(D, o.target_vocab()));
}

torch::Tensor TransformerSeq2SeqImpl::embed(torch::nn::Embedding& table, const torch::Tensor& tokens,
                                            const torch::Tensor& positions) {
  auto scaled = table(tokens) * std::sqrt(static_cast<double>(options.dims()));  // [B, T, D]
  return dropout(positional->forward_at(scaled, positions));
}

TransformerSeq2SeqImpl::Encoded TransformerSeq2SeqImpl::encode(const torch::Tensor& source,
                                                               const torch::Tensor& source_lengths,
                                                               TransformerAttention* attention) {
  TORCH_CHECK(source.dim() == 2 && source_lengths.dim() == 1 && source.size(0) == source_lengths.size(0),
              "transformer: source must be [B, S] with lengths [B]; got ", source.sizes(), " and ",
              source_lengths.sizes());
  auto padding = key_padding_mask_like(source_lengths, source);  // [B, S]
  auto padded = mask_if_any(padding);                             // [B, S], undefined when no step is padding
  auto x = encoder(embed(source_embedding, source, step_positions(source).select(0, 0)), padded,
                   attention ? &attention->encoder_self : nullptr);  // [B, S, D]
  // Padded positions carry no information; zero them so no attention can pick them up by accident.
  if (padded.defined()) x = x.masked_fill(padded.unsqueeze(-1), 0.0);
  Encoded encoded{padding, {}};
  for (auto& layer : decoder) encoded.cross.push_back(layer->cross_attention->prepare(x, x, padded));
  return encoded;
}

torch::Tensor TransformerSeq2SeqImpl::decode(const torch::Tensor& tokens, int64_t offset, const Encoded& encoded,
                                             std::vector<DecoderLayerCache>* caches, TransformerAttention* attention) {
  TORCH_CHECK(offset + tokens.size(1) <= options.max_length(), "transformer: target position ",
              offset + tokens.size(1) - 1, " is past max_length ", options.max_length());
  auto positions = torch::arange(offset, offset + tokens.size(1), tokens.options().dtype(torch::kLong));  // [T]
  return decode(tokens, positions, encoded, caches, attention);
}

torch::Tensor TransformerSeq2SeqImpl::decode(const torch::Tensor& tokens, const torch::Tensor& positions,
                                             const Encoded& encoded, std::vector<DecoderLayerCache>* caches,
                                             TransformerAttention* attention) {
  const int64_t T = tokens.size(1);
  TORCH_CHECK(T == 1 || !caches || !(*caches)[0].self.keys.defined() || (*caches)[0].self.keys.size(1) == 0,
              "transformer: several new steps after cached ones are not supported; decode one step at a time");
  auto y = embed(target_embedding, tokens, positions);  // [B, T, D]
  // The whole target at once gets the causal mask; one step at a time needs none.
  torch::Tensor mask;
  if (T > 1) mask = causal_mask(T, tokens.options());  // [T, T]
  for (size_t l = 0; l < decoder.size(); ++l) {
    AttentionOutput self_weights, cross_weights;
    y = decoder[l](y, encoded.cross[l], mask, positions, caches ? &(*caches)[l] : nullptr,
                   attention ? &self_weights : nullptr, &cross_weights);
    TORCH_CHECK(!cross_weights.sample_log_prob.defined() && !self_weights.sample_log_prob.defined(),
                "transformer: hard attention with the reinforce estimator is for RNN decoders; use gumbel_st here");
    if (attention) {
      attention->decoder_self.push_back(self_weights);
      attention->cross.push_back(cross_weights);
    }
  }
  if (decoder_norm) y = decoder_norm(y);
  auto logits = generator ? generator(y) : torch::linear(y, target_embedding->weight, generator_bias);  // [B, T, V]
  return logits;
}

Seq2SeqOutput TransformerSeq2SeqImpl::forward_with_attention(const torch::Tensor& source,
                                                             const torch::Tensor& source_lengths,
                                                             const torch::Tensor& target_in,
                                                             TransformerAttention* attention) {
  TORCH_CHECK(target_in.dim() == 2 && target_in.size(0) == source.size(0),
              "transformer: target_in must be [B, T] with B = ", source.size(0), ", got ", target_in.sizes());
  TransformerAttention all;
  auto encoded = encode(source, source_lengths, &all);
  Seq2SeqOutput out;
  out.log_probs = torch::log_softmax(decode(target_in, 0, encoded, nullptr, &all), -1);  // [B, T, V]
  out.attention = dense_weights(all.cross.back(), encoded.padding);  // [B, T, S]
  if (attention) *attention = std::move(all);
  return out;
}

std::vector<LayerAttention> TransformerSeq2SeqImpl::every_attention(const torch::Tensor& source,
                                                                    const torch::Tensor& source_lengths,
                                                                    const torch::Tensor& target_in) {
  TransformerAttention all;
  forward_with_attention(source, source_lengths, target_in, &all);
  const int64_t S = source.size(1), T = target_in.size(1);
  std::vector<LayerAttention> out;
  auto add = [&](const std::vector<AttentionOutput>& layers, const std::string& kind, bool query_source, bool key_source) {
    for (size_t l = 0; l < layers.size(); ++l)
      out.push_back({kind + ", layer " + std::to_string(l + 1), query_source, key_source,
                     dense_head_weights(layers[l], key_source ? S : T)});  // [B, H, Tq, Tk]
  };
  add(all.encoder_self, "encoder self-attention", true, true);
  add(all.decoder_self, "decoder self-attention", false, false);
  add(all.cross, "cross-attention", false, true);
  return out;
}

Seq2SeqOutput TransformerSeq2SeqImpl::forward(const torch::Tensor& source, const torch::Tensor& source_lengths,
                                              const torch::Tensor& target_in) {
  return forward_with_attention(source, source_lengths, target_in, nullptr);
}

/// The decoder state between incremental steps: the encoded source, each layer's cache, the step.
class TransformerSeq2SeqImpl::IncrementalState : public DecoderState {
 public:
  IncrementalState(Encoded encoded_, std::vector<DecoderLayerCache> caches_, torch::Tensor step_,
                   std::vector<TransformerDecoderLayer> layers_)
      : encoded(std::move(encoded_)), caches(std::move(caches_)), step(std::move(step_)), layers(std::move(layers_)) {}
  void select_rows(const torch::Tensor& rows) override {
    encoded.padding = encoded.padding.index_select(0, rows);  // [R, S]
    for (size_t l = 0; l < layers.size(); ++l) {
      encoded.cross[l] = layers[l]->cross_attention->select_memory_rows(encoded.cross[l], rows);
      caches[l].self = layers[l]->self_attention->select_memory_rows(caches[l].self, rows);
    }
  }
  /// step, padding, then per decoder layer its cross-attention memory and its self-attention cache.
  std::vector<torch::Tensor> tensors() const override {
    std::vector<torch::Tensor> out{step, encoded.padding};
    for (size_t l = 0; l < layers.size(); ++l) {
      append_tensors(encoded.cross[l], out);
      append_tensors(caches[l].self, out);
    }
    return out;
  }
  Encoded encoded;
  std::vector<DecoderLayerCache> caches;
  torch::Tensor step;  // [1] int64: the target position the next decode_next computes
  std::vector<TransformerDecoderLayer> layers;
};

std::unique_ptr<DecoderState> TransformerSeq2SeqImpl::start_decoding(const torch::Tensor& source,
                                                                    const torch::Tensor& source_lengths) {
  auto encoded = encode(source, source_lengths);
  // Each cache starts as the memory of no target step ([B, 0, D] prepared), so a state is the
  // same list of tensors before and after the first step.
  auto nothing = torch::zeros_like(source, target_embedding->weight.options()).unsqueeze(-1).narrow(1, 0, 0).expand({-1, -1, options.dims()});  // [B, 0, D]
  std::vector<DecoderLayerCache> caches(decoder.size());
  for (size_t l = 0; l < decoder.size(); ++l) caches[l].self = decoder[l]->self_attention->prepare(nothing, nothing, {});
  auto step = torch::zeros({1}, source.options().dtype(torch::kLong));
  return std::make_unique<IncrementalState>(std::move(encoded), std::move(caches), std::move(step), decoder);
}

std::unique_ptr<DecoderState> TransformerSeq2SeqImpl::state_from_tensors(const std::vector<torch::Tensor>& tensors) {
  StateTensorReader read(tensors, "transformer");
  Encoded encoded;
  auto step = read.next();
  encoded.padding = read.next();
  std::vector<DecoderLayerCache> caches(decoder.size());
  for (size_t l = 0; l < decoder.size(); ++l) {
    encoded.cross.push_back(read.memory());
    caches[l].self = read.memory();
  }
  read.expect_end();
  return std::make_unique<IncrementalState>(std::move(encoded), std::move(caches), std::move(step), decoder);
}

DecoderStep TransformerSeq2SeqImpl::decode_next(DecoderState& state, const torch::Tensor& previous_tokens) {
  auto& s = dynamic_cast<IncrementalState&>(state);
  if (!tracing())
    TORCH_CHECK(s.step.item<int64_t>() < options.max_length(), "transformer: target position ", s.step.item<int64_t>(),
                " is past max_length ", options.max_length());
  TransformerAttention attention;
  auto logits = decode(previous_tokens.unsqueeze(1), s.step, s.encoded, &s.caches, &attention);  // [R, 1, V]
  s.step = s.step + 1;
  return {logits.select(1, 0), dense_weights(attention.cross.back(), s.encoded.padding).select(1, 0)};
}

}  // namespace attnlab
