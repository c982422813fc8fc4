// Each registered score against its formula worked out with scalars, under the global scope
// (softmax over unmasked keys), on B = 2, Tq = 2, Tk = 3 with the last key of the second
// sequence padded; and gradients against finite differences. Both lists come from the registry.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/score_registry.h"
#include "modules/scoped_attention.h"
#include "modules/scopes/global.h"
#include "modules/scores/cosine.h"
#include "modules/scores/dot.h"
#include "modules/scores/location.h"
#include "tests/gradient_check.h"
#include "tests/test_support.h"

namespace attnlab {
namespace {

constexpr int B = 2, Tq = 2, Tk = 3, D = 2;
const double q[B][Tq][D] = {{{0.3, -0.2}, {1.0, 0.5}}, {{1.0, 0.4}, {-0.7, 0.2}}};
const double k[B][Tk][D] = {{{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.5}}, {{0.2, 0.2}, {-0.5, 1.0}, {9.0, 9.0}}};
const int64_t lengths[B] = {3, 2};
const double W[D][D] = {{0.5, -1.0}, {2.0, 0.25}};  // general: q^T W k

using test_util::tensor3;

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

/// A registered score's formula worked with scalars on the data above, with the parameters it
/// uses (copied into the score by name; the spec's own values where it has none).
struct FormulaCase {
  json spec;
  std::map<std::string, torch::Tensor> parameters;
  std::function<double(int b, int i, int j)> score;
};

constexpr int A = 3;  // additive / concat hidden size
const double Wq[A][D] = {{0.5, -1.0}, {2.0, 0.25}, {-0.3, 0.7}}, bq[A] = {0.1, -0.2, 0.05};
const double U[A][D] = {{1.0, 0.5}, {-0.5, 0.2}, {0.4, -1.5}}, v[A] = {0.8, -1.2, 0.6};
const double Wc[A][2 * D] = {{0.3, -0.6, 1.1, 0.2}, {-0.9, 0.4, 0.5, -0.7}, {0.2, 0.8, -0.4, 1.3}};  // concat: W [q; k]
const double L[4][D] = {{1.0, 0.0}, {0.0, 1.0}, {-0.5, 0.5}, {3.0, 3.0}}, Lb[4] = {0.1, -0.2, 0.3, 9.0};

torch::Tensor matrix(const double* data, int64_t rows, int64_t columns) {
  return test_util::tensor3(data, 1, rows, columns).squeeze(0);
}
torch::Tensor values_of(std::vector<double> values) { return torch::tensor(values, torch::kDouble); }

double dot(int b, int i, int j) { return q[b][i][0] * k[b][j][0] + q[b][i][1] * k[b][j][1]; }

const std::map<std::string, FormulaCase>& formula_cases() {
  static const std::map<std::string, FormulaCase> cases = {
      {"dot", {json("dot"), {}, [](int b, int i, int j) { return dot(b, i, j); }}},
      {"scaled_dot", {json("scaled_dot"), {}, [](int b, int i, int j) { return dot(b, i, j) / std::sqrt(2.0); }}},
      {"general",
       {json("general"), {{"key_proj.weight", matrix(&W[0][0], D, D)}},  // key_proj computes W k
        [](int b, int i, int j) {
          double s = 0;
          for (int r = 0; r < D; ++r)
            for (int c = 0; c < D; ++c) s += q[b][i][r] * W[r][c] * k[b][j][c];
          return s;
        }}},
      {"additive",
       {json{{"type", "additive"}, {"hidden", A}},
        {{"query_proj.weight", matrix(&Wq[0][0], A, D)}, {"query_proj.bias", values_of({bq[0], bq[1], bq[2]})},
         {"key_proj.weight", matrix(&U[0][0], A, D)}, {"v.weight", matrix(&v[0], 1, A)}},
        [](int b, int i, int j) {  // vᵀ tanh(W q + b + U k)
          double s = 0;
          for (int a = 0; a < A; ++a) {
            double hidden = bq[a];
            for (int d = 0; d < D; ++d) hidden += Wq[a][d] * q[b][i][d] + U[a][d] * k[b][j][d];
            s += v[a] * std::tanh(hidden);
          }
          return s;
        }}},
      {"concat",
       {json{{"type", "concat"}, {"hidden", A}},
        {{"query_proj.weight", matrix(&Wc[0][0], A, 2 * D).narrow(1, 0, D)}, {"query_proj.bias", values_of({0, 0, 0})},
         {"key_proj.weight", matrix(&Wc[0][0], A, 2 * D).narrow(1, D, D)}, {"v.weight", matrix(&v[0], 1, A)}},
        [](int b, int i, int j) {  // vᵀ tanh(W [q; k]), Luong et al. 2015
          double s = 0;
          for (int a = 0; a < A; ++a) {
            double hidden = 0;
            for (int r = 0; r < 2 * D; ++r) hidden += Wc[a][r] * (r < D ? q[b][i][r] : k[b][j][r - D]);
            s += v[a] * std::tanh(hidden);
          }
          return s;
        }}},
      {"cosine",
       {json("cosine"), {{"scale", values_of({3.0})}},
        [](int b, int i, int j) {  // s qᵀk / (|q| |k|)
          const double norm_q = std::hypot(q[b][i][0], q[b][i][1]), norm_k = std::hypot(k[b][j][0], k[b][j][1]);
          return 3.0 * dot(b, i, j) / (norm_q * norm_k);
        }}},
      {"location",
       {json{{"type", "location"}, {"max_length", 4}},
        {{"position_weights.weight", matrix(&L[0][0], 4, D)},
         {"position_weights.bias", values_of({Lb[0], Lb[1], Lb[2], Lb[3]})}},
        [](int b, int i, int j) { return L[j][0] * q[b][i][0] + L[j][1] * q[b][i][1] + Lb[j]; }}},
  };
  return cases;
}

std::vector<std::string> registered_scores() {
  std::vector<std::string> names;
  for (const auto& e : score_registry().entries()) names.push_back(e.name);
  return names;
}

// Every registered score, built by the registry, against its formula: a score registered
// without a formula here fails.
class EveryScoreFormula : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryScoreFormula, MatchesTheFormulaWorkedByHand) {
  const auto found = formula_cases().find(GetParam());
  ASSERT_NE(found, formula_cases().end()) << "score \"" << GetParam() << "\" is registered but has no formula test";
  const FormulaCase& formula = found->second;
  auto score = score_registry().create(score_registry().resolve(formula.spec, ""), ScoreDims{D, D});
  score->to(torch::kDouble);  // before copying, so the values stay exact
  {
    torch::NoGradGuard no_grad;
    const auto parameters = score->named_parameters();
    for (const auto& [name, value] : formula.parameters) {
      ASSERT_TRUE(parameters.contains(name)) << GetParam() << " has no parameter " << name;
      ASSERT_EQ(parameters[name].sizes(), value.sizes()) << name;
      parameters[name].copy_(value);
    }
  }
  auto attention = std::make_shared<ScopedAttentionImpl>(score, std::make_shared<GlobalScopeImpl>());
  expect_matches_formula(*attention, formula.score);
}

INSTANTIATE_TEST_SUITE_P(Registered, EveryScoreFormula, ::testing::ValuesIn(registered_scores()));

TEST(Scores, LocationRefusesMoreKeysThanItsMaxLength) {
  auto score = std::make_shared<LocationScoreImpl>(LocationScoreOptions(D).max_length(4));
  ScopedAttentionImpl attention(score, std::make_shared<GlobalScopeImpl>());
  EXPECT_THROW(attention.forward(torch::randn({1, 1, D}), torch::randn({1, 5, D}), torch::randn({1, 5, D}), {}),
               c10::Error);
}

TEST(Scores, DotAndCosineRefuseKeysOfAnotherSize) {
  try {
    DotScoreImpl score(DotScoreOptions(4, 6));
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("must have the same size; use \"general\""), std::string::npos);
  }
  EXPECT_THROW(CosineScoreImpl(CosineScoreOptions(4, 6)), c10::Error);
}

TEST(Scores, CosineWithAFixedScaleLearnsNothing) {
  auto score = score_registry().create(
      score_registry().resolve(json{{"type", "cosine"}, {"scale", 2.5}, {"learn_scale", false}}, ""), ScoreDims{D, D});
  EXPECT_EQ(score->parameters().size(), 0u);
  ASSERT_EQ(score->named_buffers().size(), 1u);
  EXPECT_EQ(score->named_buffers()["scale"].item<double>(), 2.5);
  // A query parallel to a key scores the scale itself; an opposite one its negative.
  auto keys = score->project_keys(torch::tensor({3.0f, 4.0f, -3.0f, -4.0f}).view({1, 2, 2}));
  auto scores = score->forward(torch::tensor({0.6f, 0.8f}).view({1, 1, 2}), keys);  // [1, 1, 2]
  ASSERT_EQ(scores.sizes(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_NEAR(scores[0][0][0].item<double>(), 2.5, 1e-6);
  EXPECT_NEAR(scores[0][0][1].item<double>(), -2.5, 1e-6);
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

INSTANTIATE_TEST_SUITE_P(Registered, EveryScore, ::testing::ValuesIn(registered_scores()));

}  // namespace
}  // namespace attnlab
