// Counter-based dropout: Philox-4x32-10 against Random123's known-answer vectors; the drop rate,
// the 1/(1-p) scaling and the mean it preserves; independence between elements and between
// calls; reproducibility from the default generator's seed and independence of the thread
// count; the gradient (the forward's mask, regenerated); evaluation and the edge rates.

#include <gtest/gtest.h>

#include <cmath>

#include "modules/dropout.h"

namespace attnlab {
namespace {

TEST(Philox, MatchesRandom123KnownAnswers) {
  // Random123 tests/kat_vectors: philox4x32 10 <counter> <key> <expected>.
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}), (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

constexpr int64_t kElements = 1 << 20;

TEST(Dropout, ElementIIsDecidedByWordIOfThePhiloxStream) {
  // The kernel computes many blocks side by side; it must give the reference function's words.
  const uint64_t seed = 0x0123456789abcdefULL;
  const double p = 0.5;
  const int64_t n = 1000;  // not a whole number of chunks: the tail is decided the same way
  auto y = apply_dropout_mask(torch::ones({n}), p, seed);
  ASSERT_EQ(y.numel(), n);
  const std::array<uint32_t, 2> key{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  int64_t agree = 0;
  for (int64_t e = 0; e < n; ++e) {  // chunks of 128: element i of chunk c is word i / 32 of block 32 c + i % 32
    const int64_t chunk = e / 128, i = e % 128;
    const auto block = static_cast<uint32_t>(32 * chunk + i % 32);
    const bool keep = philox4x32_10({block, 0, 0, 0}, key)[i / 32] >= 2147483648u;  // p·2³²
    agree += keep == (y[e].item<float>() != 0);
  }
  EXPECT_EQ(agree, n);
}

TEST(Dropout, EveryKernelGivesTheReferenceWords) {
  const std::array<uint32_t, 2> key{0x89abcdef, 0x01234567};
  const uint64_t first = (uint64_t{1} << 32) - 7;  // the counter's high word changes inside the chunk
  const auto reference = philox_chunk_words("scalar", first, key);
  ASSERT_TRUE(reference.has_value());
  ASSERT_EQ(reference->size(), 128u);
  for (int64_t l = 0; l < 32; ++l) {
    const uint64_t block = first + l;
    const auto w = philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0}, key);
    for (int word = 0; word < 4; ++word) ASSERT_EQ((*reference)[word * 32 + l], w[word]) << "block " << l;
  }
  for (const char* kernel : {"avx512f", "avx2"}) {
    const auto words = philox_chunk_words(kernel, first, key);
    if (!words) continue;  // this processor cannot run it
    EXPECT_EQ(*words, *reference) << kernel;
  }
}

/// Dropped elements of dropout over ones: true where dropped.
torch::Tensor dropped(double p, uint64_t seed, int64_t n = kElements) {
  return apply_dropout_mask(torch::ones({n}), p, seed).eq(0);
}

TEST(Dropout, DropsAtTheRateAndScalesTheRestByOneOverKeep) {
  for (double p : {0.1, 0.5, 0.9}) {
    auto y = apply_dropout_mask(torch::ones({kElements}), p, 7);
    ASSERT_EQ(y.numel(), kElements);
    const double rate = y.eq(0).to(torch::kDouble).mean().item<double>();
    const double sd = std::sqrt(p * (1 - p) / kElements);  // binomial
    EXPECT_NEAR(rate, p, 5 * sd) << "p " << p;
    auto kept = y.masked_select(y.ne(0));
    ASSERT_GT(kept.numel(), 0);
    EXPECT_TRUE(kept.eq(static_cast<float>(1.0 / (1.0 - p))).all().item<bool>()) << "p " << p;
    EXPECT_NEAR(y.to(torch::kDouble).mean().item<double>(), 1.0, 5 * sd / (1 - p)) << "p " << p;  // E[y] = x
  }
}

TEST(Dropout, ElementsAndCallsAreIndependent) {
  const double p = 0.3, sd = std::sqrt(p * p * (1 - p * p) / kElements);
  auto a = dropped(p, 11), b = dropped(p, 12);
  ASSERT_EQ(a.numel(), kElements);
  // Neighbours (same Philox block and across blocks) and two calls: both dropped at rate p².
  auto pair_rate = [](const torch::Tensor& x, const torch::Tensor& y) {
    return (x & y).to(torch::kDouble).mean().item<double>();
  };
  EXPECT_NEAR(pair_rate(a.narrow(0, 0, kElements - 1), a.narrow(0, 1, kElements - 1)), p * p, 5 * sd);
  EXPECT_NEAR(pair_rate(a.narrow(0, 0, kElements - 4), a.narrow(0, 4, kElements - 4)), p * p, 5 * sd);
  EXPECT_NEAR(pair_rate(a, b), p * p, 5 * sd);
  EXPECT_FALSE(a.equal(b));
}

TEST(Dropout, FollowsTheDefaultGeneratorAndNotTheThreadCount) {
  const auto x = torch::randn({64, 1000});
  torch::manual_seed(5);
  auto first = philox_dropout(x, 0.2, /*training=*/true);
  auto second = philox_dropout(x, 0.2, true);  // the next call draws another seed
  torch::manual_seed(5);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  auto again = philox_dropout(x, 0.2, true);
  at::set_num_threads(threads);
  ASSERT_EQ(first.sizes(), x.sizes());
  EXPECT_TRUE(first.equal(again));
  EXPECT_FALSE(first.equal(second));
}

TEST(Dropout, GradientIsTheForwardMaskScaled) {
  const double p = 0.25;
  auto x = (torch::rand({8, 50}) + 0.5).requires_grad_();  // no zeros: a zero output means dropped
  auto weights = torch::randn({8, 50});
  auto y = philox_dropout_with_seed(x, p, 99);
  (y * weights).sum().backward();
  auto kept = y.detach().ne(0);
  ASSERT_GT(kept.sum().item<int64_t>(), 0);
  ASSERT_LT(kept.sum().item<int64_t>(), kept.numel());
  auto expected = kept.to(torch::kFloat) * weights / (1 - p);
  EXPECT_TRUE(torch::allclose(x.grad(), expected));
}

TEST(Dropout, NonContiguousInputIsMaskedInLogicalOrder) {
  auto x = torch::randn({30, 40});
  auto transposed = x.t();  // non-contiguous view
  auto y = apply_dropout_mask(transposed, 0.5, 3);
  ASSERT_EQ(y.sizes(), transposed.sizes());
  EXPECT_TRUE(y.equal(apply_dropout_mask(transposed.contiguous(), 0.5, 3)));
}

TEST(Dropout, EvaluationZeroAndOneRates) {
  auto x = torch::randn({4, 5}).requires_grad_();
  EXPECT_TRUE(philox_dropout(x, 0.5, /*training=*/false).equal(x));
  EXPECT_TRUE(philox_dropout(x, 0.0, true).equal(x));
  auto all = philox_dropout(x, 1.0, true);
  EXPECT_TRUE(all.eq(0).all().item<bool>());
  all.sum().backward();
  EXPECT_TRUE(x.grad().eq(0).all().item<bool>());
  Dropout module(0.5);
  module->eval();
  EXPECT_TRUE(module(x).equal(x));
  EXPECT_THROW(Dropout(1.5), c10::Error);
}

}  // namespace
}  // namespace attnlab
