#pragma once
// Gradient of a scalar function against central finite differences, in double precision.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>

namespace attnlab::test_util {

/// `input` must be a double tensor with requires_grad; `loss` maps it to a scalar.
inline void expect_gradient_matches_finite_differences(const std::function<torch::Tensor(const torch::Tensor&)>& loss,
                                                       const torch::Tensor& input, const std::string& label,
                                                       double tolerance = 1e-6) {
  ASSERT_EQ(input.scalar_type(), torch::kDouble);
  ASSERT_GT(input.numel(), 0);
  if (input.grad().defined()) input.grad().zero_();
  loss(input).backward();
  const double h = 1e-6;
  for (int64_t i = 0; i < input.numel(); ++i) {
    auto plus = input.detach().clone(), minus = input.detach().clone();
    plus.view(-1)[i] += h;
    minus.view(-1)[i] -= h;
    const double numeric = (loss(plus).item<double>() - loss(minus).item<double>()) / (2 * h);
    EXPECT_NEAR(input.grad().view(-1)[i].item<double>(), numeric, tolerance) << label << ", element " << i;
  }
}

}  // namespace attnlab::test_util
