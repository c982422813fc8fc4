// Each score against its formula worked out with scalars, under the global scope
// (softmax over unmasked keys), on B = 2, Tq = 2, Tk = 3 with the last key of the
// second sequence padded; and gradients against finite differences.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/score_registry.h"
#include "modules/scoped_attention.h"
#include "modules/scopes/global.h"
#include "modules/scores/dot.h"
#include "modules/scores/location.h"
#include "tests/gradient_check.h"

namespace attnlab {
namespace {

constexpr int B = 2, Tq = 2, Tk = 3, D = 2;
const double q[B][Tq][D] = {{{0.3, -0.2}, {1.0, 0.5}}, {{1.0, 0.4}, {-0.7, 0.2}}};
const double k[B][Tk][D] = {{{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.5}}, {{0.2, 0.2}, {-0.5, 1.0}, {9.0, 9.0}}};
const int64_t lengths[B] = {3, 2};
const double W[D][D] = {{0.5, -1.0}, {2.0, 0.25}};  // general: q^T W k

torch::Tensor tensor3(const double* data, int64_t a, int64_t b, int64_t c) {
  return torch::from_blob(const_cast<double*>(data), {a, b, c}, torch::kDouble).clone();
}

/// Checks weights and context of `attention` against softmax over unmasked keys of `score`.
void expect_matches_formula(AttentionImpl& attention, const std::function<double(int, int, int)>& score) {
  auto query = tensor3(&q[0][0][0], B, Tq, D), keys = tensor3(&k[0][0][0], B, Tk, D);
  auto mask = key_padding_mask_from_lengths(torch::tensor({lengths[0], lengths[1]}), Tk);
  auto out = attention.forward(query, keys, keys, mask);
  ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < Tq; ++i) {
      double denominator = 0;
      for (int j = 0; j < lengths[b]; ++j) denominator += std::exp(score(b, i, j));
      for (int d = 0; d < D; ++d) {
        double context = 0;
        for (int j = 0; j < lengths[b]; ++j) context += std::exp(score(b, i, j)) / denominator * k[b][j][d];
        EXPECT_NEAR(out.context[b][i][d].item<double>(), context, 1e-12) << b << i << d;
      }
      for (int j = 0; j < Tk; ++j) {
        const double expected = j < lengths[b] ? std::exp(score(b, i, j)) / denominator : 0.0;
        EXPECT_NEAR(out.weights[b][i][j].item<double>(), expected, 1e-12) << b << i << j;
      }
    }
  }
}

std::shared_ptr<ScopedAttentionImpl> global_with(std::shared_ptr<ScoreImpl> score) {
  auto attention = std::make_shared<ScopedAttentionImpl>(std::move(score), std::make_shared<GlobalScopeImpl>());
  attention->to(torch::kDouble);
  return attention;
}

TEST(Scores, DotIsTheInnerProduct) {
  auto attention = global_with(std::make_shared<DotScoreImpl>(DotScoreOptions(D, D)));
  expect_matches_formula(*attention, [](int b, int i, int j) { return q[b][i][0] * k[b][j][0] + q[b][i][1] * k[b][j][1]; });
}

TEST(Scores, ScaledDotDividesBySqrtD) {
  auto attention = global_with(std::make_shared<DotScoreImpl>(DotScoreOptions(D, D).scaled(true)));
  expect_matches_formula(*attention, [](int b, int i, int j) {
    return (q[b][i][0] * k[b][j][0] + q[b][i][1] * k[b][j][1]) / std::sqrt(2.0);
  });
}

TEST(Scores, GeneralIsQTransposeWK) {
  auto score = std::make_shared<DotScoreImpl>(DotScoreOptions(D, D).bilinear(true));
  {
    torch::NoGradGuard no_grad;
    // key_proj computes W k: its weight is W ([query dims, key dims]).
    score->key_proj->weight.copy_(torch::tensor({W[0][0], W[0][1], W[1][0], W[1][1]}).view({2, 2}));
  }
  auto attention = global_with(score);
  expect_matches_formula(*attention, [](int b, int i, int j) {
    double s = 0;
    for (int r = 0; r < D; ++r)
      for (int c = 0; c < D; ++c) s += q[b][i][r] * W[r][c] * k[b][j][c];
    return s;
  });
}

TEST(Scores, LocationUsesTheQueryAlone) {
  auto score = std::make_shared<LocationScoreImpl>(LocationScoreOptions(D).max_length(4));
  const double L[4][D] = {{1.0, 0.0}, {0.0, 1.0}, {-0.5, 0.5}, {3.0, 3.0}};
  const double bias[4] = {0.1, -0.2, 0.3, 9.0};
  score->to(torch::kDouble);  // before copying, so the values stay exact
  {
    torch::NoGradGuard no_grad;
    score->position_weights->weight.copy_(tensor3(&L[0][0], 1, 4, D).view({4, D}));
    score->position_weights->bias.copy_(torch::tensor({bias[0], bias[1], bias[2], bias[3]}, torch::kDouble));
  }
  auto attention = global_with(score);
  expect_matches_formula(*attention, [&](int b, int i, int j) {
    return L[j][0] * q[b][i][0] + L[j][1] * q[b][i][1] + bias[j];
  });
  EXPECT_THROW(attention->forward(torch::randn({1, 1, D}, torch::kDouble), torch::randn({1, 5, D}, torch::kDouble),
                                  torch::randn({1, 5, D}, torch::kDouble), {}),
               c10::Error);
}

TEST(Scores, DotRefusesKeysOfAnotherSize) {
  try {
    DotScoreImpl score(DotScoreOptions(4, 6));
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("must have the same size; use \"general\""), std::string::npos);
  }
}

TEST(Scores, ConcatIsAdditive) {
  torch::manual_seed(0);
  auto concat = score_registry().create(score_registry().resolve("concat", ""), ScoreDims{4, 6});
  auto additive = score_registry().create(score_registry().resolve("additive", ""), ScoreDims{4, 6});
  const auto from = additive->named_parameters(), to = concat->named_parameters();
  ASSERT_EQ(from.size(), to.size());
  ASSERT_GT(from.size(), 0u);
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : from) to[p.key()].copy_(p.value());
  }
  auto query = torch::randn({2, 3, 4}), keys = torch::randn({2, 5, 6});
  EXPECT_TRUE(torch::allclose(concat->forward(query, concat->project_keys(keys)),
                              additive->forward(query, additive->project_keys(keys))));
}

class EveryScore : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryScore, GlobalWeightsSumToOneHonourMasksAndHaveFiniteDifferenceGradients) {
  torch::manual_seed(0);
  auto spec = attention_registry().resolve(json{{"type", "global"}, {"score", GetParam()}}, "");
  auto attention = attention_registry().create(spec, AttentionDims{D, D});
  attention->to(torch::kDouble);
  auto query = torch::randn({B, Tq, D}, torch::dtype(torch::kDouble).requires_grad(true));
  auto keys = torch::randn({B, Tk, D}, torch::kDouble);
  auto mask = key_padding_mask_from_lengths(torch::tensor({3, 2}), Tk);
  auto out = attention->forward(query, keys, keys, mask);
  EXPECT_TRUE(torch::allclose(out.weights.sum(-1), torch::ones({B, Tq}, torch::kDouble)));
  EXPECT_EQ(out.weights[1].select(1, 2).abs().sum().item<double>(), 0.0);

  test_util::expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& qq) { return attention->forward(qq, keys, keys, mask).context.pow(2).sum(); }, query,
      GetParam() + " d/dquery");
  auto keys_grad = keys.clone().requires_grad_(true);
  test_util::expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& kk) { return attention->forward(query.detach(), kk, kk, mask).context.pow(2).sum(); },
      keys_grad, GetParam() + " d/dkeys (and values)");
}

INSTANTIATE_TEST_SUITE_P(Registered, EveryScore,
                         ::testing::Values("dot", "scaled_dot", "general", "additive", "concat", "location"));

}  // namespace
}  // namespace attnlab
