// Alignment error rate and attention-to-word alignments, worked by hand.

#include <gtest/gtest.h>

#include "training/alignment_error_rate.h"

namespace attnlab {
namespace {

TEST(AlignmentErrorRate, PharaohFormatRoundTripsAndRejectsBadLinks) {
  const auto links = parse_pharaoh("2-1 0-0  1-1");
  EXPECT_EQ(links, (WordAlignment{{0, 0}, {1, 1}, {2, 1}}));
  EXPECT_EQ(to_pharaoh(links), "0-0 1-1 2-1");
  EXPECT_TRUE(parse_pharaoh("").empty());
  for (const char* bad : {"0-", "-1", "a-1", "1_2", "1-2-3", "1--2"})
    EXPECT_THROW(parse_pharaoh(bad), std::invalid_argument) << bad;
}

TEST(AlignmentErrorRate, OneMinusTwiceTheMatchesOverBothSizes) {
  AlignmentErrorCounts counts;
  counts.add({{0, 0}, {1, 1}, {2, 1}}, {{0, 0}, {1, 1}, {2, 2}});  // 2 of 3 right
  EXPECT_NEAR(counts.rate(), 1.0 - 4.0 / 6.0, 1e-12);
  counts.add({{0, 0}}, {});  // a wrong link where gold has none
  EXPECT_NEAR(counts.rate(), 1.0 - 4.0 / 7.0, 1e-12);
  EXPECT_EQ(AlignmentErrorCounts{}.rate(), 0.0);
}

TEST(AlignmentErrorRate, SubwordAttentionIsSummedToWordsBeforeTheArgmax) {
  // Source pieces: word 0 = pieces 0, 1; word 1 = piece 2; piece 3 is EOS.
  // Target pieces: word 0 = piece 0; word 1 = pieces 1, 2; piece 3 is EOS.
  const auto weights = torch::tensor({{0.3, 0.3, 0.4, 0.0},    // word 0: 0.6 on source word 0 (piece 2 alone is 0.4)
                                      {0.0, 0.0, 0.5, 0.5},    // word 1, with the next row:
                                      {0.4, 0.4, 0.1, 0.1},    //   0.8 on source word 0 against 0.6
                                      {0.0, 0.0, 0.0, 1.0}});  // EOS row: ignored
  const auto links = alignment_from_attention(weights, {0, 0, 1, -1}, {0, 1, 1, -1});
  EXPECT_EQ(links, (WordAlignment{{0, 0}, {0, 1}}));
}

TEST(AlignmentErrorRate, DiagonalBaseline) {
  EXPECT_EQ(diagonal_alignment(3, 2), (WordAlignment{{0, 0}, {2, 1}}));
  EXPECT_EQ(diagonal_alignment(2, 4), (WordAlignment{{0, 0}, {0, 1}, {1, 2}, {1, 3}}));
  EXPECT_TRUE(diagonal_alignment(0, 3).empty());
}

}  // namespace
}  // namespace attnlab
