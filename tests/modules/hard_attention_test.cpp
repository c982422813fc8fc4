// Hard attention (Xu et al. 2015) against its definition, worked out with scalars:
//   p_j = softmax of the scores over the unpadded keys; the context is the value at ONE key,
//   argmax_j p_j in evaluation, a sample from p in training.
//   reinforce: log p(sample) and the entropy -sum p log p are returned, and the surrogate
//     -lambda_r (r - b) sum_t log p(s_t) - lambda_e sum_t H_t  (per real step)
//   moves a toy two-armed choice toward the rewarded arm; the baseline b follows the mean reward.
//   gumbel_st: a one-hot forward pass that still passes a gradient to the query.
// Legend: B batch, Tq query steps, Tk key steps, Dv value dims, T target steps.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/scoped_attention.h"
#include "modules/scopes/hard.h"
#include "tests/test_support.h"

namespace attnlab {
namespace {

constexpr int B = 2, Tq = 2, Tk = 3, Dm = 2, Dv = 3;
// In the second sequence the padded key 2 has by far the largest score for query 0.
const double q[B][Tq][Dm] = {{{0.3, -0.2}, {-1.0, 0.5}}, {{1.0, 0.4}, {-0.7, 0.2}}};
const double k[B][Tk][Dm] = {{{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.5}}, {{0.2, 0.2}, {-0.5, 1.0}, {9.0, 9.0}}};
const double v[B][Tk][Dv] = {{{1.0, 2.0, 3.0}, {-1.0, 0.5, 0.0}, {0.25, -2.0, 4.0}},
                             {{0.5, 0.5, -0.5}, {2.0, -1.0, 1.0}, {7.0, 7.0, 7.0}}};
const int lengths[B] = {3, 2};

using test_util::tensor3;
torch::Tensor padding_mask() { return key_padding_mask_from_lengths(torch::tensor({lengths[0], lengths[1]}), Tk); }

double dot(int b, int i, int j) { return q[b][i][0] * k[b][j][0] + q[b][i][1] * k[b][j][1]; }

/// p_j: softmax of the dot scores over the unpadded keys (0 at padding).
std::vector<double> probabilities(int b, int i) {
  double denominator = 0;
  for (int j = 0; j < lengths[b]; ++j) denominator += std::exp(dot(b, i, j));
  std::vector<double> p(Tk, 0.0);
  for (int j = 0; j < lengths[b]; ++j) p[j] = std::exp(dot(b, i, j)) / denominator;
  return p;
}

std::shared_ptr<AttentionImpl> make_hard(const std::string& estimator, int64_t dims = Dm) {
  auto spec = attention_registry().resolve(json{{"type", "hard"}, {"score", "dot"}, {"estimator", estimator}}, "");
  auto attention = attention_registry().create(spec, AttentionDims{dims, dims});
  attention->to(torch::kDouble);
  return attention;
}

std::shared_ptr<HardScopeImpl> hard_scope_of(const std::shared_ptr<AttentionImpl>& attention) {
  auto scoped = std::dynamic_pointer_cast<ScopedAttentionImpl>(attention);
  return scoped ? std::dynamic_pointer_cast<HardScopeImpl>(scoped->scope) : nullptr;
}

/// The index of the single 1 in a row that must be exactly one-hot; -1 (and a failure) if it is not.
int one_hot_index(const torch::Tensor& row) {
  int index = -1, ones = 0;
  for (int64_t j = 0; j < row.size(0); ++j) {
    const double w = row[j].item<double>();
    if (w == 1.0) {
      index = static_cast<int>(j);
      ++ones;
    } else {
      EXPECT_EQ(w, 0.0) << "entry " << j << " of a row that should be one-hot";
    }
  }
  EXPECT_EQ(ones, 1) << row;
  return ones == 1 ? index : -1;
}

TEST(HardAttention, EvaluationPicksTheArgmaxAndNeverAPaddedKey) {
  for (const std::string estimator : {"reinforce", "gumbel_st"}) {
    auto attention = make_hard(estimator);
    attention->eval();
    auto out = attention->forward(tensor3(&q[0][0][0], B, Tq, Dm), tensor3(&k[0][0][0], B, Tk, Dm),
                                  tensor3(&v[0][0][0], B, Tk, Dv), padding_mask());
    ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
    ASSERT_EQ(out.context.sizes(), (std::vector<int64_t>{B, Tq, Dv}));
    EXPECT_FALSE(out.sample_log_prob.defined());
    for (int b = 0; b < B; ++b) {
      for (int i = 0; i < Tq; ++i) {
        const auto p = probabilities(b, i);
        int best = 0;
        for (int j = 1; j < Tk; ++j)
          if (p[j] > p[best]) best = j;
        EXPECT_EQ(one_hot_index(out.weights[b][i]), best) << estimator << " " << b << i;
        EXPECT_DOUBLE_EQ(out.weights[b][i].sum().item<double>(), 1.0);
        for (int d = 0; d < Dv; ++d) EXPECT_EQ(out.context[b][i][d].item<double>(), v[b][best][d]) << b << i << d;
      }
    }
    // The case is not trivial: the padded key would win on its score, and the choices differ.
    EXPECT_GT(dot(1, 0, 2), std::max(dot(1, 0, 0), dot(1, 0, 1)));
    EXPECT_EQ(out.weights[1][0][2].item<double>(), 0.0);
    EXPECT_FALSE(torch::equal(out.weights[0][0], out.weights[0][1]));
  }
}

TEST(HardAttention, ReinforceSamplesOneKeyAndReturnsItsLogProbabilityAndTheEntropy) {
  torch::manual_seed(0);
  auto attention = make_hard("reinforce");
  attention->train();
  auto query = tensor3(&q[0][0][0], B, Tq, Dm).requires_grad_(true);
  for (int draw = 0; draw < 20; ++draw) {
    auto out = attention->forward(query, tensor3(&k[0][0][0], B, Tk, Dm), tensor3(&v[0][0][0], B, Tk, Dv),
                                  padding_mask());
    ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
    ASSERT_EQ(out.sample_log_prob.sizes(), (std::vector<int64_t>{B, Tq}));
    ASSERT_EQ(out.entropy.sizes(), (std::vector<int64_t>{B, Tq}));
    // The sample carries no gradient to the context; log p and the entropy do to the query.
    EXPECT_FALSE(out.context.requires_grad());
    EXPECT_TRUE(out.sample_log_prob.requires_grad());
    for (int b = 0; b < B; ++b) {
      for (int i = 0; i < Tq; ++i) {
        const auto p = probabilities(b, i);
        const int chosen = one_hot_index(out.weights[b][i]);
        ASSERT_GE(chosen, 0);
        EXPECT_LT(chosen, lengths[b]) << "a padded key was sampled";
        EXPECT_NEAR(out.sample_log_prob[b][i].item<double>(), std::log(p[chosen]), 1e-12);
        double entropy = 0;
        for (int j = 0; j < lengths[b]; ++j) entropy -= p[j] * std::log(p[j]);
        EXPECT_NEAR(out.entropy[b][i].item<double>(), entropy, 1e-12);
        for (int d = 0; d < Dv; ++d) EXPECT_EQ(out.context[b][i][d].item<double>(), v[b][chosen][d]);
      }
    }
  }
}

TEST(HardAttention, SamplingFrequenciesApproachTheProbabilities) {
  torch::manual_seed(1);
  auto attention = make_hard("reinforce");
  attention->train();
  const int64_t draws = 20000;
  // One sequence, the same query repeated: every row is an independent draw.
  for (int b = 0; b < B; ++b) {
    auto query = tensor3(&q[b][0][0], 1, 1, Dm).expand({1, draws, Dm});
    auto keys = tensor3(&k[b][0][0], 1, Tk, Dm);
    auto mask = padding_mask().narrow(0, b, 1);
    auto out = attention->forward(query, keys, keys, mask);
    ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{1, draws, Tk}));
    auto frequency = out.weights.sum(1).squeeze(0) / static_cast<double>(draws);  // [Tk]
    const auto p = probabilities(b, 0);
    for (int j = 0; j < Tk; ++j) EXPECT_NEAR(frequency[j].item<double>(), p[j], 0.015) << b << j;  // ~4 sd
    EXPECT_EQ(out.weights.sum().item<double>(), static_cast<double>(draws));
  }
}

TEST(HardAttention, NoEstimatorEverChoosesAPaddedKey) {
  torch::manual_seed(2);
  const int64_t draws = 2000;
  for (const std::string estimator : {"reinforce", "gumbel_st"}) {
    auto attention = make_hard(estimator);
    attention->train();
    auto query = tensor3(&q[1][0][0], 1, 1, Dm).expand({1, draws, Dm});  // its padded key scores highest
    auto keys = tensor3(&k[1][0][0], 1, Tk, Dm);
    auto out = attention->forward(query, keys, keys, padding_mask().narrow(0, 1, 1));
    ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{1, draws, Tk}));
    EXPECT_EQ(out.weights.select(2, 2).abs().sum().item<double>(), 0.0) << estimator;
    EXPECT_EQ(out.weights.detach().sum().item<double>(), static_cast<double>(draws)) << estimator;
  }
}

TEST(HardAttention, GumbelStraightThroughIsOneHotForwardYetPassesAGradient) {
  torch::manual_seed(3);
  auto attention = make_hard("gumbel_st", 4);
  attention->train();
  auto query = torch::randn({B, 5, 4}, torch::dtype(torch::kDouble).requires_grad(true));
  auto keys = torch::randn({B, 6, 4}, torch::kDouble);
  auto values = torch::randn({B, 6, Dv}, torch::kDouble);
  auto out = attention->forward(query, keys, values, key_padding_mask_from_lengths(torch::tensor({6, 4}), 6));
  ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, 5, 6}));
  ASSERT_EQ(out.context.sizes(), (std::vector<int64_t>{B, 5, Dv}));
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < 5; ++i) {
      const int chosen = one_hot_index(out.weights[b][i]);  // exactly 0 and 1, not 1 - 1e-17
      ASSERT_GE(chosen, 0);
      EXPECT_LT(chosen, b == 0 ? 6 : 4);
      for (int d = 0; d < Dv; ++d) EXPECT_EQ(out.context[b][i][d].item<double>(), values[b][chosen][d].item<double>());
    }
  }
  EXPECT_FALSE(out.sample_log_prob.defined());
  (out.context * torch::randn({B, 5, Dv}, torch::kDouble)).sum().backward();
  ASSERT_TRUE(query.grad().defined());
  EXPECT_TRUE(torch::isfinite(query.grad()).all().item<bool>());
  EXPECT_GT(query.grad().abs().sum().item<double>(), 1e-6);
  // There is no score-function term to add.
  EXPECT_FALSE(attention->estimator_loss(torch::zeros({B, 5}, torch::kDouble), torch::zeros({B, 5}, torch::kDouble),
                                         torch::zeros({B}, torch::kDouble), torch::ones({B, 5}, torch::kBool))
                   .defined());
  EXPECT_FALSE(attention->estimator_loss(out.sample_log_prob, out.entropy, torch::zeros({B}, torch::kDouble),
                                         torch::ones({B, 5}, torch::kBool))
                   .defined());
}

TEST(HardAttention, EstimatorLossIsTheReinforceSurrogateAndTheBaselineFollowsTheMeanReward) {
  auto attention = make_hard("reinforce");
  auto scope = hard_scope_of(attention);
  ASSERT_TRUE(scope);
  attention->train();
  const double lambda_r = scope->options.reinforce_weight(), lambda_e = scope->options.entropy_weight();
  const double decay = scope->options.baseline_decay();
  // [B, T] with T = 2; the second sequence has one real step.
  const double log_p[2][2] = {{-0.5, -1.0}, {-0.2, -2.0}};
  const double entropy[2][2] = {{0.6, 0.5}, {0.3, 0.2}};
  const bool real[2][2] = {{true, true}, {true, false}};
  auto lp = torch::from_blob(const_cast<double*>(&log_p[0][0]), {2, 2}, torch::kDouble).clone();
  auto h = torch::from_blob(const_cast<double*>(&entropy[0][0]), {2, 2}, torch::kDouble).clone();
  auto mask = torch::from_blob(const_cast<bool*>(&real[0][0]), {2, 2}, torch::kBool).clone();

  auto expected_loss = [&](const double reward[2], double baseline) {
    double reinforce = 0, bonus = 0, tokens = 0;
    for (int b = 0; b < 2; ++b)
      for (int t = 0; t < 2; ++t)
        if (real[b][t]) {
          reinforce -= (reward[b] - baseline) * log_p[b][t];
          bonus += entropy[b][t];
          tokens += 1;
        }
    return lambda_r * reinforce / tokens - lambda_e * bonus / tokens;
  };

  // First batch: no baseline yet, so b is this batch's mean reward.
  const double r1[2] = {1.0, 3.0};
  auto loss = attention->estimator_loss(lp, h, torch::tensor({r1[0], r1[1]}, torch::kDouble), mask);
  ASSERT_TRUE(loss.defined());
  ASSERT_EQ(loss.dim(), 0);
  EXPECT_NEAR(loss.item<double>(), expected_loss(r1, 2.0), 1e-12);
  EXPECT_DOUBLE_EQ(scope->baseline.item<double>(), 2.0);
  // Second batch: the advantage uses the old baseline, which then moves toward the new mean 0.5.
  const double r2[2] = {0.0, 1.0};
  loss = attention->estimator_loss(lp, h, torch::tensor({r2[0], r2[1]}, torch::kDouble), mask);
  EXPECT_NEAR(loss.item<double>(), expected_loss(r2, 2.0), 1e-12);
  EXPECT_NEAR(scope->baseline.item<double>(), decay * 2.0 + (1 - decay) * 0.5, 1e-12);
  EXPECT_EQ(scope->baseline_updates.item<int64_t>(), 2);
  // Evaluation computes the loss but leaves the baseline alone.
  attention->eval();
  const double before = scope->baseline.item<double>();
  attention->estimator_loss(lp, h, torch::tensor({r2[0], r2[1]}, torch::kDouble), mask);
  EXPECT_EQ(scope->baseline.item<double>(), before);
  EXPECT_EQ(scope->baseline_updates.item<int64_t>(), 2);
}

TEST(HardAttention, ReinforceMovesATwoArmedChoiceTowardTheRewardedArm) {
  torch::manual_seed(4);
  const int64_t batch = 16;
  auto attention = make_hard("reinforce");
  auto scope = hard_scope_of(attention);
  ASSERT_TRUE(scope);
  attention->train();
  // Two keys e0, e1 under the dot score: p(key 0) = sigmoid(q_0 - q_1), 0.5 at the start.
  auto keys = torch::eye(2, torch::kDouble).unsqueeze(0).expand({batch, 2, 2});
  auto query = torch::zeros({1, 1, 2}, torch::dtype(torch::kDouble).requires_grad(true));
  auto p_key0 = [&] { return torch::sigmoid(query[0][0][0] - query[0][0][1]).item<double>(); };
  EXPECT_DOUBLE_EQ(p_key0(), 0.5);
  torch::optim::SGD optimizer({query}, torch::optim::SGDOptions(0.5));
  const auto step_mask = torch::ones({batch, 1}, torch::kBool);
  double last_mean_reward = 0;
  for (int step = 0; step < 200; ++step) {
    auto out = attention->forward(query.expand({batch, 1, 2}), keys, keys);
    auto reward = out.weights.select(1, 0).select(1, 0).detach();  // [B]: 1 when key 0 was chosen
    last_mean_reward = reward.mean().item<double>();
    auto loss = attention->estimator_loss(out.sample_log_prob, out.entropy, reward, step_mask);
    ASSERT_TRUE(loss.defined());
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  EXPECT_GT(p_key0(), 0.9);
  // The baseline has followed the mean reward up from 0.5.
  EXPECT_GT(scope->baseline.item<double>(), 0.8);
  EXPECT_GT(last_mean_reward, 0.5);
  EXPECT_EQ(scope->baseline_updates.item<int64_t>(), 200);
}

}  // namespace
}  // namespace attnlab
