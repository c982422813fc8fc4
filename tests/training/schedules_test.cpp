#include <gtest/gtest.h>

#include <cmath>

#include "training/schedules.h"

namespace attnlab {
namespace {

LearningRateSchedule make(const char* spec, int64_t total) {
  return schedule_registry().create(schedule_registry().resolve(json::parse(spec), ""), total);
}

TEST(Schedules, ConstantWithWarmup) {
  auto s = make(R"({"type": "constant", "warmup": 4})", 100);
  EXPECT_DOUBLE_EQ(s(1), 0.25);
  EXPECT_DOUBLE_EQ(s(4), 1.0);
  EXPECT_DOUBLE_EQ(s(100), 1.0);
}

TEST(Schedules, LinearWarmupThenDecay) {
  auto s = make(R"({"type": "linear", "warmup": 10, "final_factor": 0.1})", 110);
  EXPECT_DOUBLE_EQ(s(5), 0.5);
  EXPECT_DOUBLE_EQ(s(10), 1.0);
  EXPECT_DOUBLE_EQ(s(60), 1.0 - 0.9 * 0.5);
  EXPECT_DOUBLE_EQ(s(110), 0.1);
}

TEST(Schedules, InverseSqrtIsNoamsFormula) {
  // lr = d^-0.5 * min(t^-0.5, t * w^-1.5), Vaswani et al. 2017, eq. (3), d = 512, w = 4000.
  auto noam = make(R"({"type": "inverse_sqrt", "warmup": 4000, "model_dim": 512})", 0);
  for (int64_t t : {1, 100, 4000, 4001, 100000}) {
    const double expected = std::pow(512.0, -0.5) * std::min(std::pow(t, -0.5), t * std::pow(4000.0, -1.5));
    EXPECT_NEAR(noam(t), expected, 1e-15) << t;
  }
  auto scaled = make(R"({"type": "inverse_sqrt", "warmup": 100})", 0);
  EXPECT_NEAR(scaled(100), 1.0, 1e-12);
  EXPECT_NEAR(scaled(50), 0.5, 1e-12);
  EXPECT_NEAR(scaled(400), 0.5, 1e-12);
}

}  // namespace
}  // namespace attnlab
