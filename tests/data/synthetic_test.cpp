#include <gtest/gtest.h>

#include <set>

#include "core/special_tokens.h"
#include "data/data_registry.h"
#include "data/synthetic.h"

namespace attnlab {
namespace {

TEST(Synthetic, CopyReverseSortTargetsAndGoldAlignments) {
  const std::vector<int64_t> source = {9, 7, 8, 7};
  auto copy = make_synthetic_example(SyntheticKind::kCopy, source);
  EXPECT_EQ(copy.target, source);
  EXPECT_EQ(copy.alignment, (std::vector<int64_t>{0, 1, 2, 3}));

  auto reverse = make_synthetic_example(SyntheticKind::kReverse, source);
  EXPECT_EQ(reverse.target, (std::vector<int64_t>{7, 8, 7, 9}));
  EXPECT_EQ(reverse.alignment, (std::vector<int64_t>{3, 2, 1, 0}));

  auto sort = make_synthetic_example(SyntheticKind::kSort, source);
  EXPECT_EQ(sort.target, (std::vector<int64_t>{7, 7, 8, 9}));
  EXPECT_EQ(sort.alignment, (std::vector<int64_t>{1, 3, 2, 0}));  // stable: the first 7 first
}

TEST(Synthetic, EveryTargetTokenComesFromItsGoldSourcePosition) {
  for (auto kind : {SyntheticKind::kCopy, SyntheticKind::kReverse, SyntheticKind::kSort}) {
    auto data = make_synthetic_data(kind, SyntheticOptions().train_size(200).valid_size(20).test_size(20));
    for (const auto& [split, examples] : data->splits) {
      ASSERT_FALSE(examples.empty()) << split;
      for (const auto& ex : examples) {
        ASSERT_EQ(ex.target.size(), ex.source.size());
        ASSERT_EQ(ex.alignment.size(), ex.target.size());
        for (size_t j = 0; j < ex.target.size(); ++j) EXPECT_EQ(ex.target[j], ex.source[ex.alignment[j]]);
      }
    }
  }
}

TEST(Synthetic, SplitsHaveTheirSizesLengthsAndSymbols) {
  auto options = SyntheticOptions().symbols(5).train_lengths({3, 6}).test_lengths({10, 12}).train_size(300)
                     .valid_size(40).test_size(50);
  auto data = make_synthetic_data(SyntheticKind::kReverse, options);
  EXPECT_EQ(data->split("train").size(), 300u);
  EXPECT_EQ(data->split("valid").size(), 40u);
  EXPECT_EQ(data->split("test").size(), 50u);
  for (const auto& ex : data->split("test")) {
    EXPECT_GE(ex.source.size(), 10u);
    EXPECT_LE(ex.source.size(), 12u);
  }
  for (const auto& ex : data->split("train")) {
    EXPECT_GE(ex.source.size(), 3u);
    EXPECT_LE(ex.source.size(), 6u);
    for (int64_t id : ex.source) {
      EXPECT_GE(id, kNumSpecialTokens);
      EXPECT_LT(id, kNumSpecialTokens + 5);
    }
  }
  EXPECT_EQ(data->tokenizer->vocab_size(), kNumSpecialTokens + 5);
}

TEST(Synthetic, NoValidOrTestSourceIsInTrain) {
  auto data = make_synthetic_data(SyntheticKind::kCopy,
                                  SyntheticOptions().symbols(3).train_lengths({2, 4}).test_lengths({2, 4})
                                      .train_size(60).valid_size(20).test_size(20));
  std::set<std::vector<int64_t>> train;
  ASSERT_EQ(data->split("train").size(), 60u);
  for (const auto& ex : data->split("train")) train.insert(ex.source);
  for (const char* split : {"valid", "test"}) {
    ASSERT_EQ(data->split(split).size(), 20u) << split;
    for (const auto& ex : data->split(split)) EXPECT_EQ(train.count(ex.source), 0u) << split;
  }
}

TEST(Synthetic, SameSeedSameDataOtherSeedOtherData) {
  auto options = SyntheticOptions().train_size(50).valid_size(5).test_size(5);
  auto a = make_synthetic_data(SyntheticKind::kSort, options);
  auto b = make_synthetic_data(SyntheticKind::kSort, options);
  auto c = make_synthetic_data(SyntheticKind::kSort, SyntheticOptions(options).seed(2));
  EXPECT_EQ(a->split("train")[7].source, b->split("train")[7].source);
  EXPECT_NE(a->split("train")[7].source, c->split("train")[7].source);
}

TEST(Synthetic, ConfigAskingForTooManyDistinctSequencesNamesTheField) {
  try {
    data_registry().resolve(json::parse(R"({"type": "copy", "symbols": 2, "train_lengths": [1, 2],
                                                    "train_size": 100})"), "/data");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.pointer(), "/data/train_size");
    EXPECT_NE(e.message().find("at most half of the 6 distinct sequences"), std::string::npos) << e.message();
  }
  EXPECT_THROW(data_registry().resolve(json::parse(R"({"type": "copy", "test_lengths": [1, 1]})"), "/data"),
               ConfigError);
}

TEST(Synthetic, AskingForMoreDistinctSequencesThanExistFails) {
  auto options = SyntheticOptions().symbols(2).train_lengths({1, 2}).train_size(100);
  EXPECT_THROW(make_synthetic_data(SyntheticKind::kCopy, options), c10::Error);
}

}  // namespace
}  // namespace attnlab
