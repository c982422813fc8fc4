// What the ranks of a data-parallel run share out and agree on (training/collective.h); the
// ranks themselves are tested through the binary (tests/tools/data_parallel_cli_test.cpp).
#include <gtest/gtest.h>

#include "training/collective.h"

namespace attnlab {
namespace {

TEST(Collective, SharesCoverTheBatchInOrderAndDifferByAtMostOne) {
  for (int64_t world = 1; world <= 5; ++world) {
    for (int64_t size = 0; size <= 12; ++size) {
      int64_t next = 0, smallest = size, largest = 0;
      for (int64_t rank = 0; rank < world; ++rank) {
        const auto [begin, end] = share_of(size, rank, world);
        EXPECT_EQ(begin, next) << size << " rows, rank " << rank << " of " << world;
        EXPECT_LE(begin, end);
        smallest = std::min(smallest, end - begin);
        largest = std::max(largest, end - begin);
        next = end;
      }
      EXPECT_EQ(next, size) << size << " rows over " << world;
      EXPECT_LE(largest - smallest, 1);
    }
  }
  using Rows = std::pair<int64_t, int64_t>;
  EXPECT_EQ(share_of(10, 0, 3), Rows(0, 4));
  EXPECT_EQ(share_of(10, 1, 3), Rows(4, 7));
  EXPECT_EQ(share_of(10, 2, 3), Rows(7, 10));
  EXPECT_EQ(share_of(1, 1, 2), Rows(1, 1));  // a rank may get nothing
}

TEST(Collective, OneProcessKeepsItsOwnValues) {
  SingleProcess alone;
  EXPECT_EQ(alone.rank(), 0);
  EXPECT_EQ(alone.world_size(), 1);
  EXPECT_TRUE(alone.is_main());
  EXPECT_TRUE(any_rank(alone, true));
  EXPECT_FALSE(any_rank(alone, false));
  EXPECT_EQ(broadcast_bytes(alone, std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(broadcast_values(alone, {1.5, -2}), (std::vector<double>{1.5, -2}));
}

}  // namespace
}  // namespace attnlab
