// Documents: the key-sentence task's construction and whole-tensor batches.

#include <gtest/gtest.h>

#include <algorithm>

#include "core/special_tokens.h"
#include "data/data_registry.h"
#include "data/key_sentence.h"

namespace attnlab {
namespace {

TEST(KeySentence, TheLabelIsTheMarkerOfTheOneSentenceWithTheKey) {
  auto data = make_key_sentence_data(KeySentenceOptions().classes(3).fillers(5).train_size(200).valid_size(10).test_size(10));
  ASSERT_EQ(data->labels.size(), 3u);
  const int64_t key = kNumSpecialTokens + 3;
  auto is_marker = [](int64_t id) { return id >= kNumSpecialTokens && id < kNumSpecialTokens + 3; };
  ASSERT_EQ(data->split("train").size(), 200u);
  std::vector<int64_t> per_class(3, 0);
  for (const auto& d : data->split("train")) {
    ASSERT_GE(d.sentences.size(), 3u);
    ASSERT_LE(d.sentences.size(), 8u);
    int64_t keys = 0;
    for (size_t s = 0; s < d.sentences.size(); ++s) {
      const auto& words = d.sentences[s];
      EXPECT_EQ(std::count_if(words.begin(), words.end(), is_marker), 1);  // one marker per sentence
      const auto k = std::count(words.begin(), words.end(), key);
      keys += k;
      if (k == 1) {
        EXPECT_EQ(static_cast<int64_t>(s), d.key_sentence);
        EXPECT_EQ(*std::find_if(words.begin(), words.end(), is_marker), kNumSpecialTokens + d.label);
      }
    }
    EXPECT_EQ(keys, 1);
    per_class[d.label] += 1;
  }
  for (int64_t n : per_class) EXPECT_GT(n, 40);  // about 200 / 3 each
}

TEST(KeySentence, ComesFromTheDataRegistryAndChecksItsRanges) {
  auto spec = data_registry().resolve(json{{"type", "key_sentence"}, {"train_size", 10}}, "/data");
  auto data = std::dynamic_pointer_cast<DocumentData>(data_registry().create(spec, DataContext{}));
  ASSERT_TRUE(data);
  EXPECT_EQ(data->split("train").size(), 10u);
  try {
    data_registry().resolve(json{{"type", "key_sentence"}, {"sentences", {5, 2}}}, "/data");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/data/sentences: must be [min, max] with min <= max");
  }
}

TEST(DocumentBatch, PadsWordsAndSentencesAndFlattensInOrder) {
  std::vector<Document> docs(2);
  docs[0].sentences = {{10, 11, 12}, {13}};
  docs[0].label = 1;
  docs[0].key_sentence = 0;
  docs[1].sentences = {{20}, {21, 22}, {23}};
  docs[1].label = 0;
  auto batch = make_document_batch(docs, {0, 1});
  ASSERT_EQ(batch.words.sizes(), (std::vector<int64_t>{2, 3, 3}));
  EXPECT_TRUE(batch.words[0][1].equal(torch::tensor({int64_t{13}, int64_t{kPad}, int64_t{kPad}})));
  EXPECT_TRUE(batch.words[0][2].eq(kPad).all().item<bool>());
  EXPECT_TRUE(batch.sentence_lengths.equal(torch::tensor({3, 1, 0, 1, 2, 1}, torch::kLong).view({2, 3})));
  EXPECT_TRUE(batch.sentence_counts.equal(torch::tensor({2, 3}, torch::kLong)));
  ASSERT_EQ(batch.flat_words.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_TRUE(batch.flat_words[0].equal(torch::tensor({10, 11, 12, 13}, torch::kLong)));
  EXPECT_TRUE(batch.flat_words[1].equal(torch::tensor({20, 21, 22, 23}, torch::kLong)));
  EXPECT_TRUE(batch.flat_lengths.equal(torch::tensor({4, 4}, torch::kLong)));
  EXPECT_TRUE(batch.labels.equal(torch::tensor({1, 0}, torch::kLong)));
  EXPECT_TRUE(batch.key_sentence.equal(torch::tensor({0, -1}, torch::kLong)));
}

}  // namespace
}  // namespace attnlab
