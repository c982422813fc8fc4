#pragma once
// Documents for classification: sentences of token ids and a label, batched whole.
// Legend: B documents, N sentences (the most in the batch), W words per sentence (the most),
//         L words per document (the most).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/dataset.h"

namespace attnlab {

struct Document {
  std::vector<std::vector<int64_t>> sentences;  // token ids, one vector per sentence
  int64_t label = 0;
  /// Gold: the sentence that decides the label (for sentence-attention accuracy), -1 if none.
  int64_t key_sentence = -1;
};

struct DocumentData : Dataset {
  std::map<std::string, std::vector<Document>> splits;
  std::vector<std::string> labels;  // class names; a document's label indexes them
  const std::vector<Document>& split(const std::string& name) const;
  std::vector<std::string> split_names() const override;
};

struct DocumentBatch {
  torch::Tensor words;             // [B, N, W] ids, kPad where there is no word
  torch::Tensor sentence_lengths;  // [B, N] words per sentence, 0 for padding sentences
  torch::Tensor sentence_counts;   // [B]
  torch::Tensor flat_words;        // [B, L] every word of the document in order, kPad after
  torch::Tensor flat_lengths;      // [B]
  torch::Tensor labels;            // [B]
  torch::Tensor key_sentence;      // [B] gold sentence, -1 for none
};

/// One batch of documents[indices]; every document needs a sentence, every sentence a word.
DocumentBatch make_document_batch(const std::vector<Document>& documents, const std::vector<int64_t>& indices);

}  // namespace attnlab
