// The local scopes of Luong et al. 2015 against their formulas worked out with scalars, on
// B = 2, Tq = 2, Tk = 3 with the last key of the second sequence padded:
//   local_m: p = the query's position; a_j = softmax over the keys j in [p - D, p + D] that exist
//            and may be seen; c = sum_j a_j v_j
//   local_p: p = S * sigmoid(v_p^T tanh(W_p q)), S the unpadded length; window round(p) + [-D, D];
//            a_j = softmax over the window's visible keys * exp(-(j - p)^2 / (2 sigma^2)), sigma = D/2
// plus: local_p with a window covering every key and sigma -> inf is global attention; masks;
// fully masked rows; finite-difference gradients; score_window agrees with forward for every score.
// Legend: B batch, Tq query steps, Tk key steps, W = 2D+1 window keys, Dv value dims.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/scoped_attention.h"
#include "modules/scopes/hard.h"
#include "modules/scopes/local.h"
#include "tests/gradient_check.h"
#include "tests/test_support.h"

namespace attnlab {
namespace {

constexpr int B = 2, Tq = 2, Tk = 3, Dm = 2, Dv = 3;
const double q[B][Tq][Dm] = {{{0.3, -0.2}, {1.0, 0.5}}, {{1.0, 0.4}, {-0.7, 0.2}}};
const double k[B][Tk][Dm] = {{{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.5}}, {{0.2, 0.2}, {-0.5, 1.0}, {9.0, 9.0}}};
const double v[B][Tk][Dv] = {{{1.0, 2.0, 3.0}, {-1.0, 0.5, 0.0}, {0.25, -2.0, 4.0}},
                             {{0.5, 0.5, -0.5}, {2.0, -1.0, 1.0}, {7.0, 7.0, 7.0}}};
const int lengths[B] = {3, 2};

using test_util::tensor3;
torch::Tensor query_tensor() { return tensor3(&q[0][0][0], B, Tq, Dm); }
torch::Tensor key_tensor() { return tensor3(&k[0][0][0], B, Tk, Dm); }
torch::Tensor value_tensor() { return tensor3(&v[0][0][0], B, Tk, Dv); }
torch::Tensor padding_mask() { return key_padding_mask_from_lengths(torch::tensor({lengths[0], lengths[1]}), Tk); }

double dot(int b, int i, int j) { return q[b][i][0] * k[b][j][0] + q[b][i][1] * k[b][j][1]; }

std::shared_ptr<AttentionImpl> make_attention(const json& spec, int64_t query_dim = Dm, int64_t key_dim = Dm) {
  auto attention = attention_registry().create(attention_registry().resolve(spec, ""), AttentionDims{query_dim, key_dim});
  attention->to(torch::kDouble);
  return attention;
}

std::shared_ptr<LocalScopeImpl> local_scope_of(const std::shared_ptr<AttentionImpl>& attention) {
  auto scoped = std::dynamic_pointer_cast<ScopedAttentionImpl>(attention);
  return scoped ? std::dynamic_pointer_cast<LocalScopeImpl>(scoped->scope) : nullptr;
}

/// One query's expected local attention: the window's key positions, weights and context.
struct Row {
  std::vector<int64_t> positions;
  std::vector<double> weights;
  std::vector<double> context;
};

/// Softmax of `score` over the keys of [centre - half, centre + half] that exist and are
/// `visible`, each times `factor` (the Gaussian of local_p; 1 for local_m); context = sum w v.
Row local_row(int b, int centre, int half, const std::function<bool(int)>& visible,
              const std::function<double(int)>& score, const std::function<double(int)>& factor) {
  auto seen = [&](int j) { return j >= 0 && j < Tk && visible(j); };
  double denominator = 0;
  for (int j = centre - half; j <= centre + half; ++j)
    if (seen(j)) denominator += std::exp(score(j));
  Row row;
  row.context.assign(Dv, 0.0);
  for (int j = centre - half; j <= centre + half; ++j) {
    const double w = seen(j) ? std::exp(score(j)) / denominator * factor(j) : 0.0;
    row.positions.push_back(j);
    row.weights.push_back(w);
    if (seen(j))
      for (int d = 0; d < Dv; ++d) row.context[d] += w * v[b][j][d];
  }
  return row;
}

/// Checks compact weights and positions, dense_weights() and context against rows[b][i].
void expect_rows(const AttentionOutput& out, const std::vector<std::vector<Row>>& rows, double tolerance) {
  ASSERT_EQ(rows.size(), static_cast<size_t>(B));
  const int64_t W = static_cast<int64_t>(rows[0][0].weights.size());
  ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, Tq, W}));
  ASSERT_TRUE(out.positions.defined());
  ASSERT_EQ(out.positions.sizes(), (std::vector<int64_t>{B, Tq, W}));
  ASSERT_EQ(out.context.sizes(), (std::vector<int64_t>{B, Tq, Dv}));
  auto dense = dense_weights(out, Tk);
  ASSERT_EQ(dense.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < Tq; ++i) {
      const Row& row = rows[b][i];
      std::vector<double> expected_dense(Tk, 0.0);
      for (int s = 0; s < W; ++s) {
        EXPECT_EQ(out.positions[b][i][s].item<int64_t>(), row.positions[s]) << b << i << s;
        EXPECT_NEAR(out.weights[b][i][s].item<double>(), row.weights[s], tolerance) << b << i << s;
        if (row.positions[s] >= 0 && row.positions[s] < Tk) expected_dense[row.positions[s]] += row.weights[s];
      }
      for (int j = 0; j < Tk; ++j)
        EXPECT_NEAR(dense[b][i][j].item<double>(), expected_dense[j], tolerance) << "dense " << b << i << j;
      for (int d = 0; d < Dv; ++d)
        EXPECT_NEAR(out.context[b][i][d].item<double>(), row.context[d], tolerance) << "context " << b << i << d;
    }
  }
}

auto one = [](int) { return 1.0; };

// The scopes with a formula test, and where it is. A scope registered without one fails here.
TEST(Scopes, EveryRegisteredScopeHasAFormulaTest) {
  const std::map<std::string, std::string> formula_tests = {
      {"global", "scores_test.cpp: EveryScoreFormula (each score under the global scope)"},
      {"local_m", "Scopes.LocalMMatchesTheFormulaAtGivenQueryPositions"},
      {"local_p", "Scopes.LocalPMatchesTheFormula"},
      {"hard", "hard_attention_test.cpp: HardAttention.*"},
  };
  ASSERT_FALSE(scope_registry().entries().empty());
  for (const auto& e : scope_registry().entries())
    EXPECT_TRUE(formula_tests.count(e.name)) << "scope \"" << e.name << "\" is registered but has no formula test";
}

TEST(Scopes, LocalMMatchesTheFormulaAtGivenQueryPositions) {
  auto attention = make_attention(json{{"type", "local_m"}, {"score", "dot"}, {"window", 1}});
  auto memory = attention->prepare(key_tensor(), value_tensor(), padding_mask());
  // Shared positions [Tq] = {0, 2}: the second query's window {1, 2, 3} has one key past the end,
  // and in the second sequence key 2 is padding, so only key 1 is left there.
  const int shared[Tq] = {0, 2};
  auto out = attention->attend({query_tensor(), {}, torch::tensor({int64_t{0}, int64_t{2}})}, memory);
  std::vector<std::vector<Row>> rows(B);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < Tq; ++i)
      rows[b].push_back(local_row(
          b, shared[i], 1, [&](int j) { return j < lengths[b]; }, [&](int j) { return dot(b, i, j); }, one));
  expect_rows(out, rows, 1e-12);
  EXPECT_DOUBLE_EQ(rows[1][1].weights[0], 1.0);  // the case above really is a one-key window

  // Per-sequence positions [B, Tq].
  const int64_t per_batch[B][Tq] = {{1, 0}, {2, 1}};
  auto positions = torch::from_blob(const_cast<int64_t*>(&per_batch[0][0]), {B, Tq}, torch::kLong).clone();
  out = attention->attend({query_tensor(), {}, positions}, memory);
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < Tq; ++i)
      rows[b][i] = local_row(
          b, static_cast<int>(per_batch[b][i]), 1, [&](int j) { return j < lengths[b]; },
          [&](int j) { return dot(b, i, j); }, one);
  expect_rows(out, rows, 1e-12);
}

TEST(Scopes, LocalMHonoursTheAttnMask) {
  auto attention = make_attention(json{{"type", "local_m"}, {"score", "dot"}, {"window", 1}});
  // [Tq, Tk]: query 0 may not look at key 1, query 1 not at key 0 (positions default to 0, 1).
  const bool shared[Tq][Tk] = {{false, true, false}, {true, false, false}};
  // [B, Tq, Tk]: a different mask per sequence.
  const bool per_batch[B][Tq][Tk] = {{{true, false, false}, {false, false, true}}, {{false, false, false}, {false, true, false}}};
  auto shared_mask = torch::from_blob(const_cast<bool*>(&shared[0][0]), {Tq, Tk}, torch::kBool).clone();
  auto batch_mask = torch::from_blob(const_cast<bool*>(&per_batch[0][0][0]), {B, Tq, Tk}, torch::kBool).clone();
  for (int use_batch_mask = 0; use_batch_mask < 2; ++use_batch_mask) {
    auto mask = use_batch_mask ? batch_mask : shared_mask;
    auto out = attention->forward(query_tensor(), key_tensor(), value_tensor(), padding_mask(), mask);
    std::vector<std::vector<Row>> rows(B);
    for (int b = 0; b < B; ++b)
      for (int i = 0; i < Tq; ++i)
        rows[b].push_back(local_row(
            b, i, 1,
            [&](int j) { return j < lengths[b] && !(use_batch_mask ? per_batch[b][i][j] : shared[i][j]); },
            [&](int j) { return dot(b, i, j); }, one));
    SCOPED_TRACE(use_batch_mask ? "[B, Tq, Tk] mask" : "[Tq, Tk] mask");
    expect_rows(out, rows, 1e-12);
  }
}

// local_p with hand-set predictor weights (hidden size 3).
const double Wp[3][Dm] = {{0.8, -0.5}, {0.3, 0.9}, {-0.6, 0.4}};
const double vp[3] = {1.5, -0.7, 0.5};

/// p = S sigmoid(v_p tanh(W_p h)), S the keys query i of row b may see (`visible` of them).
double predicted_centre(int b, int i, const std::function<bool(int)>& visible) {
  double a = 0;
  for (int h = 0; h < 3; ++h) a += vp[h] * std::tanh(Wp[h][0] * q[b][i][0] + Wp[h][1] * q[b][i][1]);
  int S = 0;
  for (int j = 0; j < Tk; ++j) S += visible(j) ? 1 : 0;
  return S / (1.0 + std::exp(-a));
}

TEST(Scopes, LocalPMatchesTheFormula) {
  auto attention = make_attention(json{{"type", "local_p"}, {"score", "dot"}, {"window", 1}, {"predictor_hidden", 3}});
  auto scope = local_scope_of(attention);
  ASSERT_TRUE(scope);
  {
    torch::NoGradGuard no_grad;
    scope->predictor_hidden->weight.copy_(tensor3(&Wp[0][0], 1, 3, Dm).view({3, Dm}));
    scope->predictor_out->weight.copy_(torch::tensor({vp[0], vp[1], vp[2]}, torch::kDouble).view({1, 3}));
  }
  const double sigma = 0.5;  // D / 2
  const bool attn[Tq][Tk] = {{false, false, true}, {false, true, false}};
  auto attn_mask = torch::from_blob(const_cast<bool*>(&attn[0][0]), {Tq, Tk}, torch::kBool).clone();
  auto memory = attention->prepare(key_tensor(), value_tensor(), padding_mask());

  // S counts the keys a query may see: the unpadded ones, less those its attn_mask hides (a
  // causal mask: t + 1 at step t, as when decoding step by step).
  for (int with_mask = 0; with_mask < 2; ++with_mask) {
    const auto mask = with_mask ? attn_mask : torch::Tensor();
    auto centres = scope->centres({query_tensor(), mask, {}}, memory);
    ASSERT_EQ(centres.sizes(), (std::vector<int64_t>{B, Tq}));
    auto out = attention->attend({query_tensor(), mask, {}}, memory);
    std::vector<std::vector<Row>> rows(B);
    for (int b = 0; b < B; ++b) {
      for (int i = 0; i < Tq; ++i) {
        auto visible = [&](int j) { return j < lengths[b] && !(with_mask && attn[i][j]); };
        const double p = predicted_centre(b, i, visible);
        EXPECT_NEAR(centres[b][i].item<double>(), p, 1e-12) << b << i;
        // round(p) is piecewise constant; the case stays away from its jumps.
        ASSERT_GT(std::abs(p - std::floor(p) - 0.5), 0.05) << "p = " << p << " too close to a rounding boundary";
        rows[b].push_back(local_row(
            b, static_cast<int>(std::lround(p)), 1, visible, [&](int j) { return dot(b, i, j); },
            [&](int j) { return std::exp(-(j - p) * (j - p) / (2 * sigma * sigma)); }));
      }
    }
    SCOPED_TRACE(with_mask ? "with attn_mask" : "key padding only");
    expect_rows(out, rows, 1e-12);
  }
}

TEST(Scopes, LocalPWithAWindowOverEveryKeyAndInfiniteSigmaIsGlobal) {
  torch::manual_seed(3);
  auto global = make_attention(json{{"type", "global"}, {"score", "general"}});
  // D = Tk: any centre in [0, S] sees every key; sigma = 1e9 makes the Gaussian 1 - O(1e-18).
  auto local = make_attention(
      json{{"type", "local_p"}, {"score", "general"}, {"window", Tk}, {"sigma", 1e9}, {"predictor_hidden", 4}});
  {
    torch::NoGradGuard no_grad;
    auto to = local->named_parameters();
    for (const auto& p : global->named_parameters()) to[p.key()].copy_(p.value());
  }
  for (int pass = 0; pass < 2; ++pass) {
    auto query = pass == 0 ? query_tensor() : torch::randn({B, Tq, Dm}, torch::kDouble) * 3;
    auto a = global->forward(query, key_tensor(), value_tensor(), padding_mask());
    auto b = local->forward(query, key_tensor(), value_tensor(), padding_mask());
    ASSERT_EQ(a.weights.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
    ASSERT_EQ(b.weights.sizes(), (std::vector<int64_t>{B, Tq, 2 * Tk + 1}));
    ASSERT_EQ(a.context.sizes(), b.context.sizes());
    auto dense = dense_weights(b, Tk);
    ASSERT_EQ(dense.sizes(), a.weights.sizes());
    EXPECT_LT((dense - a.weights).abs().max().item<double>(), 1e-9) << "pass " << pass;
    EXPECT_LT((b.context - a.context).abs().max().item<double>(), 1e-9) << "pass " << pass;
  }
}

// A fully masked query row gives zero weights and zero context, never NaN, in every scope.
class FullyMaskedRow : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(FullyMaskedRow, GivesZerosAndNoNaN) {
  const auto& [spec_text, training] = GetParam();
  torch::manual_seed(0);
  auto attention = make_attention(json::parse(spec_text));
  attention->train(training);
  auto query = query_tensor().requires_grad_(true);
  auto values = value_tensor().requires_grad_(true);
  auto attn_mask = torch::zeros({Tq, Tk}, torch::kBool);
  attn_mask[0].fill_(true);  // query 0 may look nowhere
  auto out = attention->forward(query, key_tensor(), values, padding_mask(), attn_mask);
  ASSERT_EQ(out.context.sizes(), (std::vector<int64_t>{B, Tq, Dv}));
  auto dense = dense_weights(out, Tk);
  ASSERT_EQ(dense.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
  EXPECT_TRUE(torch::isfinite(out.weights).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(out.context).all().item<bool>());
  EXPECT_EQ(dense.select(1, 0).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(out.context.select(1, 0).abs().sum().item<double>(), 0.0);
  // The other row still attends: its weights are not all zero.
  EXPECT_GT(dense.select(1, 1).sum(-1).min().item<double>(), 0.0);
  auto loss = out.context.pow(2).sum();
  if (out.sample_log_prob.defined()) {
    ASSERT_EQ(out.sample_log_prob.sizes(), (std::vector<int64_t>{B, Tq}));
    EXPECT_EQ(out.sample_log_prob.select(1, 0).abs().sum().item<double>(), 0.0);
    EXPECT_EQ(out.entropy.select(1, 0).abs().sum().item<double>(), 0.0);
    EXPECT_TRUE(torch::isfinite(out.sample_log_prob).all().item<bool>());
    EXPECT_TRUE(torch::isfinite(out.entropy).all().item<bool>());
    loss = loss + out.sample_log_prob.sum() + out.entropy.sum();
  }
  loss.backward();
  ASSERT_TRUE(values.grad().defined());
  EXPECT_TRUE(torch::isfinite(values.grad()).all().item<bool>());
  // Only the argmax of hard attention in evaluation passes no gradient to the query.
  const bool argmax = json::parse(spec_text).at("type") == "hard" && !training;
  if (argmax) {
    EXPECT_FALSE(query.grad().defined());
  } else {
    ASSERT_TRUE(query.grad().defined());
    EXPECT_TRUE(torch::isfinite(query.grad()).all().item<bool>());
  }
}

/// Every registered scope over the dot score with its default options, in evaluation and in
/// training (hard: reinforce), and hard attention's other estimator in training.
std::vector<std::tuple<std::string, bool>> every_scope_spec() {
  std::vector<std::tuple<std::string, bool>> specs;
  for (const auto& e : scope_registry().entries())
    for (bool training : {false, true})
      specs.emplace_back(json{{"type", e.name}, {"score", "dot"}}.dump(), training);
  specs.emplace_back(json{{"type", "hard"}, {"score", "dot"}, {"estimator", "gumbel_st"}}.dump(), true);
  return specs;
}

INSTANTIATE_TEST_SUITE_P(EveryScope, FullyMaskedRow, ::testing::ValuesIn(every_scope_spec()));

// Gradients of the context with respect to the query and the keys (which are also the values),
// against central finite differences.
class LocalGradients : public ::testing::TestWithParam<std::string> {};

TEST_P(LocalGradients, MatchFiniteDifferences) {
  torch::manual_seed(1);
  const int64_t T = 5;
  auto attention = make_attention(json{{"type", GetParam()}, {"score", "general"}, {"window", 1}});
  auto query = torch::randn({B, T, Dm}, torch::dtype(torch::kDouble).requires_grad(true));
  auto keys = torch::randn({B, T, Dm}, torch::kDouble);
  auto mask = key_padding_mask_from_lengths(torch::tensor({5, 3}), T);
  if (auto scope = local_scope_of(attention); scope && scope->options.predictive()) {
    {
      torch::NoGradGuard no_grad;  // spread the predicted centres over the sequence
      scope->predictor_out->weight.mul_(6.0);
    }
    // round(p) jumps at .5: finite differences of step 1e-6 must not cross one.
    auto p = scope->centres({query, {}, {}}, attention->prepare(keys, keys, mask)).detach();
    auto distance = (p - p.floor() - 0.5).abs();
    ASSERT_GT(distance.min().item<double>(), 1e-3) << "centres " << p;
    ASSERT_GT((p.max() - p.min()).item<double>(), 0.5) << "centres barely move: " << p;
  }
  auto context_loss = [&](const torch::Tensor& qq, const torch::Tensor& kk) {
    return attention->forward(qq, kk, kk, mask).context.pow(2).sum();
  };
  test_util::expect_gradient_matches_finite_differences([&](const torch::Tensor& qq) { return context_loss(qq, keys); },
                                                        query, GetParam() + " d/dquery");
  auto keys_grad = keys.clone().requires_grad_(true);
  test_util::expect_gradient_matches_finite_differences(
      [&](const torch::Tensor& kk) { return context_loss(query.detach(), kk); }, keys_grad,
      GetParam() + " d/dkeys (and values)");
}

INSTANTIATE_TEST_SUITE_P(LocalScopes, LocalGradients, ::testing::Values("local_m", "local_p"));

// score_window (used by local scopes) agrees with forward (used by global) for every score: the
// scores at the window's keys are equal, and local_m's weights are global's with every key
// outside the window masked.
class ScoreWindow : public ::testing::TestWithParam<std::string> {};

TEST_P(ScoreWindow, LocalMIsGlobalRestrictedToTheWindow) {
  torch::manual_seed(2);
  const int64_t T = 5, D = 1, dims = 4;
  auto global = make_attention(json{{"type", "global"}, {"score", GetParam()}}, dims, dims);
  auto local = make_attention(json{{"type", "local_m"}, {"score", GetParam()}, {"window", D}}, dims, dims);
  {
    torch::NoGradGuard no_grad;
    auto to = local->named_parameters();
    const auto from = global->named_parameters();
    ASSERT_EQ(to.size(), from.size());
    for (const auto& p : from) to[p.key()].copy_(p.value());
  }
  auto query = torch::randn({B, T, dims}, torch::kDouble);
  auto keys = torch::randn({B, T, dims}, torch::kDouble);
  auto values = torch::randn({B, T, Dv}, torch::kDouble);
  auto mask = key_padding_mask_from_lengths(torch::tensor({5, 3}), T);

  // The raw scores: score_window at each query's window vs forward gathered there.
  auto score = std::dynamic_pointer_cast<ScopedAttentionImpl>(local)->score;
  auto projected = score->project_keys(keys);                                                  // [B, T, *]
  auto index = (torch::arange(T, torch::kLong).view({1, T, 1}) + torch::arange(-D, D + 1, torch::kLong))
                   .clamp(0, T - 1)
                   .expand({B, T, 2 * D + 1})
                   .contiguous();                                                              // [B, T, W]
  auto windowed = score->score_window(query, gather_windows(projected, index), index);         // [B, T, W]
  auto everywhere = score->forward(query, projected);                                         // [B, T, T]
  ASSERT_EQ(windowed.sizes(), (std::vector<int64_t>{B, T, 2 * D + 1}));
  ASSERT_EQ(everywhere.sizes(), (std::vector<int64_t>{B, T, T}));
  EXPECT_LT((windowed - everywhere.gather(2, index)).abs().max().item<double>(), 1e-12);

  // The weights and contexts: local_m == global with the band |i - j| > D masked.
  auto band = (torch::arange(T).view({T, 1}) - torch::arange(T).view({1, T})).abs().gt(D);  // [T, T]
  auto restricted = global->forward(query, keys, values, mask, band);
  auto out = local->forward(query, keys, values, mask);
  ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, T, 2 * D + 1}));
  auto dense = dense_weights(out, T);
  ASSERT_EQ(dense.sizes(), restricted.weights.sizes());
  EXPECT_LT((dense - restricted.weights).abs().max().item<double>(), 1e-12);
  ASSERT_EQ(out.context.sizes(), restricted.context.sizes());
  EXPECT_LT((out.context - restricted.context).abs().max().item<double>(), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(EveryScore, ScoreWindow,
                         ::testing::Values("dot", "scaled_dot", "general", "additive", "location"));

TEST(Scopes, LocalWeightsHoldTwoDPlusOneKeysWhateverTheLength) {
  torch::manual_seed(4);
  const int64_t dims = 4;
  for (const char* type : {"local_m", "local_p"}) {
    for (int64_t D : {0, 1, 3}) {
      auto attention = make_attention(json{{"type", type}, {"score", "dot"}, {"window", D}}, dims, dims);
      for (int64_t T : {6, 40}) {
        auto query = torch::randn({B, T, dims}, torch::kDouble);
        auto keys = torch::randn({B, T, dims}, torch::kDouble);
        auto out = attention->forward(query, keys, torch::randn({B, T, Dv}, torch::kDouble));
        SCOPED_TRACE(std::string(type) + " D=" + std::to_string(D) + " T=" + std::to_string(T));
        ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, T, 2 * D + 1}));
        ASSERT_EQ(out.positions.sizes(), (std::vector<int64_t>{B, T, 2 * D + 1}));
        ASSERT_EQ(out.context.sizes(), (std::vector<int64_t>{B, T, Dv}));
        auto sums = dense_weights(out, T).sum(-1);  // [B, T]
        if (std::string(type) == "local_m") {
          // The window is centred on the query's own step.
          auto expected = (torch::arange(T).view({1, T, 1}) + torch::arange(-D, D + 1)).expand({B, T, 2 * D + 1});
          EXPECT_TRUE(torch::equal(out.positions, expected));
          EXPECT_LT((sums - 1).abs().max().item<double>(), 1e-12);
        } else {
          // Gaussian-weighted and not renormalised: at most one.
          EXPECT_LE(sums.max().item<double>(), 1 + 1e-12);
          EXPECT_GT(sums.min().item<double>(), 0.0);
        }
      }
    }
  }
}

}  // namespace
}  // namespace attnlab

namespace attnlab {
namespace {

// The three ways a local scope computes its result agree: scoring the gathered windows, scoring
// every key with the window applied as a band (what forward does when the keys are few), and
// (local_m) reading the windows as views of the keys shifted by each window slot.
// Weights, positions, context and the gradients of query, keys and values are compared, with key
// padding and a causal attn_mask, for every score and both local scopes.
class LocalBandAndWindows : public ::testing::TestWithParam<std::string> {};

TEST_P(LocalBandAndWindows, GiveTheSameResultsAndGradients) {
  const int64_t dims = 4, T = 9;
  for (const char* type : {"local_m", "local_p"}) {
    for (int64_t D : {0, 1, 3}) {
      for (bool causal : {false, true}) {
        SCOPED_TRACE(std::string(type) + " " + GetParam() + " D=" + std::to_string(D) + (causal ? " causal" : ""));
        torch::manual_seed(7);
        auto attention = make_attention(json{{"type", type}, {"score", GetParam()}, {"window", D}}, dims, dims);
        auto scope = local_scope_of(attention);
        ASSERT_TRUE(scope);
        auto query = torch::randn({B, T, dims}, torch::kDouble);
        auto keys = torch::randn({B, T, dims}, torch::kDouble);
        auto values = torch::randn({B, T, Dv}, torch::kDouble);
        auto padding = key_padding_mask_from_lengths(torch::tensor({9, 6}), T);
        auto attn_mask = causal ? torch::ones({T, T}, torch::kBool).triu(1) : torch::Tensor();
        struct Result {
          AttentionOutput out;
          std::vector<torch::Tensor> grads;
        };
        auto run = [&](int64_t dense_keys_per_window, bool views = false) {
          scope->dense_keys_per_window = dense_keys_per_window;
          scope->windows_as_views = views;
          Result r;
          auto qq = query.clone().requires_grad_(true), kk = keys.clone().requires_grad_(true),
               vv = values.clone().requires_grad_(true);
          r.out = attention->forward(qq, kk, vv, padding, attn_mask);
          (r.out.context.pow(2).sum() + r.out.weights.pow(2).sum()).backward();
          r.grads = {qq.grad(), kk.grad(), vv.grad()};
          return r;
        };
        const auto windows = run(0);
        ASSERT_FALSE(scope->scores_every_key(T));
        const auto band = run(1000);
        ASSERT_TRUE(scope->scores_every_key(T));
        const auto views = run(0, true);
        const bool monotonic = std::string(type) == "local_m";
        ASSERT_EQ(scope->windows_are_shifted(views.out.positions), monotonic);
        ASSERT_EQ(views.out.weights.sizes(), windows.out.weights.sizes());
        EXPECT_TRUE(torch::equal(views.out.positions, windows.out.positions));
        EXPECT_LT((views.out.weights - windows.out.weights).abs().max().item<double>(), 1e-12);
        EXPECT_LT((views.out.context - windows.out.context).abs().max().item<double>(), 1e-12);
        for (size_t i = 0; i < windows.grads.size(); ++i) {
          ASSERT_EQ(windows.grads[i].defined(), views.grads[i].defined()) << "input " << i;
          if (windows.grads[i].defined()) {
            EXPECT_LT((views.grads[i] - windows.grads[i]).abs().max().item<double>(), 1e-12) << "views, input " << i;
          }
        }
        ASSERT_EQ(windows.out.weights.sizes(), (std::vector<int64_t>{B, T, 2 * D + 1}));
        ASSERT_EQ(band.out.weights.sizes(), windows.out.weights.sizes());
        EXPECT_TRUE(torch::equal(band.out.positions, windows.out.positions));
        EXPECT_LT((band.out.weights - windows.out.weights).abs().max().item<double>(), 1e-12);
        ASSERT_EQ(band.out.context.sizes(), windows.out.context.sizes());
        EXPECT_LT((band.out.context - windows.out.context).abs().max().item<double>(), 1e-12);
        EXPECT_GT(windows.out.context.abs().sum().item<double>(), 0.0);
        for (size_t i = 0; i < windows.grads.size(); ++i) {
          // (The location score does not read the keys: no gradient reaches them on either path.)
          ASSERT_EQ(windows.grads[i].defined(), band.grads[i].defined()) << "input " << i;
          if (!windows.grads[i].defined()) continue;
          EXPECT_LT((band.grads[i] - windows.grads[i]).abs().max().item<double>(), 1e-12) << "input " << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryScore, LocalBandAndWindows,
                         ::testing::Values("dot", "scaled_dot", "general", "additive", "location"));

}  // namespace
}  // namespace attnlab
