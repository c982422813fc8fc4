#include <gtest/gtest.h>

#include <cmath>

#include "training/comparison_table.h"

namespace attnlab {
namespace {

json run(double exact, double seconds) {
  return {{"parameters", 1500}, {"train_seconds", seconds}, {"tokens_per_second", 1000.0},
          {"metrics", {{"test", {{"exact_match", exact}, {"loss", 0.5}}}}}};
}

TEST(ComparisonTable, MeanAndSampleStd) {
  auto [mean, std] = mean_and_std({2.0, 4.0, 6.0});
  EXPECT_DOUBLE_EQ(mean, 4.0);
  EXPECT_DOUBLE_EQ(std, 2.0);  // sqrt(((2-4)^2 + 0 + (6-4)^2) / (3 - 1))
  EXPECT_TRUE(std::isnan(mean_and_std({5.0}).second));  // no spread from one seed
}

TEST(ComparisonTable, OneRowPerVariantWithMeanStdAndCost) {
  ComparisonTable table;
  table.split = "test";
  table.metrics = {"exact_match", "loss", "alignment_accuracy"};
  table.variants = {"a", "b"};
  table.runs = {{"a", run(0.5, 10)}, {"b", run(0.9, 20)}, {"a", run(0.7, 30)}};
  const std::string markdown = render_markdown(table);
  EXPECT_NE(markdown.find("| a | 2 | 1.5k | 60.0 ± 14.1 | 0.500 ± 0.000 | – | 20 ± 14 | 1000 ± 0 |"), std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| b | 1 | 1.5k | 90.0 | 0.500 | – | 20 | 1000 |"), std::string::npos) << markdown;
  const std::string csv = render_csv(table);
  EXPECT_NE(csv.find("variant,seeds,parameters,exact_match_mean,exact_match_std,exact_match_ci95_low,"
                     "exact_match_ci95_high,loss_mean"),
            std::string::npos);
  // a's exact match {0.5, 0.7}: 0.6 ± t(0.975, 1) · 0.141421 / √2 = 0.6 ± 12.7062 · 0.1 = [-0.67062, 1.87062].
  EXPECT_NE(csv.find("a,2,1500,0.6,0.141421,-0.67062,1.87062,0.5,0,0.5,0.5,,,,,20,14.1421,1000,0"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("b,1,1500,0.9,,,,0.5,,,,,,,,20,,1000,\n"), std::string::npos) << csv;  // one seed: no spread
}

}  // namespace
}  // namespace attnlab
