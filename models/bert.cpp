#include "models/bert.h"

#include <cmath>

#include "core/special_tokens.h"
#include "modules/masks.h"
#include "modules/traced_shapes.h"

namespace attnlab {

namespace {
constexpr double kInitStd = 0.02;  // BERT's initialiser range for embeddings
}

BertEncoderImpl::BertEncoderImpl(const BertOptions& options_) : options(options_) {
  const auto& o = options;
  TORCH_CHECK(o.vocab() > kNumSpecialTokens, "bert: the vocabulary must hold more than the special tokens, got ",
              o.vocab());
  const int64_t D = o.dims();
  token_embedding = register_module("token_embedding",
                                    torch::nn::Embedding(torch::nn::EmbeddingOptions(o.vocab(), D).padding_idx(kPad)));
  segment_embedding = register_module("segment_embedding", torch::nn::Embedding(o.segments(), D));
  {
    torch::NoGradGuard no_grad;
    token_embedding->weight.normal_(0.0, kInitStd);
    token_embedding->weight[kPad].zero_();
    segment_embedding->weight.normal_(0.0, kInitStd);
  }
  // A sinusoidal table has entries of RMS 1/sqrt(2); scaled to the embeddings' initial RMS, the
  // tokens are not swamped by their positions (at scale 1 the Bible masked LM of
  // experiments/bert_mlm_bible.json learned 5 points less in 1,000 steps).
  const double sinusoid_scale = kInitStd * std::sqrt(2.0);
  positional = register_module("positional", PositionalEncoding(PositionalEncodingOptions(D)
                                                                    .kind(o.positions())
                                                                    .max_length(o.max_length())
                                                                    .scale(sinusoid_scale)));
  embedding_norm =
      register_module("embedding_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D}).eps(o.norm_eps())));
  dropout = register_module("dropout", Dropout(o.dropout()));
  const auto layer = TransformerLayerOptions(D)
                         .feed_forward(o.feed_forward())
                         .dropout(o.dropout())
                         .pre_norm(o.pre_norm())
                         .activation(o.activation())
                         .norm_eps(o.norm_eps());
  layers = register_module("layers", TransformerEncoder(layer, o.layers(), o.attention()));
}

BertEncoding BertEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& segments, bool with_attention) {
  TORCH_CHECK(ids.dim() == 2 && segments.sizes() == ids.sizes(), "bert: ids and segments must both be [B, T]; got ",
              ids.sizes(), " and ", segments.sizes());
  TORCH_CHECK(ids.size(1) <= options.max_length(), "bert: ", ids.size(1), " steps are more than max_length ",
              options.max_length());
  BertEncoding out;
  out.padding = ids.eq(kPad);                                                              // [B, T]
  auto x = positional(token_embedding(ids)) + segment_embedding(segments);                 // [B, T, D]
  out.hidden = layers(dropout(embedding_norm(x)), mask_if_any(out.padding), with_attention ? &out.attention : nullptr);  // [B, T, D]
  return out;
}

BertMaskedLMImpl::BertMaskedLMImpl(const BertOptions& options) {
  const int64_t D = options.dims();
  encoder = register_module("encoder", BertEncoder(options));
  head_dense = register_module("head_dense", torch::nn::Linear(D, D));
  head_norm = register_module("head_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D}).eps(options.norm_eps())));
  head_bias = register_parameter("head_bias", torch::zeros({options.vocab()}));
}

torch::Tensor BertMaskedLMImpl::head(const torch::Tensor& hidden) {
  const auto activation = activation_from_name(encoder->options.activation());
  auto transformed = head_norm(apply_activation(activation, head_dense(hidden)));  // [..., D]
  return torch::linear(transformed, encoder->token_embedding->weight, head_bias);  // [..., V]
}

torch::Tensor BertMaskedLMImpl::forward(const torch::Tensor& ids, const torch::Tensor& segments) {
  return head(encoder(ids, segments).hidden);  // [B, T, V]
}

torch::Tensor BertMaskedLMImpl::logits_at(const torch::Tensor& ids, const torch::Tensor& segments,
                                          const torch::Tensor& selected) {
  TORCH_CHECK(selected.sizes() == ids.sizes() && selected.scalar_type() == torch::kBool,
              "bert: selected must be a bool [B, T] like ids ", ids.sizes(), "; got ", selected.sizes());
  auto hidden = encoder(ids, segments).hidden;  // [B, T, D]
  return head(hidden.index({selected}));        // [N, D] -> [N, V]
}

torch::Tensor cls_sep_sequence(const torch::Tensor& words, const torch::Tensor& lengths, int64_t max_length) {
  TORCH_CHECK(words.dim() == 2 && lengths.dim() == 1 && lengths.size(0) == words.size(0) && max_length >= 2,
              "cls_sep_sequence: words must be [B, L] with lengths [B]; got ", words.sizes(), " and ", lengths.sizes());
  // Export-safe: slice ends past the size are clamped, and columns are built from `words`.
  auto column = [&](int64_t id) { return torch::full_like(words.narrow(1, 0, 1), id); };  // [B, 1]
  auto kept = words.slice(1, 0, max_length - 2);  // [B, keep = min(L, max_length - 2)]
  // Past each document's words the batch holds kPad, so truncation leaves [CLS] w… then padding.
  auto ids = torch::cat({column(kCls), kept, column(kPad)}, 1);  // [B, keep + 2]
  auto sep_at = torch::minimum(lengths, size_as_tensor(kept, 1)).add(1).unsqueeze(1).to(torch::kLong);  // [B, 1]
  return ids.scatter(1, sep_at, kSep);
}

BertClassifierImpl::BertClassifierImpl(const BertOptions& options, int64_t classes) {
  TORCH_CHECK(classes > 1, "bert classifier: needs two classes or more, got ", classes);
  const int64_t D = options.dims();
  encoder = register_module("encoder", BertEncoder(options));
  pooler = register_module("pooler", torch::nn::Linear(D, D));
  dropout = register_module("dropout", Dropout(options.dropout()));
  output = register_module("output", torch::nn::Linear(D, classes));
}

torch::Tensor BertClassifierImpl::classify(const torch::Tensor& ids, const torch::Tensor& segments,
                                           BertEncoding* encoding) {
  auto encoded = encoder(ids, segments, encoding != nullptr);
  auto pooled = torch::tanh(pooler(encoded.hidden.select(1, 0)));  // [CLS]: [B, D]
  auto logits = output(dropout(pooled));                            // [B, C]
  if (encoding) *encoding = std::move(encoded);
  return logits;
}

DocumentOutput BertClassifierImpl::forward(const DocumentInput& input) {
  auto ids = cls_sep_sequence(input.flat_words, input.flat_lengths, encoder->options.max_length());  // [B, T]
  BertEncoding encoding;
  DocumentOutput out;
  out.log_probs = torch::log_softmax(classify(ids, torch::zeros_like(ids), &encoding), -1);  // [B, C]
  // What [CLS] attends to in the last layer, over the words only ([CLS] and [SEP] left out).
  // (Export-safe: T and L are never read into integers.)
  auto from_cls = dense_weights(encoding.attention.back(), ids).select(1, 0).slice(1, 1, -1);  // [B, T - 2]
  const auto body = ids.slice(1, 1, -1);                                                   // [B, T - 2]
  auto words = from_cls.masked_fill(body.eq(kSep) | body.eq(kPad), 0.0);  // [SEP] and padding out
  words = words / words.sum(1, true).clamp_min(1e-12);
  // Zeros for the words past a truncation: the columns of L after the first max_length - 2.
  auto truncated = torch::zeros_like(input.flat_words, words.options()).slice(1, encoder->options.max_length() - 2);
  out.word_weights = torch::cat({words, truncated}, 1);  // [B, L]
  return out;
}

}  // namespace attnlab
