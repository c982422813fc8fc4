#include <gtest/gtest.h>

#include "modules/masks.h"

namespace attnlab {
namespace {

TEST(Masks, PaddingMaskFromLengths) {
  auto mask = key_padding_mask_from_lengths(torch::tensor({3, 1, 0}), 3);
  auto expected = torch::tensor({0, 0, 0, 0, 1, 1, 1, 1, 1}).to(torch::kBool).view({3, 3});
  EXPECT_TRUE(torch::equal(mask, expected));
}

TEST(Masks, MaskedSoftmaxIgnoresMaskedKeys) {
  auto scores = torch::tensor({1.0, 2.0, 50.0}).view({1, 1, 3});
  auto mask = torch::tensor({false, false, true}).view({1, 1, 3});
  auto w = masked_softmax(scores, mask);
  const double e1 = std::exp(1.0), e2 = std::exp(2.0);
  EXPECT_NEAR(w[0][0][0].item<double>(), e1 / (e1 + e2), 1e-6);
  EXPECT_NEAR(w[0][0][1].item<double>(), e2 / (e1 + e2), 1e-6);
  EXPECT_EQ(w[0][0][2].item<double>(), 0.0);
}

// The in-place form runs ATen's softmax with its output over its input: equal to the composed
// form, fully masked rows included, in both float types (a LibTorch that read a row after writing
// it would fail here).
TEST(Masks, InPlaceMaskedSoftmaxEqualsMaskedSoftmax) {
  torch::manual_seed(3);
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    SCOPED_TRACE(c10::toString(dtype));
    auto scores = torch::randn({3, 5, 37}, dtype) * 4;  // rows longer than one vector register
    auto padding = torch::rand({3, 1, 37}) < 0.3;
    padding[1].fill_(true);  // a fully masked row
    auto causal = torch::ones({5, 37}, torch::kBool).triu(1).unsqueeze(0);  // [1, Tq, Tk]
    for (const auto& mask : {torch::Tensor(), padding, causal, padding | causal}) {
      auto expected = masked_softmax(scores, mask);
      auto in_place = scores.clone();
      masked_softmax_(in_place, mask);
      ASSERT_EQ(in_place.sizes(), expected.sizes());
      EXPECT_TRUE(torch::equal(in_place, expected));
    }
  }
}

TEST(Masks, FullyMaskedRowGivesZerosNotNaN) {
  auto scores = torch::randn({2, 1, 4}, torch::dtype(torch::kDouble).requires_grad(true));
  auto mask = torch::tensor({true, true, true, true, false, true, false, true}).view({2, 1, 4});
  auto w = masked_softmax(scores, mask);
  EXPECT_TRUE(torch::equal(w[0], torch::zeros({1, 4}, torch::kDouble)));
  EXPECT_NEAR(w[1].sum().item<double>(), 1.0, 1e-12);
  w.sum().backward();
  EXPECT_FALSE(scores.grad().isnan().any().item<bool>());
}

// The lowest value that masks a score follows the scores' type: in bfloat16, float's lowest
// value is -inf, and a fully masked row would be NaN.
TEST(Masks, MaskedSoftmaxWorksInEveryFloatingType) {
  for (auto dtype : {torch::kDouble, torch::kFloat, torch::kBFloat16}) {
    SCOPED_TRACE(c10::toString(dtype));
    auto scores = torch::tensor({1.0, 2.0, 50.0, 3.0, -1.0, 0.5}).view({2, 1, 3}).to(dtype).requires_grad_(true);
    auto mask = torch::tensor({false, false, true, true, true, true}).view({2, 1, 3});
    auto w = masked_softmax(scores, mask);
    ASSERT_EQ(w.scalar_type(), dtype);
    ASSERT_EQ(w.sizes(), (std::vector<int64_t>{2, 1, 3}));
    const double e1 = std::exp(1.0), e2 = std::exp(2.0);
    const double tolerance = dtype == torch::kBFloat16 ? 1e-2 : 1e-6;  // bfloat16 keeps 8 bits of mantissa
    EXPECT_NEAR(w[0][0][0].item<double>(), e1 / (e1 + e2), tolerance);
    EXPECT_NEAR(w[0][0][1].item<double>(), e2 / (e1 + e2), tolerance);
    EXPECT_EQ(w[0][0][2].item<double>(), 0.0);
    EXPECT_TRUE(torch::equal(w[1].to(torch::kDouble), torch::zeros({1, 3}, torch::kDouble)));  // fully masked: zeros
    w.sum().backward();
    EXPECT_FALSE(scores.grad().isnan().any().item<bool>());
  }
}

}  // namespace
}  // namespace attnlab
