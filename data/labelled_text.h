#pragma once
// Labelled documents for classification from TSV files ("label<TAB>text" per line), the
// text's sentences separated by a separator string (" ||| " in corpora/fortunes). Classes are
// the training file's labels, in sorted order; a valid or test label the training file lacks
// is an error naming its line. The tokenizer is trained on the training sentences.

#include <memory>
#include <string>

#include "core/options.h"
#include "data/document_data.h"
#include "data/split_files.h"
#include "data/tokenizer_store.h"
#include "tokenizers/tokenizer_registry.h"

namespace attnlab {

struct LabelledTextOptions {
  /// TSV files "label<TAB>text".
  TORCH_ARG(SplitFiles, files) = {};
  /// What separates a document's sentences in the text column.
  TORCH_ARG(std::string, sentence_separator) = "|||";
  TORCH_ARG(json, tokenizer) = json{{"type", "word"}, {"min_count", 2}, {"max_size", 20000}};
  /// Longer documents keep their first sentences, longer sentences their first pieces.
  TORCH_ARG(int64_t, max_sentences) = 32;
  TORCH_ARG(int64_t, max_sentence_length) = 64;
};

template <class Fields>
void visit_fields(Fields& f, LabelledTextOptions& o) {
  visit_split_files(f, o.files());
  f("sentence_separator", o.sentence_separator(),
    [](const std::string& s) -> std::optional<std::string> {
      if (s.empty()) return "must not be empty";
      return std::nullopt;
    });
  f.nested("tokenizer", o.tokenizer(), tokenizer_registry());
  f("max_sentences", o.max_sentences(), at_least(1));
  f("max_sentence_length", o.max_sentence_length(), at_least(1));
}

/// Reads and tokenizes; throws DataFileError (file:line) on bad files.
std::shared_ptr<DocumentData> make_labelled_text_data(const LabelledTextOptions& options, const DataContext& context);

}  // namespace attnlab
