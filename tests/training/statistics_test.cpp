// The statistics of the comparison report against hand-worked cases: Student's t (the Cauchy
// distribution at one degree of freedom, printed quantile tables), the 95% interval over three
// seeds worked out by hand, and paired bootstrap cases whose answer is certain or computable.

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "training/statistics.h"

namespace attnlab {
namespace {

TEST(Statistics, StudentTAtOneDegreeIsCauchy) {
  // F(t) = 1/2 + atan(t) / π for ν = 1.
  for (double t : {-3.0, -1.0, -0.2, 0.0, 0.5, 1.0, 7.0})
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / M_PI, 1e-12) << t;
  EXPECT_NEAR(student_t_cdf(1, 1), 0.75, 1e-12);
}

TEST(Statistics, StudentTQuantilesMatchTheTables) {
  // Two-sided 95% critical values t(0.975, ν) as printed in every table.
  const std::vector<std::pair<double, double>> table = {
      {1, 12.7062047362}, {2, 4.30265272975}, {3, 3.18244630528}, {4, 2.7764451052}, {9, 2.26215716274},
      {29, 2.04522964213}, {1e7, 1.959964222}};  // the last: z + (z³ + z) / (4ν), z = 1.959963985
  for (const auto& [dof, expected] : table) {
    EXPECT_NEAR(student_t_quantile(0.975, dof), expected, 1e-6 * expected) << "dof " << dof;
    EXPECT_NEAR(student_t_quantile(0.025, dof), -expected, 1e-6 * expected) << "dof " << dof;
    EXPECT_NEAR(student_t_cdf(expected, dof), 0.975, 1e-9) << "dof " << dof;
  }
  EXPECT_NEAR(student_t_quantile(0.5, 3), 0.0, 1e-9);
  EXPECT_THROW(student_t_quantile(1.0, 3), std::invalid_argument);
  EXPECT_THROW(student_t_cdf(1.0, 0), std::invalid_argument);
}

TEST(Statistics, NinetyFivePercentIntervalOfThreeSeeds) {
  // {10, 12, 14}: mean 12, s = 2, half-width t(0.975, 2) · 2 / √3 = 4.30265273 · 1.15470054 = 4.96827.
  const auto interval = t_confidence_interval({10, 12, 14});
  EXPECT_DOUBLE_EQ(interval.mean, 12);
  EXPECT_NEAR(interval.low, 12 - 4.968275, 1e-5);
  EXPECT_NEAR(interval.high, 12 + 4.968275, 1e-5);
  // One seed: a mean and no interval.
  const auto one = t_confidence_interval({3});
  EXPECT_DOUBLE_EQ(one.mean, 3);
  EXPECT_TRUE(std::isnan(one.low) && std::isnan(one.high));
  // Identical seeds: an interval of zero width.
  const auto same = t_confidence_interval({0.5, 0.5, 0.5, 0.5});
  EXPECT_DOUBLE_EQ(same.low, 0.5);
  EXPECT_DOUBLE_EQ(same.high, 0.5);
}

/// Accuracy from summed {correct, total}.
double accuracy(const std::vector<double>& summed) { return summed.at(0) / summed.at(1); }

/// n examples, each {1, 1} (right) for the first `right` of them and {0, 1} after.
std::vector<std::vector<double>> answers(size_t n, size_t right) {
  std::vector<std::vector<double>> stats;
  for (size_t i = 0; i < n; ++i) stats.push_back({i < right ? 1.0 : 0.0, 1.0});
  return stats;
}

TEST(Statistics, WelchTestOfThreeSeedsEachByHand) {
  // a = {1, 2, 3}, b = {4, 5, 6}: Δ 3, s² = 1 each, t = 3 / √(2/3), ν = (2/3)² / (2 · (1/3)² / 2) = 4.
  // Student t with 4 degrees of freedom: F(t) = 1/2 + (3/4) x − x³/4 with x = t / √(4 + t²).
  const auto test = welch_t_test({1, 2, 3}, {4, 5, 6});
  const double t = 3 / std::sqrt(2.0 / 3.0), x = t / std::sqrt(4 + t * t);
  EXPECT_DOUBLE_EQ(test.difference, 3.0);
  EXPECT_NEAR(test.t, t, 1e-12);
  EXPECT_NEAR(test.dof, 4.0, 1e-12);
  EXPECT_NEAR(test.p_value, 2 * (0.5 - 0.75 * x + x * x * x / 4), 1e-9);  // 0.0213
  EXPECT_NEAR(welch_t_test({4, 5, 6}, {1, 2, 3}).p_value, test.p_value, 1e-12);  // two-sided
  EXPECT_DOUBLE_EQ(welch_t_test({1, 2, 3}, {1, 2, 3}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(welch_t_test({2, 2}, {3, 3}).p_value, 0.0);  // no spread, different means
  EXPECT_TRUE(std::isnan(welch_t_test({1}, {2, 3}).p_value));  // one seed: no spread to test against
}

TEST(Statistics, PairedBootstrapOfIdenticalSystemsFindsNoDifference) {
  const auto a = answers(40, 25);
  const auto result = paired_bootstrap(a, a, accuracy);
  EXPECT_EQ(result.resamples, 1000);
  EXPECT_DOUBLE_EQ(result.metric_a, 25.0 / 40);
  EXPECT_DOUBLE_EQ(result.difference, 0.0);
  EXPECT_DOUBLE_EQ(result.p_value, 1.0);
}

TEST(Statistics, PairedBootstrapOfADominatingSystemIsCertain) {
  // B is right wherever A is, and on 20 more of 50 examples: every resample favours B.
  const auto result = paired_bootstrap(answers(50, 10), answers(50, 30), accuracy);
  EXPECT_DOUBLE_EQ(result.metric_a, 0.2);
  EXPECT_DOUBLE_EQ(result.metric_b, 0.6);
  EXPECT_DOUBLE_EQ(result.difference, 0.4);
  EXPECT_DOUBLE_EQ(result.p_value, 0.0);
  // The other way round: the same certainty, the difference negative.
  const auto reversed = paired_bootstrap(answers(50, 30), answers(50, 10), accuracy);
  EXPECT_DOUBLE_EQ(reversed.difference, -0.4);
  EXPECT_DOUBLE_EQ(reversed.p_value, 0.0);
}

TEST(Statistics, PairedBootstrapOfOneDifferingExampleIsTheChanceOfMissingIt) {
  // B differs from A on one example of 100 only: a resample favours B exactly when it draws that
  // example, so p = P(never drawn in 100 draws) = 0.99^100 = 0.366 (± 0.015 over 1,000 resamples).
  const auto result = paired_bootstrap(answers(100, 50), answers(100, 51), accuracy);
  EXPECT_NEAR(result.difference, 0.01, 1e-12);
  EXPECT_NEAR(result.p_value, std::pow(0.99, 100), 0.06);
  // Fixed seed: the same answer every time.
  EXPECT_DOUBLE_EQ(paired_bootstrap(answers(100, 50), answers(100, 51), accuracy).p_value, result.p_value);
}

TEST(Statistics, PairedBootstrapRefusesUnpairedExamples) {
  EXPECT_THROW(paired_bootstrap(answers(3, 1), answers(4, 1), accuracy), std::invalid_argument);
  EXPECT_THROW(paired_bootstrap({}, {}, accuracy), std::invalid_argument);
  EXPECT_THROW(paired_bootstrap({{1, 1}, {1}}, {{1, 1}, {1, 1}}, accuracy), std::invalid_argument);
}

}  // namespace
}  // namespace attnlab
