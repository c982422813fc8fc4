#include "data/parallel_text.h"

#include <algorithm>

#include "data/text_files.h"
#include "tokenizers/utf8.h"

namespace attnlab {

namespace {

/// A pair as an example: ids and the texts; for evaluation also each piece's word.
Seq2SeqExample make_example(const TextPair& pair, const Tokenizer& tokenizer, bool with_words) {
  Seq2SeqExample example;
  example.source = tokenizer.encode(pair.source);
  example.target = tokenizer.encode(pair.target);
  if (with_words) {
    example.source_word_of_piece = tokenizer.word_of_piece(pair.source);
    example.target_word_of_piece = tokenizer.word_of_piece(pair.target);
  }
  example.source_text = pair.source;
  example.target_text = pair.target;
  return example;
}

int64_t count_words(const std::string& text) {
  int64_t words = 0;
  bool in_word = false;
  for (char32_t c : utf8_to_code_points(text)) {
    const bool space = is_unicode_space(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

int64_t words_of_pieces(const std::vector<int64_t>& word_of_piece) {
  return word_of_piece.empty() ? 0 : *std::max_element(word_of_piece.begin(), word_of_piece.end()) + 1;
}

/// An evaluation split's pairs and, where given, their gold word alignments.
struct EvaluationFiles {
  std::string path;
  std::vector<TextPair> pairs;
  std::vector<WordAlignment> alignments;  // empty: none
  std::string alignments_path;
};

EvaluationFiles read_evaluation_files(const std::string& path, const std::string& alignments_path) {
  EvaluationFiles files{path, read_parallel_tsv(path), {}, alignments_path};
  if (alignments_path.empty()) return files;
  files.alignments = read_alignments(alignments_path, files.pairs.size());
  for (size_t i = 0; i < files.pairs.size(); ++i) {
    const int64_t S = count_words(files.pairs[i].source), T = count_words(files.pairs[i].target);
    for (const auto& [s, t] : files.alignments[i])
      if (s >= S || t >= T)
        throw DataFileError(alignments_path, i + 1,
                            "link " + std::to_string(s) + "-" + std::to_string(t) + " is past the pair's words (" +
                                std::to_string(S) + " source, " + std::to_string(T) +
                                " target; indices start at 0)");
  }
  return files;
}

std::vector<Seq2SeqExample> evaluation_split(const EvaluationFiles& files, const Tokenizer& tokenizer) {
  std::vector<Seq2SeqExample> examples;
  for (size_t i = 0; i < files.pairs.size(); ++i) {
    examples.push_back(make_example(files.pairs[i], tokenizer, true));
    if (examples.back().source.empty())  // an encoder cannot read nothing
      throw DataFileError(files.path, i + 1, "the source has no pieces (the tokenizer keeps nothing of it)");
    if (files.alignments.empty()) continue;
    // The tokenizer must see the words the alignment counts (its normaliser could merge or split some).
    const auto& ex = examples.back();
    if (words_of_pieces(ex.source_word_of_piece) != count_words(files.pairs[i].source) ||
        words_of_pieces(ex.target_word_of_piece) != count_words(files.pairs[i].target))
      throw DataFileError(files.alignments_path, i + 1,
                          "the tokenizer's words differ from the whitespace-separated words the alignment counts");
    examples.back().word_alignment = files.alignments[i];
  }
  return examples;
}

}  // namespace

std::shared_ptr<Seq2SeqData> make_parallel_text_data(const ParallelTextOptions& o, const DataContext& context) {
  // Every file is read (and checked) before a tokenizer is trained or stored.
  const auto train_pairs = read_parallel_tsv(o.files().train);
  const auto valid = read_evaluation_files(o.files().valid, o.valid_alignments());
  const auto test = read_evaluation_files(o.files().test, o.test_alignments());
  auto training_texts = [&] {
    std::vector<std::string> texts;
    texts.reserve(2 * train_pairs.size());
    for (const auto& pair : train_pairs) texts.push_back(pair.source), texts.push_back(pair.target);
    return texts;
  };
  auto data = std::make_shared<Seq2SeqData>();
  data->tokenizer =
      obtain_tokenizer(o.tokenizer(), tokenizer_key(write_options(o), {o.files().train}), training_texts, context);
  data->has_text = true;
  auto& train = data->splits["train"];
  for (const auto& pair : train_pairs) {
    auto example = make_example(pair, *data->tokenizer, false);
    const auto longest = static_cast<int64_t>(std::max(example.source.size(), example.target.size()));
    if (longest > o.max_length() || example.source.empty() || example.target.empty()) continue;
    train.push_back(std::move(example));
    if (o.max_train_pairs() > 0 && static_cast<int64_t>(train.size()) >= o.max_train_pairs()) break;
  }
  if (train.empty())
    throw DataFileError(o.files().train, 0, "no training pair has at most max_length = " + std::to_string(o.max_length()) +
                                          " pieces on both sides");
  data->splits["valid"] = evaluation_split(valid, *data->tokenizer);
  data->splits["test"] = evaluation_split(test, *data->tokenizer);
  return data;
}

}  // namespace attnlab
