#pragma once
// Parallel text for translation: train / valid / test pairs from TSV files
// ("source<TAB>target" per line), one tokenizer shared by both sides and trained on the
// training pairs (both sides), optional gold word alignments (Pharaoh) for valid and test.
// Training pairs longer than max_length pieces on either side are left out; valid and test
// are kept whole, so every model is scored on the same pairs.

#include <memory>
#include <string>

#include "core/options.h"
#include "data/seq2seq_data.h"
#include "data/split_files.h"
#include "data/tokenizer_store.h"
#include "tokenizers/tokenizer_registry.h"

namespace attnlab {

struct ParallelTextOptions {
  /// TSV files "source<TAB>target".
  TORCH_ARG(SplitFiles, files) = {};
  /// Pharaoh alignment files line-aligned with valid / test ("": none).
  TORCH_ARG(std::string, valid_alignments) = "";
  TORCH_ARG(std::string, test_alignments) = "";
  /// The shared tokenizer, trained on the training pairs.
  TORCH_ARG(json, tokenizer) = json{{"type", "sentencepiece"}, {"vocab_size", 8000}};
  /// Training pairs with more pieces than this on either side are left out.
  TORCH_ARG(int64_t, max_length) = 100;
  /// Use only the first N training pairs (after the length filter; 0: all), to size experiments.
  TORCH_ARG(int64_t, max_train_pairs) = 0;
};

template <class Fields>
void visit_fields(Fields& f, ParallelTextOptions& o) {
  visit_split_files(f, o.files());
  f("valid_alignments", o.valid_alignments());
  f("test_alignments", o.test_alignments());
  f.nested("tokenizer", o.tokenizer(), tokenizer_registry());
  f("max_length", o.max_length(), at_least(1));
  f("max_train_pairs", o.max_train_pairs(), at_least(0));
}
/// Reads, tokenizes and filters; throws DataFileError (file:line) on bad files.
std::shared_ptr<Seq2SeqData> make_parallel_text_data(const ParallelTextOptions& options, const DataContext& context);

}  // namespace attnlab
