#pragma once
// The classifier interface the classification task trains: a batch of documents in, class
// log-probabilities and whatever attention the model has out. Implemented by the document
// classifiers (HAN and its baselines) and by BERT with a classification head.
// Legend: B documents, N sentences, W words per sentence, L words per document, C classes.

#include <torch/torch.h>

namespace attnlab {

/// A batch of documents as a classifier reads it (see data/document_data.h).
struct DocumentInput {
  torch::Tensor words;             // [B, N, W]
  torch::Tensor sentence_lengths;  // [B, N]
  torch::Tensor sentence_counts;   // [B]
  torch::Tensor flat_words;        // [B, L]
  torch::Tensor flat_lengths;      // [B]
};

struct DocumentOutput {
  torch::Tensor log_probs;         // [B, C]
  torch::Tensor word_weights;      // [B, N, W] (by sentence), [B, L] (flat), or undefined
  torch::Tensor sentence_weights;  // [B, N] (hierarchical), or undefined
};

class ClassifierImpl : public torch::nn::Module {
 public:
  virtual DocumentOutput forward(const DocumentInput& input) = 0;
  /// Whether forward() gives sentence_weights (the sentence-attention metric needs them).
  virtual bool has_sentence_attention() const = 0;
};

}  // namespace attnlab
