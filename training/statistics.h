#pragma once
// The statistics of a comparison over seeds and test examples:
//   mean_and_std              mean and sample standard deviation (n - 1)
//   student_t_quantile        the quantile of Student's t distribution with ν degrees of freedom
//   t_confidence_interval     mean ± t(0.975, n - 1) · s / √n, the 95% interval over seeds
//   welch_t_test              do two variants' means over seeds differ beyond seed-to-seed spread?
//   paired_bootstrap          Koehn (2004): is system B's corpus-level metric really different
//                             from system A's on the same test examples?

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace attnlab {

/// Mean and sample standard deviation (NaN for one value: a spread needs two).
std::pair<double, double> mean_and_std(const std::vector<double>& values);

/// P(T <= t) for Student's t with `dof` > 0 degrees of freedom.
double student_t_cdf(double t, double dof);

/// The t with P(T <= t) = p, 0 < p < 1 (e.g. p = 0.975, dof = 2 gives 4.303).
double student_t_quantile(double p, double dof);

struct ConfidenceInterval {
  double mean = 0, low = 0, high = 0;  // NaN bounds for fewer than two values
};

/// The two-sided interval of the mean at `level` (0.95: 95%) from Student's t with n - 1 degrees
/// of freedom: mean ± t((1 + level) / 2, n - 1) · s / √n.
ConfidenceInterval t_confidence_interval(const std::vector<double>& values, double level = 0.95);

struct WelchTest {
  double difference = 0;  // mean(b) - mean(a)
  double t = 0, dof = 0;  // Welch's t and its Welch–Satterthwaite degrees of freedom
  double p_value = 1;     // two-sided; NaN when a side has fewer than two values
};

/// Welch's unequal-variance t-test of mean(b) - mean(a) over independent values (seeds):
/// t = Δ / √(s_a²/n_a + s_b²/n_b), ν = (s_a²/n_a + s_b²/n_b)² / Σ (s²/n)² / (n − 1).
/// Both spreads zero: p = 0 if the means differ, else 1.
WelchTest welch_t_test(const std::vector<double>& a, const std::vector<double>& b);

/// A corpus-level metric from statistics summed over examples (e.g. {correct, total} for
/// accuracy, BLEU's n-gram matches and totals and the two lengths for BLEU).
using CorpusMetric = std::function<double(const std::vector<double>& summed)>;

struct BootstrapResult {
  double metric_a = 0, metric_b = 0;  // on the whole test set
  double difference = 0;              // metric_b - metric_a
  /// Share of resamples in which the difference does not have the observed sign (is 0 or
  /// opposite): 1 for identical systems, near 0 when B is better (or worse) on nearly every
  /// resample.
  double p_value = 1;
  int64_t resamples = 0;
};

/// Paired bootstrap resampling (Koehn 2004): `resamples` times, draw as many examples as the test
/// set holds, with replacement, the same draw for both systems, and compute the metric of each
/// from its summed per-example statistics. stats_a[i] and stats_b[i] are the statistics of test
/// example i; both must hold the same examples, each a vector of the same length. The draws come
/// from a generator seeded with `seed`, so a report is reproducible.
BootstrapResult paired_bootstrap(const std::vector<std::vector<double>>& stats_a,
                                 const std::vector<std::vector<double>>& stats_b, const CorpusMetric& metric,
                                 int64_t resamples = 1000, uint64_t seed = 2004);

}  // namespace attnlab
