#include <gtest/gtest.h>

#include <algorithm>

#include "data/batching.h"

namespace attnlab {
namespace {

TEST(TokenBudgetBatches, GroupsSimilarLengthsWithinTheBudget) {
  // Lengths 1..20 in a shuffled order; budget 20 padded tokens; one window of everything.
  std::vector<int64_t> lengths(20), order = {7, 3, 19, 0, 12, 5, 16, 9, 1, 14, 18, 2, 10, 6, 13, 4, 17, 8, 11, 15};
  for (int64_t i = 0; i < 20; ++i) lengths[i] = i + 1;
  const auto batches = token_budget_batches(order, lengths, 20, 20);
  std::vector<int64_t> seen;
  for (const auto& batch : batches) {
    int64_t longest = 0;
    for (int64_t i : batch) longest = std::max(longest, lengths[i]);
    EXPECT_LE(longest * static_cast<int64_t>(batch.size()), 20) << "a batch over the budget";
    seen.insert(seen.end(), batch.begin(), batch.end());
  }
  std::sort(seen.begin(), seen.end());
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(seen[i], i);  // every example exactly once
  // Sorted within the window and cut greedily: {1..4} (4 × 4 = 16; a fifth makes 25), {5..6}, ...
  EXPECT_EQ(batches.front(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(batches[1], (std::vector<int64_t>{4, 5}));  // lengths 5, 6: a third (7) makes 3 × 7 = 21
}

TEST(TokenBudgetBatches, AnOverlongExampleIsABatchOfItsOwnAndWindowsKeepTheOrder) {
  const std::vector<int64_t> lengths = {50, 2, 2, 3, 3};
  const auto batches = token_budget_batches({0, 1, 2, 3, 4}, lengths, 10, 10);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<int64_t>{1, 2, 3}));  // 3 × 3 = 9; a fourth makes 12
  EXPECT_EQ(batches[1], (std::vector<int64_t>{4}));        // with the 50 it would be 100
  EXPECT_EQ(batches[2], (std::vector<int64_t>{0}));
  // Windows of 2: {4, 3} then {2, 1} then {0}: sorting never crosses a window.
  const auto windowed = token_budget_batches({4, 3, 2, 1, 0}, lengths, 100, 2);
  ASSERT_EQ(windowed.size(), 3u);
  EXPECT_EQ(windowed[2], (std::vector<int64_t>{0}));
}

}  // namespace
}  // namespace attnlab
