// Dynamic masking over many draws: the rate, the 80/10/10 split, no special token or padding
// selected, whole words kept whole, the same seed giving the same masks; sequences packed from
// lines as worked out by hand.

#include <gtest/gtest.h>

#include "core/special_tokens.h"
#include "data/masking.h"
#include "data/monolingual_text.h"
#include "tests/test_support.h"
#include "tokenizers/tokenizer_registry.h"

namespace attnlab {
namespace {

constexpr int64_t kVocab = 1000;

/// [B, T] rows of [CLS] real tokens [SEP] then padding, of varied lengths.
torch::Tensor sequences(int64_t rows, int64_t steps) {
  auto generator = masking_generator(99);
  auto ids = torch::randint(kNumSpecialTokens, kVocab, {rows, steps}, generator, torch::kLong);
  auto lengths = torch::randint(3, steps + 1, {rows}, generator, torch::kLong);
  auto position = torch::arange(steps).unsqueeze(0);  // [1, T]
  ids = ids.masked_fill(position.ge(lengths.unsqueeze(1)), kPad);
  ids.select(1, 0).fill_(kCls);
  ids.scatter_(1, (lengths - 1).unsqueeze(1), kSep);
  ids.select(1, 2).masked_fill_(lengths.gt(4), kUnk);  // an [UNK] inside some rows
  return ids;
}

TEST(Masking, SelectsTheRateOfRealTokensAndSplits80_10_10) {
  const auto ids = sequences(500, 40);
  const auto real = ids.ge(kNumSpecialTokens);
  const auto no_words = torch::zeros_like(ids, torch::kBool);
  double real_count = 0, selected = 0, masked = 0, replaced = 0, kept = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto out = mask_tokens(ids, no_words, kVocab, MaskingOptions(), masking_generator(seed));
    ASSERT_EQ(out.input.sizes(), ids.sizes());
    ASSERT_EQ(out.targets.size(0), out.selected.sum().item<int64_t>());
    EXPECT_FALSE((out.selected & ~real).any().item<bool>()) << "a special token or padding was selected";
    EXPECT_TRUE(torch::equal(out.input.masked_select(~out.selected), ids.masked_select(~out.selected)));
    EXPECT_TRUE(torch::equal(out.targets, ids.masked_select(out.selected)));
    const auto in = out.input.masked_select(out.selected);
    EXPECT_TRUE(in.ge(kNumSpecialTokens).logical_or(in.eq(kMask)).all().item<bool>()) << "a random special token";
    real_count += real.sum().item<double>();
    selected += out.selected.sum().item<double>();
    masked += in.eq(kMask).sum().item<double>();
    kept += in.eq(out.targets).sum().item<double>();
    replaced += (in.ne(kMask) & in.ne(out.targets)).sum().item<double>();
  }
  ASSERT_GT(real_count, 100000);
  // ~54k selected of ~360k: the standard error of each share is below 0.002.
  EXPECT_NEAR(selected / real_count, 0.15, 0.005);
  EXPECT_NEAR(masked / selected, 0.8, 0.01);
  EXPECT_NEAR(replaced / selected, 0.1 * (1 - 1.0 / (kVocab - kNumSpecialTokens)), 0.01);
  EXPECT_NEAR(kept / selected, 0.1, 0.01);
}

TEST(Masking, TheSameSeedDrawsTheSameMasksAndAnotherSeedOthers) {
  const auto ids = sequences(50, 30);
  const auto no_words = torch::zeros_like(ids, torch::kBool);
  auto a = mask_tokens(ids, no_words, kVocab, MaskingOptions(), masking_generator(7));
  auto b = mask_tokens(ids, no_words, kVocab, MaskingOptions(), masking_generator(7));
  auto c = mask_tokens(ids, no_words, kVocab, MaskingOptions(), masking_generator(8));
  EXPECT_TRUE(torch::equal(a.input, b.input));
  EXPECT_TRUE(torch::equal(a.selected, b.selected));
  EXPECT_FALSE(torch::equal(a.selected, c.selected));
}

TEST(Masking, WholeWordsAreSelectedWhole) {
  // Words of 1 to 3 pieces: a piece starts a word unless it continues the one before.
  const auto ids = sequences(400, 40);
  auto generator = masking_generator(5);
  auto word_start = torch::rand(ids.sizes(), generator).lt(0.5);  // [B, T]
  word_start.select(1, 1).fill_(true);
  auto options = MaskingOptions().whole_word(true);
  double words = 0, selected_words = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto out = mask_tokens(ids, word_start, kVocab, options, masking_generator(seed));
    auto id = ids.accessor<int64_t, 2>();
    auto start = word_start.accessor<bool, 2>();
    auto selected = out.selected.accessor<bool, 2>();
    for (int64_t b = 0; b < ids.size(0); ++b) {
      for (int64_t t = 0; t < ids.size(1); ++t) {
        if (id[b][t] < kNumSpecialTokens) {
          EXPECT_FALSE(selected[b][t]);
          continue;
        }
        if (start[b][t]) {
          ++words;
          selected_words += selected[b][t];
        } else if (id[b][t - 1] >= kNumSpecialTokens) {
          ASSERT_EQ(selected[b][t], selected[b][t - 1]) << "row " << b << " piece " << t << " left its word";
        }
      }
    }
  }
  ASSERT_GT(words, 30000);  // standard error of the share < 0.002
  EXPECT_NEAR(selected_words / words, 0.15, 0.01);
}

TEST(Masking, NoRealTokenMeansNothingSelected) {
  auto ids = torch::tensor({{kCls, kSep, kPad}}, torch::kLong);
  auto out = mask_tokens(ids, torch::ones_like(ids, torch::kBool), kVocab, MaskingOptions().mask_rate(1.0),
                         masking_generator(1));
  EXPECT_EQ(out.targets.size(0), 0);
  EXPECT_TRUE(torch::equal(out.input, ids));
}

TEST(PackLines, ConsecutiveLinesFillSequencesAndLongLinesAreCut) {
  // max_length 7: 5 pieces between [CLS] and [SEP].
  const std::vector<std::vector<int64_t>> ids = {{10, 11}, {12, 13, 14}, {15}, {16, 17, 18, 19, 20, 21, 22}, {23}};
  const std::vector<std::vector<int64_t>> words = {{0, 0}, {0, 1, 1}, {0}, {0, 1, 2, 3, 4, 5, 6}, {0}};
  const auto packed = pack_lines(ids, words, 7, false);
  ASSERT_EQ(packed.size(), 5u);
  EXPECT_EQ(packed[0].ids, (std::vector<int64_t>{kCls, 10, 11, 12, 13, 14, kSep}));
  EXPECT_EQ(packed[0].word_start, (std::vector<uint8_t>{1, 1, 0, 1, 1, 0, 1}));
  EXPECT_EQ(packed[1].ids, (std::vector<int64_t>{kCls, 15, kSep}));  // the next line is too long to join
  EXPECT_EQ(packed[2].ids, (std::vector<int64_t>{kCls, 16, 17, 18, 19, 20, kSep}));
  EXPECT_EQ(packed[3].ids, (std::vector<int64_t>{kCls, 21, 22, kSep}));  // its rest: a sequence of its own
  EXPECT_EQ(packed[4].ids, (std::vector<int64_t>{kCls, 23, kSep}));
  for (const auto& s : packed) EXPECT_EQ(s.segments, std::vector<int64_t>(s.ids.size(), 0));

  // Pairs (max_length 9: 6 pieces): lines split at the boundary nearest the middle.
  const auto pairs = pack_lines({{10, 11}, {12}, {13, 14, 15}}, {{0, 1}, {0}, {0, 1, 2}}, 9, true);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].ids, (std::vector<int64_t>{kCls, 10, 11, 12, kSep, 13, 14, 15, kSep}));
  EXPECT_EQ(pairs[0].segments, (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(MonolingualText, ReadsSplitsTrainsTheTokenizerOnTrainAndBatchesWithPadding) {
  test_util::TempDir dir;
  test_util::write_text(dir.file("train.txt"), "the cat sat\n\nthe dog sat on the mat\n");
  test_util::write_text(dir.file("valid.txt"), "the cat\n");
  test_util::write_text(dir.file("test.txt"), "a dog\n");
  MonolingualTextOptions options;
  options.files({dir.file("train.txt"), dir.file("valid.txt"), dir.file("test.txt")})
      .tokenizer(tokenizer_registry().resolve("word", ""))
      .max_length(6);
  auto data = make_monolingual_text_data(options, {});
  // Vocabulary: the special tokens and the 6 training words ("a" is unknown).
  EXPECT_EQ(data->tokenizer->vocab_size(), kNumSpecialTokens + 6);
  const auto& train = data->split("train");
  ASSERT_EQ(train.size(), 3u);  // "the cat sat" | "the dog sat on" (cut) | "the mat"
  EXPECT_EQ(train[0].ids.size(), 5u);
  EXPECT_EQ(train[1].ids.size(), 6u);
  EXPECT_EQ(data->split("test")[0].ids, (std::vector<int64_t>{kCls, kUnk, data->tokenizer->piece_id("dog"), kSep}));
  auto batch = make_text_sequence_batch(train, {0, 2});
  ASSERT_EQ(batch.ids.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(batch.ids[1][4].item<int64_t>(), kPad);
  EXPECT_EQ(batch.ids[1][3].item<int64_t>(), kSep);
}

}  // namespace
}  // namespace attnlab
