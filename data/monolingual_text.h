#pragma once
// Monolingual text for masked language modelling: one segment per line (a verse, a sentence)
// in named train/valid/test files; the tokenizer is trained on the training lines. Sequences
// are packed from consecutive lines, in file order, up to max_length tokens:
//   one segment (default):  [CLS] line_i line_i+1 … [SEP]
//   segment_pairs:          [CLS] lines_A [SEP] lines_B [SEP], A and B split at the line
//                           boundary nearest the middle (segment ids 0 for A, 1 for B); a
//                           sequence of one line keeps one segment
// A line longer than a sequence is cut into sequences of its own. Blank lines are skipped.
// Legend: B batch, T steps (the longest sequence of the batch).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/options.h"
#include "data/dataset.h"
#include "data/split_files.h"
#include "data/tokenizer_store.h"
#include "tokenizers/tokenizer_registry.h"

namespace attnlab {

struct MonolingualTextOptions {
  /// One segment per line.
  TORCH_ARG(SplitFiles, files) = {};
  TORCH_ARG(json, tokenizer) = json{{"type", "sentencepiece"}, {"vocab_size", 8000}};
  /// Tokens per sequence, [CLS] and [SEP] included.
  TORCH_ARG(int64_t, max_length) = 128;
  /// Two segments per sequence, [SEP]-separated, with segment ids 0 and 1.
  TORCH_ARG(bool, segment_pairs) = false;
};

template <class Fields>
void visit_fields(Fields& f, MonolingualTextOptions& o) {
  visit_split_files(f, o.files());
  f.nested("tokenizer", o.tokenizer(), tokenizer_registry());
  f("max_length", o.max_length(), at_least(5));
  f("segment_pairs", o.segment_pairs());
}

/// One packed sequence.
struct TextSequence {
  std::vector<int64_t> ids;         // [CLS] … [SEP] (… [SEP])
  std::vector<int64_t> segments;    // 0 … (1 …), one per id
  std::vector<uint8_t> word_start;  // 1 where a piece starts a word (special tokens: 1)
};

struct MonolingualData : Dataset {
  std::map<std::string, std::vector<TextSequence>> splits;
  int64_t max_length = 0;
  const std::vector<TextSequence>& split(const std::string& name) const;
  std::vector<std::string> split_names() const override;
};

struct TextSequenceBatch {
  torch::Tensor ids;         // [B, T], kPad after each sequence
  torch::Tensor segments;    // [B, T], 0 on padding
  torch::Tensor word_start;  // [B, T] bool
};

TextSequenceBatch make_text_sequence_batch(const std::vector<TextSequence>& sequences,
                                           const std::vector<int64_t>& indices);

/// Packs lines (each given as its ids and, per piece, its word index as
/// Tokenizer::word_of_piece says) into sequences of at most max_length tokens.
std::vector<TextSequence> pack_lines(const std::vector<std::vector<int64_t>>& line_ids,
                                     const std::vector<std::vector<int64_t>>& line_words, int64_t max_length,
                                     bool segment_pairs);

/// Reads and tokenizes; throws DataFileError (file:line) on bad files.
std::shared_ptr<MonolingualData> make_monolingual_text_data(const MonolingualTextOptions& options,
                                                            const DataContext& context);

}  // namespace attnlab
