// parallel_text and labelled_text: what they read, filter and store, and their file:line errors.

#include <gtest/gtest.h>

#include <filesystem>

#include "data/data_registry.h"
#include "data/document_data.h"
#include "data/seq2seq_data.h"
#include "data/text_files.h"
#include "tests/test_support.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::TempDir;
using test_util::write_text;

std::shared_ptr<Dataset> make_data(const json& spec, const DataContext& context = {}) {
  return data_registry().create(data_registry().resolve(spec, "/data"), context);
}

json parallel_spec(const TempDir& dir) {
  return {{"type", "parallel_text"}, {"train", dir.file("train.tsv")}, {"valid", dir.file("valid.tsv")},
          {"test", dir.file("test.tsv")}, {"test_alignments", dir.file("test.align")},
          {"tokenizer", "word"}, {"max_length", 4}};
}

TEST(ParallelText, ReadsFiltersAndKeepsTextsWordsAndGoldLinks) {
  TempDir dir;
  write_text(dir.file("train.tsv"), "uno dos\tone two\nuno dos tres cuatro cinco\tone two three four five\n");
  write_text(dir.file("valid.tsv"), "dos\ttwo\n");
  write_text(dir.file("test.tsv"), "uno, dos\tone, two\n");
  write_text(dir.file("test.align"), "0-0 1-1\n");
  TempDir store;
  const DataContext context{(store.path() / "run" / "tokenizer").string(), (store.path() / "cache").string()};
  auto data = std::dynamic_pointer_cast<Seq2SeqData>(make_data(parallel_spec(dir), context));
  ASSERT_TRUE(data);
  EXPECT_TRUE(data->has_text);
  EXPECT_EQ(data->split("train").size(), 1u);  // the 5-word pair is over max_length 4
  const auto& test = data->split("test").at(0);
  EXPECT_EQ(test.target_text, "one, two");
  EXPECT_EQ(test.source_word_of_piece, (std::vector<int64_t>{0, 0, 1}));  // "uno" "##," "dos"
  ASSERT_TRUE(test.word_alignment.has_value());
  EXPECT_EQ(*test.word_alignment, (WordAlignment{{0, 0}, {1, 1}}));
  EXPECT_FALSE(data->split("valid").at(0).word_alignment.has_value());
  // The tokenizer went to the run and to the shared cache.
  EXPECT_TRUE(fs::exists(store.path() / "run" / "tokenizer" / "tokenizer.json"));
  EXPECT_FALSE(fs::is_empty(store.path() / "cache"));
}

TEST(ParallelText, AlignmentsPastThePairsWordsAreRejectedWithTheirLine) {
  TempDir dir;
  write_text(dir.file("train.tsv"), "uno dos\tone two\n");
  write_text(dir.file("valid.tsv"), "dos\ttwo\n");
  write_text(dir.file("test.tsv"), "uno\tone\nuno dos\tone two\n");
  write_text(dir.file("test.align"), "0-0\n1-2\n");  // 1-based output by mistake: target word 2 of 2
  try {
    make_data(parallel_spec(dir));
    FAIL() << "accepted a link past the words";
  } catch (const DataFileError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("test.align") +
                                         ":2: link 1-2 is past the pair's words (2 source, 2 target; indices start at 0)");
  }
}

TEST(ParallelText, AnEvaluationSourceWithoutPiecesIsRejectedWithItsLine) {
  TempDir dir;
  write_text(dir.file("train.tsv"), "uno dos\tone two\n");
  write_text(dir.file("valid.tsv"), "dos\ttwo\n\u00a0\tnothing\n");  // a no-break space: text, but no word
  write_text(dir.file("test.tsv"), "uno\tone\n");
  write_text(dir.file("test.align"), "0-0\n");
  try {
    make_data(parallel_spec(dir));
    FAIL() << "accepted a source the encoder would get no piece of";
  } catch (const DataFileError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("valid.tsv") + ":2: the source has no pieces (the tokenizer keeps nothing of it)");
  }
}

TEST(LabelledText, ClassesComeFromTheTrainingFileAndUnknownLabelsNameTheirLine) {
  TempDir dir;
  write_text(dir.file("train.tsv"), "zippy\tYow! ||| Are we having fun yet?\nlinux\tRTFM\nlinux\tuse the source\n");
  write_text(dir.file("valid.tsv"), "zippy\tYow!\n");
  write_text(dir.file("test.tsv"), "linux\tRTFM ||| now\n");
  const json spec = {{"type", "labelled_text"}, {"train", dir.file("train.tsv")}, {"valid", dir.file("valid.tsv")},
                     {"test", dir.file("test.tsv")}, {"tokenizer", {{"type", "word"}, {"min_count", 1}}}};
  auto data = std::dynamic_pointer_cast<DocumentData>(make_data(spec));
  ASSERT_TRUE(data);
  EXPECT_EQ(data->labels, (std::vector<std::string>{"linux", "zippy"}));
  const auto& first = data->split("train").at(0);
  EXPECT_EQ(first.label, 1);
  ASSERT_EQ(first.sentences.size(), 2u);
  EXPECT_EQ(first.sentences[0].size(), 2u);  // "Yow" "##!"
  write_text(dir.file("test.tsv"), "linux\tRTFM\nperl\tTMTOWTDI\n");
  try {
    make_data(spec);
    FAIL() << "accepted a label the training file lacks";
  } catch (const DataFileError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.file("test.tsv") + ":2: label \"perl\" is not in the training file " + dir.file("train.tsv"));
  }
}

}  // namespace
}  // namespace attnlab
