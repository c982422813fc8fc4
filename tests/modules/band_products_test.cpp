// The banded products of local_m's shifted windows against the sums they stand for, written out
// slot by slot: values and gradients, for lengths below, at and across chunk boundaries.
#include <gtest/gtest.h>

#include "modules/band_products.h"

namespace attnlab {
namespace {

// Σ_d query[b, t, d] · rows[b, t + w, d], one window slot at a time.
torch::Tensor scores_by_slot(const torch::Tensor& query, const torch::Tensor& rows, int64_t W) {
  const int64_t T = query.size(1);
  std::vector<torch::Tensor> columns;
  for (int64_t w = 0; w < W; ++w) columns.push_back((query * rows.narrow(1, w, T)).sum(-1, true));
  return torch::cat(columns, 2);  // [B, T, W]
}

// Σ_w weights[b, t, w] · rows[b, t + w, :], one window slot at a time.
torch::Tensor mix_by_slot(const torch::Tensor& weights, const torch::Tensor& rows) {
  const int64_t T = weights.size(1), W = weights.size(2);
  auto sum = torch::zeros({weights.size(0), T, rows.size(2)}, rows.options());
  for (int64_t w = 0; w < W; ++w) sum = sum + weights.narrow(2, w, 1) * rows.narrow(1, w, T);
  return sum;  // [B, T, Dv]
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(BandProducts, EqualTheSlotBySlotSumsAndTheirGradients) {
  const int64_t B = 2, D = 3, Dv = 5;
  int cases = 0;
  for (int64_t chunk : {1, 4, 32}) {
    for (int64_t W : {1, 3, 7}) {
      for (int64_t T : {1, 3, 4, 5, 9, 33}) {
        SCOPED_TRACE("chunk " + std::to_string(chunk) + " W " + std::to_string(W) + " T " + std::to_string(T));
        torch::manual_seed(T * 100 + W);
        auto query = torch::randn({B, T, D}, torch::dtype(torch::kDouble).requires_grad(true));
        auto keys = torch::randn({B, T + W - 1, D}, torch::dtype(torch::kDouble).requires_grad(true));
        auto weights = torch::randn({B, T, W}, torch::dtype(torch::kDouble).requires_grad(true));
        auto values = torch::randn({B, T + W - 1, Dv}, torch::dtype(torch::kDouble).requires_grad(true));
        auto gradients = [&](const torch::Tensor& scores, const torch::Tensor& mixed) {
          auto loss = (scores * torch::cos(scores)).sum() + mixed.pow(2).sum();  // non-uniform upstream gradients
          return torch::autograd::grad({loss}, {query, keys, weights, values});
        };
        auto scores = band_scores(query, keys, W, chunk), mixed = band_mix(weights, values, chunk);
        auto expected_scores = scores_by_slot(query, keys, W), expected_mixed = mix_by_slot(weights, values);
        ASSERT_EQ(scores.sizes(), (std::vector<int64_t>{B, T, W}));
        ASSERT_EQ(mixed.sizes(), (std::vector<int64_t>{B, T, Dv}));
        EXPECT_LT(max_difference(scores, expected_scores), 1e-12);
        EXPECT_LT(max_difference(mixed, expected_mixed), 1e-12);
        auto got = gradients(scores, mixed), expected = gradients(expected_scores, expected_mixed);
        ASSERT_EQ(got.size(), 4u);
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i].sizes(), expected[i].sizes()) << "input " << i;
          EXPECT_GT(expected[i].abs().sum().item<double>(), 0.0) << "input " << i;
          EXPECT_LT(max_difference(got[i], expected[i]), 1e-12) << "input " << i;
        }
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 54);
}

TEST(BandProducts, RefuseRowsThatDoNotSpanTheWindows) {
  auto query = torch::randn({1, 4, 2}), rows = torch::randn({1, 5, 2});  // W = 3 needs 6 rows
  EXPECT_THROW(band_scores(query, rows, 3), c10::Error);
  EXPECT_THROW(band_mix(torch::randn({1, 4, 3}), rows), c10::Error);
}

}  // namespace
}  // namespace attnlab
