#pragma once
// Document classifiers (Yang et al. 2016 and baselines), one model family:
//   hierarchical (HAN): words of each sentence -> encoder -> attention pooling -> sentence
//                       vectors -> encoder -> attention pooling -> document vector
//   flat:               every word of the document -> encoder -> one attention pooling
//   mean_pool:          the mean of the document's word embeddings (no attention)
// then dropout -> linear -> log-softmax over the classes. The encoders are bi-GRUs or
// self-attention layers; the poolings are attentions from the registry.
// Legend: B documents, N sentences, W words per sentence, L words per document, E embedding
//         dims, H hidden dims, C classes.

#include "core/options.h"
#include "models/classifier.h"
#include "models/sequence_encoder.h"
#include "modules/attention_pooling.h"
#include "modules/attention_registry.h"
#include "modules/dropout.h"

namespace attnlab {

/// The structure option, read once at construction.
enum class DocumentStructure { kHierarchical, kFlat, kMeanPool };

struct DocumentClassifierOptions {
  DocumentClassifierOptions(int64_t vocab, int64_t classes) : vocab_(vocab), classes_(classes) {}
  /// Vocabulary size (set from the data).
  TORCH_ARG(int64_t, vocab);
  /// Number of classes (set from the data).
  TORCH_ARG(int64_t, classes);
  /// "hierarchical" (HAN), "flat" or "mean_pool".
  TORCH_ARG(std::string, structure) = "hierarchical";
  /// Encoder at each level: "gru" (bidirectional, H/2 per direction) or "self_attention".
  TORCH_ARG(std::string, encoder) = "gru";
  /// Embedding size E.
  TORCH_ARG(int64_t, embedding) = 64;
  /// Hidden size H of the encoders' outputs.
  TORCH_ARG(int64_t, hidden) = 64;
  /// Dropout on embeddings and before the output layer (and in self-attention layers).
  TORCH_ARG(double, dropout) = 0.1;
  /// Pooling over the words (of a sentence, or of the document when flat), from the attention registry.
  TORCH_ARG(json, word_pooling) = default_pooling();
  /// Pooling over the sentences (hierarchical), from the attention registry.
  TORCH_ARG(json, sentence_pooling) = default_pooling();
  /// encoder "self_attention": its attention and layers per level.
  TORCH_ARG(json, self_attention) = json{{"type", "multi_head"}, {"heads", 4}, {"score", "scaled_dot"}, {"scope", "global"}};
  TORCH_ARG(int64_t, self_attention_layers) = 1;

  static json default_pooling() { return json{{"type", "global"}, {"score", {{"type", "additive"}, {"hidden", 64}}}}; }
};

template <class Fields>
void visit_fields(Fields& f, DocumentClassifierOptions& o) {
  f("structure", o.structure(), one_of({"hierarchical", "flat", "mean_pool"}));
  f("encoder", o.encoder(), one_of({"gru", "self_attention"}));
  f("embedding", o.embedding(), at_least(1));
  f("hidden", o.hidden(), at_least(2));
  f("dropout", o.dropout(), in_range(0.0, 1.0));
  f.nested("word_pooling", o.word_pooling(), attention_registry());
  f.nested("sentence_pooling", o.sentence_pooling(), attention_registry());
  f.nested("self_attention", o.self_attention(), attention_registry());
  f("self_attention_layers", o.self_attention_layers(), at_least(1));
}
void validate_options(const DocumentClassifierOptions& o, const std::string& pointer);

class DocumentClassifierImpl : public ClassifierImpl {
 public:
  explicit DocumentClassifierImpl(const DocumentClassifierOptions& options);
  DocumentOutput forward(const DocumentInput& input) override;
  bool has_sentence_attention() const override { return structure == DocumentStructure::kHierarchical; }

  DocumentClassifierOptions options;
  DocumentStructure structure;

 private:
  torch::nn::Embedding embedding{nullptr};
  SequenceEncoder word_encoder{nullptr}, sentence_encoder{nullptr};
  AttentionPooling word_pooling{nullptr}, sentence_pooling{nullptr};
  Dropout dropout{nullptr};
  torch::nn::Linear output{nullptr};
};

}  // namespace attnlab
