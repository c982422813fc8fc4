// Bahdanau attention against the paper's formula worked out with scalars:
//   e_j = v^T tanh(W q + b + U k_j),  a_j = exp(e_j) / sum_j' exp(e_j'),  c = sum_j a_j k_j
// on B = 2, Tk = 3, with the third key of the second sequence padded.

#include <gtest/gtest.h>

#include <cmath>

#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/scoped_attention.h"
#include "modules/scopes/global.h"
#include "modules/scores/additive.h"
#include "tests/gradient_check.h"

namespace attnlab {
namespace {

// Parameters (A = 2 hidden, Dq = Dk = 2).
const double W[2][2] = {{1.0, 0.0}, {0.5, -1.0}};
const double b[2] = {0.0, 0.5};
const double U[2][2] = {{0.5, -1.0}, {1.0, 0.5}};
const double v[2] = {1.0, -2.0};
const double q[2][2] = {{0.3, -0.2}, {1.0, 0.4}};
const double k[2][3][2] = {{{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.5}}, {{0.2, 0.2}, {-0.5, 1.0}, {9.0, 9.0}}};
const int64_t lengths[2] = {3, 2};

double score(int batch, int j) {
  double e = 0;
  for (int a = 0; a < 2; ++a) {
    const double wq = W[a][0] * q[batch][0] + W[a][1] * q[batch][1] + b[a];
    const double uk = U[a][0] * k[batch][j][0] + U[a][1] * k[batch][j][1];
    e += v[a] * std::tanh(wq + uk);
  }
  return e;
}

std::shared_ptr<ScopedAttentionImpl> make_attention(torch::Dtype dtype) {
  auto additive = std::make_shared<AdditiveScoreImpl>(AdditiveScoreOptions(2, 2).hidden(2));
  torch::NoGradGuard no_grad;
  additive->query_proj->weight.copy_(torch::tensor({W[0][0], W[0][1], W[1][0], W[1][1]}).view({2, 2}));
  additive->query_proj->bias.copy_(torch::tensor({b[0], b[1]}));
  additive->key_proj->weight.copy_(torch::tensor({U[0][0], U[0][1], U[1][0], U[1][1]}).view({2, 2}));
  additive->v->weight.copy_(torch::tensor({v[0], v[1]}).view({1, 2}));
  auto attention = std::make_shared<ScopedAttentionImpl>(additive, std::make_shared<GlobalScopeImpl>());
  attention->to(dtype);
  return attention;
}

TEST(BahdanauAttention, MatchesTheFormulaWithAPaddedKey) {
  auto attention = make_attention(torch::kDouble);
  auto query = torch::from_blob(const_cast<double*>(&q[0][0]), {2, 1, 2}, torch::kDouble).clone();
  auto keys = torch::from_blob(const_cast<double*>(&k[0][0][0]), {2, 3, 2}, torch::kDouble).clone();
  auto mask = key_padding_mask_from_lengths(torch::tensor({lengths[0], lengths[1]}), 3);
  auto out = attention->forward(query, keys, keys, mask);
  ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{2, 1, 3}));
  ASSERT_EQ(out.context.sizes(), (std::vector<int64_t>{2, 1, 2}));
  for (int batch = 0; batch < 2; ++batch) {
    double denominator = 0;
    for (int j = 0; j < lengths[batch]; ++j) denominator += std::exp(score(batch, j));
    double context[2] = {0, 0};
    for (int j = 0; j < 3; ++j) {
      const double expected = j < lengths[batch] ? std::exp(score(batch, j)) / denominator : 0.0;
      EXPECT_NEAR(out.weights[batch][0][j].item<double>(), expected, 1e-12) << "batch " << batch << " key " << j;
      for (int d = 0; d < 2; ++d) context[d] += expected * k[batch][j][d];
    }
    for (int d = 0; d < 2; ++d) EXPECT_NEAR(out.context[batch][0][d].item<double>(), context[d], 1e-12);
  }
}

TEST(BahdanauAttention, PreparedKeysGiveTheSameResult) {
  auto attention = make_attention(torch::kDouble);
  auto query = torch::randn({2, 4, 2}, torch::kDouble);
  auto keys = torch::randn({2, 3, 2}, torch::kDouble);
  auto once = attention->forward(query, keys, keys, {});
  auto prepared = attention->attend({query, {}, {}}, attention->prepare(keys, keys, {}));
  EXPECT_TRUE(torch::allclose(once.context, prepared.context));
  EXPECT_TRUE(torch::allclose(once.weights.sum(-1), torch::ones({2, 4}, torch::kDouble)));
}

TEST(BahdanauAttention, GradientsMatchFiniteDifferences) {
  auto attention = make_attention(torch::kDouble);
  auto query = torch::randn({2, 1, 2}, torch::dtype(torch::kDouble).requires_grad(true));
  auto keys = torch::randn({2, 3, 2}, torch::kDouble);
  auto mask = key_padding_mask_from_lengths(torch::tensor({3, 2}), 3);
  test_util::expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& qq) { return attention->forward(qq, keys, keys, mask).context.pow(2).sum(); }, query,
      "d/dquery");
}

TEST(BahdanauAttention, RegistryBuildsItAndNoneBuildsNothing) {
  auto built = attention_registry().create(attention_registry().resolve("bahdanau", ""), AttentionDims{4, 6});
  ASSERT_TRUE(built);
  auto out = built->forward(torch::randn({3, 1, 4}), torch::randn({3, 5, 6}), torch::randn({3, 5, 6}), {});
  EXPECT_EQ(out.context.sizes(), (std::vector<int64_t>{3, 1, 6}));
  EXPECT_FALSE(attention_registry().create(attention_registry().resolve("none", ""), AttentionDims{4, 6}));
}

TEST(BahdanauAttention, ShapeErrorsNameTheSizes) {
  auto attention = make_attention(torch::kFloat);
  try {
    attention->forward(torch::randn({2, 1, 2}), torch::randn({3, 3, 2}), torch::randn({3, 3, 2}), {});
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch sizes differ: query 2, keys 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnlab
