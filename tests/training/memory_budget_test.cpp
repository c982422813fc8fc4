#include "training/memory_budget.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace attnlab {
namespace {

constexpr int64_t kMiB = 1 << 20;

TEST(MemoryBudget, CountsTheTensorsAliveAndRefusesTheOneOverTheBudgetBeforeMakingIt) {
  AllocationBudget budget(3 * kMiB);
  auto a = torch::empty({kMiB / 4}, torch::kFloat);  // 1 MiB
  auto b = torch::empty({kMiB / 8}, torch::kDouble);  // 1 MiB
  EXPECT_EQ(budget.live_bytes(), 2 * kMiB);
  try {
    torch::empty({2 * kMiB}, torch::kByte);
    FAIL() << "a tensor over the budget was made";
  } catch (const AllocationOverBudget& e) {
    EXPECT_EQ(e.needed_bytes(), 4 * kMiB);
    EXPECT_STREQ(e.what(), "a tensor of 2.0 MiB would bring the tensors alive to 4.0 MiB, over the budget of 3.0 MiB");
  }
  EXPECT_EQ(budget.live_bytes(), 2 * kMiB);  // the refused tensor was never counted
  a.reset();
  EXPECT_EQ(budget.live_bytes(), kMiB);
  auto c = torch::empty({2 * kMiB}, torch::kByte);  // fits now that a is gone
  EXPECT_EQ(budget.live_bytes(), 3 * kMiB);
}

TEST(MemoryBudget, TensorsOutliveTheirBudgetAndLaterOnesAreNotCounted) {
  torch::Tensor kept;
  {
    AllocationBudget budget(kMiB);
    kept = torch::ones({1000});
    EXPECT_EQ(budget.live_bytes(), 4000);
  }
  auto big = torch::zeros({4 * kMiB}, torch::kByte);  // no budget any more
  EXPECT_EQ(big.numel(), 4 * kMiB);
  EXPECT_EQ(kept.sum().item<float>(), 1000.0f);
  kept.reset();  // freed through the counting allocator after its budget ended
  AllocationBudget next(kMiB);
  EXPECT_EQ(next.live_bytes(), 0);
}

TEST(MemoryBudget, BytesReadAsPeopleWriteThem) {
  EXPECT_EQ(format_bytes(7), "7 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(320.0 * kMiB), "320 MiB");
  EXPECT_EQ(format_bytes(211e12), "192 TiB");
  EXPECT_GT(available_memory_bytes(), 0);  // Linux says
}

}  // namespace
}  // namespace attnlab
