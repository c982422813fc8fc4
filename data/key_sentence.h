#pragma once
// A synthetic document-classification task with a gold sentence (a HAN smoke test):
// each document has several sentences of filler symbols; every sentence holds one class
// marker; exactly one sentence also holds the KEY symbol, and the document's class is the
// marker of that sentence. Distractor sentences carry markers of random classes, so counting
// words does not solve it: the model must find the key sentence and read its marker.
// Symbols: markers 0..C-1, KEY = C, fillers C+1 .. C+fillers (SymbolTokenizer ids).

#include <memory>

#include "core/options.h"
#include "data/document_data.h"

namespace attnlab {

struct KeySentenceOptions {
  /// C: number of classes (and of markers).
  TORCH_ARG(int64_t, classes) = 4;
  /// Number of distinct filler symbols.
  TORCH_ARG(int64_t, fillers) = 20;
  /// [min, max] sentences per document.
  TORCH_ARG(std::vector<int64_t>, sentences) = std::vector<int64_t>{3, 8};
  /// [min, max] words per sentence (marker and key included).
  TORCH_ARG(std::vector<int64_t>, sentence_length) = std::vector<int64_t>{4, 10};
  /// Documents per split.
  TORCH_ARG(int64_t, train_size) = 5000;
  TORCH_ARG(int64_t, valid_size) = 500;
  TORCH_ARG(int64_t, test_size) = 500;
  /// Seed of the data (the same for every model seed).
  TORCH_ARG(int64_t, seed) = 1;
};

template <class Fields>
void visit_fields(Fields& f, KeySentenceOptions& o) {
  f("classes", o.classes(), in_range(2, 1000));
  f("fillers", o.fillers(), in_range(1, 100000));
  f("sentences", o.sentences(), each_at_least(1, 2));
  f("sentence_length", o.sentence_length(), each_at_least(2, 2));
  f("train_size", o.train_size(), in_range(1, 1e7));
  f("valid_size", o.valid_size(), in_range(1, 1e7));
  f("test_size", o.test_size(), in_range(1, 1e7));
  f("seed", o.seed());
}
void validate_options(const KeySentenceOptions& o, const std::string& pointer);

std::shared_ptr<DocumentData> make_key_sentence_data(const KeySentenceOptions& options);

}  // namespace attnlab
