#include "training/statistics.h"

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

namespace attnlab {

std::pair<double, double> mean_and_std(const std::vector<double>& values) {
  if (values.empty()) return {NAN, NAN};
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / values.size();
  if (values.size() < 2) return {mean, NAN};  // one seed says nothing of the spread
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / (values.size() - 1))};
}

namespace {

/// The continued fraction of the regularised incomplete beta function (modified Lentz's method,
/// as in Numerical Recipes §6.4), converging for x < (a + 1) / (a + b + 2).
double incomplete_beta_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300, kEpsilon = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double step = m * (b - m) * x / ((a + m2 - 1) * (a + m2));  // even step
    d = 1 + step * d;
    c = 1 + step / c;
    if (std::abs(d) < kTiny) d = kTiny;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    step = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));  // odd step
    d = 1 + step * d;
    c = 1 + step / c;
    if (std::abs(d) < kTiny) d = kTiny;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) break;
  }
  return h;
}

/// I_x(a, b), the regularised incomplete beta function.
double regularised_incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1) / (a + b + 2)) return front * incomplete_beta_fraction(a, b, x) / a;
  return 1 - front * incomplete_beta_fraction(b, a, 1 - x) / b;
}

}  // namespace

double student_t_cdf(double t, double dof) {
  if (!(dof > 0)) throw std::invalid_argument("student_t_cdf: degrees of freedom must be positive");
  // P(|T| > |t|) = I_{ν / (ν + t²)}(ν / 2, 1 / 2).
  const double tail = 0.5 * regularised_incomplete_beta(dof / 2, 0.5, dof / (dof + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double dof) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument("student_t_quantile: p must lie in (0, 1)");
  if (p < 0.5) return -student_t_quantile(1 - p, dof);
  // Bisection on the CDF, which is increasing: the bracket grows until it holds the quantile.
  double low = 0, high = 1;
  while (student_t_cdf(high, dof) < p) high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-12 * std::max(1.0, high); ++i) {
    const double middle = 0.5 * (low + high);
    (student_t_cdf(middle, dof) < p ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

ConfidenceInterval t_confidence_interval(const std::vector<double>& values, double level) {
  if (!(level > 0 && level < 1)) throw std::invalid_argument("t_confidence_interval: level must lie in (0, 1)");
  const auto [mean, std] = mean_and_std(values);
  ConfidenceInterval interval{mean, NAN, NAN};
  if (values.size() < 2) return interval;
  const double n = static_cast<double>(values.size());
  const double half_width = student_t_quantile((1 + level) / 2, n - 1) * std / std::sqrt(n);
  interval.low = mean - half_width;
  interval.high = mean + half_width;
  return interval;
}

WelchTest welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  WelchTest test;
  const auto [mean_a, std_a] = mean_and_std(a);
  const auto [mean_b, std_b] = mean_and_std(b);
  test.difference = mean_b - mean_a;
  if (a.size() < 2 || b.size() < 2) {
    test.t = test.dof = test.p_value = std::nan("");
    return test;
  }
  const double va = std_a * std_a / static_cast<double>(a.size()), vb = std_b * std_b / static_cast<double>(b.size());
  if (va + vb == 0) {
    test.t = test.difference == 0 ? 0 : std::copysign(INFINITY, test.difference);
    test.dof = static_cast<double>(a.size() + b.size() - 2);
    test.p_value = test.difference == 0 ? 1 : 0;
    return test;
  }
  test.t = test.difference / std::sqrt(va + vb);
  test.dof = (va + vb) * (va + vb) /
             (va * va / static_cast<double>(a.size() - 1) + vb * vb / static_cast<double>(b.size() - 1));
  test.p_value = 2 * (1 - student_t_cdf(std::abs(test.t), test.dof));
  return test;
}

BootstrapResult paired_bootstrap(const std::vector<std::vector<double>>& stats_a,
                                 const std::vector<std::vector<double>>& stats_b, const CorpusMetric& metric,
                                 int64_t resamples, uint64_t seed) {
  const size_t n = stats_a.size();
  if (n == 0 || stats_b.size() != n)
    throw std::invalid_argument("paired_bootstrap: needs the same, non-empty set of examples for both systems (" +
                                std::to_string(n) + " and " + std::to_string(stats_b.size()) + ")");
  if (resamples < 1) throw std::invalid_argument("paired_bootstrap: needs at least one resample");
  const size_t width = stats_a[0].size();
  for (size_t i = 0; i < n; ++i)
    if (stats_a[i].size() != width || stats_b[i].size() != width)
      throw std::invalid_argument("paired_bootstrap: example " + std::to_string(i) + " has " +
                                  std::to_string(stats_a[i].size()) + " and " + std::to_string(stats_b[i].size()) +
                                  " statistics, the first had " + std::to_string(width));
  auto summed = [&](const std::vector<std::vector<double>>& stats, const std::vector<size_t>& draw) {
    std::vector<double> sum(width, 0.0);
    for (size_t i : draw)
      for (size_t k = 0; k < width; ++k) sum[k] += stats[i][k];
    return sum;
  };
  std::vector<size_t> draw(n);
  for (size_t i = 0; i < n; ++i) draw[i] = i;
  BootstrapResult result;
  result.metric_a = metric(summed(stats_a, draw));
  result.metric_b = metric(summed(stats_b, draw));
  result.difference = result.metric_b - result.metric_a;
  result.resamples = resamples;
  const double sign = result.difference > 0 ? 1.0 : (result.difference < 0 ? -1.0 : 0.0);
  std::mt19937_64 generator(seed);
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  int64_t against = 0;
  for (int64_t r = 0; r < resamples; ++r) {
    for (size_t i = 0; i < n; ++i) draw[i] = pick(generator);
    const double difference = metric(summed(stats_b, draw)) - metric(summed(stats_a, draw));
    if (sign == 0 || difference * sign <= 0) ++against;
  }
  result.p_value = static_cast<double>(against) / static_cast<double>(resamples);
  return result;
}

}  // namespace attnlab
