#include <gtest/gtest.h>

#include "core/special_tokens.h"
#include "data/batching.h"
#include "data/seq2seq_data.h"

namespace attnlab {
namespace {

/// A Long tensor of ids (enumerators and literals mixed).
torch::Tensor ids(std::vector<int64_t> values) { return torch::tensor(values); }

TEST(Seq2SeqBatch, PadsAndAddsBosEosAndAlignments) {
  std::vector<Seq2SeqExample> examples = {
      {{10, 11, 12}, {12, 11, 10}, {2, 1, 0}},
      {{20}, {20}, {0}},
  };
  auto batch = make_batch(examples, {1, 0});
  const int64_t P = kPad, B = kBos, E = kEos;
  EXPECT_TRUE(torch::equal(batch.source, ids({20, P, P, 10, 11, 12}).view({2, 3})));
  EXPECT_TRUE(torch::equal(batch.source_lengths, ids({1, 3})));
  EXPECT_TRUE(torch::equal(batch.target_in, ids({B, 20, P, P, B, 12, 11, 10}).view({2, 4})));
  EXPECT_TRUE(torch::equal(batch.target_out, ids({20, E, P, P, 12, 11, 10, E}).view({2, 4})));
  EXPECT_TRUE(torch::equal(batch.target_lengths, ids({2, 4})));
  EXPECT_TRUE(torch::equal(batch.alignment, ids({0, -1, -1, -1, 2, 1, 0, -1}).view({2, 4})));
  EXPECT_EQ(batch.target_tokens(), 6);
}

TEST(Seq2SeqBatch, ChunkKeepsOrderAndTheLastPartialBatch) {
  auto batches = chunk({4, 2, 0, 1, 3}, 2);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(batches[2], (std::vector<int64_t>{3}));
}

}  // namespace
}  // namespace attnlab
