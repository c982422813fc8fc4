#pragma once
// BERT (Devlin et al. 2019) with any self-attention of the registry:
//   encoder:     ids -> token + position + segment embeddings -> LayerNorm -> dropout
//                -> N Transformer encoder layers (GELU feed-forward; post-LN by default)
//   masked LM:   encoder -> dense -> GELU -> LayerNorm -> linear tied to the token embeddings
//                (+ its own bias) -> logits over the vocabulary
//   classifier:  encoder -> pooler (dense + tanh on [CLS]) -> dropout -> linear -> log-softmax
// Padding is read from the ids (kPad), so a batch needs no lengths.
// Legend: B batch, T steps, D model dims, V vocab, N selected positions, C classes.

#include "core/options.h"
#include "models/classifier.h"
#include "modules/attention_registry.h"
#include "modules/dropout.h"
#include "modules/positional_encoding.h"
#include "modules/transformer_encoder.h"

namespace attnlab {

struct BertOptions {
  explicit BertOptions(int64_t vocab) : vocab_(vocab) {}
  /// Vocabulary size V (set from the data).
  TORCH_ARG(int64_t, vocab);
  /// D: model dims.
  TORCH_ARG(int64_t, dims) = 256;
  /// Number of encoder layers.
  TORCH_ARG(int64_t, layers) = 4;
  /// Hidden size of each feed-forward block.
  TORCH_ARG(int64_t, feed_forward) = 1024;
  /// Dropout on the embeddings, after each sublayer, inside the feed-forward blocks and before a classifier.
  TORCH_ARG(double, dropout) = 0.1;
  /// "learned" positions (BERT) or "sinusoidal".
  TORCH_ARG(std::string, positions) = "learned";
  /// The longest sequence it can encode (its position table's size).
  TORCH_ARG(int64_t, max_length) = 512;
  /// Number of segment (token type) embeddings.
  TORCH_ARG(int64_t, segments) = 2;
  /// The feed-forward activation: "gelu" (BERT) or "relu".
  TORCH_ARG(std::string, activation) = "gelu";
  /// Epsilon of every layer norm (BERT: 1e-12).
  TORCH_ARG(double, norm_eps) = 1e-12;
  /// Layer norm before each sublayer (pre-LN) instead of after the residual (post-LN, BERT).
  TORCH_ARG(bool, pre_norm) = false;
  /// The self-attention of every layer, from the attention registry.
  TORCH_ARG(json, attention) = default_attention();

 public:  // (TORCH_ARG leaves the members after it private)
  static json default_attention() {
    return json{{"type", "multi_head"}, {"heads", 4}, {"score", "scaled_dot"}, {"scope", "global"}};
  }
};

template <class Fields>
void visit_fields(Fields& f, BertOptions& o) {
  f("dims", o.dims(), at_least(1));
  f("layers", o.layers(), at_least(1));
  f("feed_forward", o.feed_forward(), at_least(1));
  f("dropout", o.dropout(), in_range(0.0, 1.0));
  f("positions", o.positions(), one_of({"learned", "sinusoidal"}));
  f("max_length", o.max_length(), at_least(2));
  f("segments", o.segments(), at_least(1));
  f("activation", o.activation(), one_of({"gelu", "relu"}));
  f("norm_eps", o.norm_eps(), in_range(0.0, 1.0));
  f("pre_norm", o.pre_norm());
  f.nested("attention", o.attention(), attention_registry());
}

/// The encoder's output and, on request, every layer's self-attention.
struct BertEncoding {
  torch::Tensor hidden;                   // [B, T, D]
  torch::Tensor padding;                  // [B, T] true at kPad
  std::vector<AttentionOutput> attention;  // per layer, when asked for
};

/// Embeddings + encoder stack: the part a fine-tuned model takes over from a pre-trained one.
class BertEncoderImpl : public torch::nn::Module {
 public:
  explicit BertEncoderImpl(const BertOptions& options);
  /// ids [B, T] (kPad = padding), segments [B, T] in [0, segments) -> the encoding.
  BertEncoding forward(const torch::Tensor& ids, const torch::Tensor& segments, bool with_attention = false);

  BertOptions options;
  torch::nn::Embedding token_embedding{nullptr}, segment_embedding{nullptr};
  PositionalEncoding positional{nullptr};
  torch::nn::LayerNorm embedding_norm{nullptr};
  Dropout dropout{nullptr};
  TransformerEncoder layers{nullptr};
};
TORCH_MODULE(BertEncoder);

/// The masked-LM model ("bert"): logits over the vocabulary at any positions.
class BertMaskedLMImpl : public torch::nn::Module {
 public:
  explicit BertMaskedLMImpl(const BertOptions& options);
  /// Logits [B, T, V] at every position.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& segments);
  /// Logits [N, V] at the positions where `selected` [B, T] is true (row-major order): the head
  /// runs on those rows only, as training needs (a masked LM predicts ~15% of the positions).
  torch::Tensor logits_at(const torch::Tensor& ids, const torch::Tensor& segments, const torch::Tensor& selected);
  /// The head on encoder states: hidden [..., D] -> logits [..., V].
  torch::Tensor head(const torch::Tensor& hidden);

  BertEncoder encoder{nullptr};  // registered as "encoder" in every BERT model (init-from copies it)
  torch::nn::Linear head_dense{nullptr};
  torch::nn::LayerNorm head_norm{nullptr};
  torch::Tensor head_bias;  // [V]; the weight is encoder->token_embedding->weight
};

/// BERT with a classification head ("bert_classifier"), reading each document as one sequence
/// [CLS] w_1 … w_L [SEP] (truncated to max_length).
class BertClassifierImpl : public ClassifierImpl {
 public:
  BertClassifierImpl(const BertOptions& options, int64_t classes);
  /// Class log-probabilities [B, C]; word_weights [B, L]: the last layer's attention from [CLS]
  /// to each word (renormalised over the words).
  DocumentOutput forward(const DocumentInput& input) override;
  bool has_sentence_attention() const override { return false; }
  /// ids [B, T], segments [B, T] -> class logits [B, C] (before the log-softmax).
  torch::Tensor classify(const torch::Tensor& ids, const torch::Tensor& segments, BertEncoding* encoding = nullptr);

  BertEncoder encoder{nullptr};
  torch::nn::Linear pooler{nullptr}, output{nullptr};
  Dropout dropout{nullptr};
};

/// [CLS] words[:, :max_length-2] [SEP], padded: ids [B, min(L, max_length - 2) + 2] from
/// words [B, L] (kPad after each document's lengths[b] words).
torch::Tensor cls_sep_sequence(const torch::Tensor& words, const torch::Tensor& lengths, int64_t max_length);

}  // namespace attnlab
