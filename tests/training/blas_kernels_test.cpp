// The matrix-product kernels this process runs (chosen by training/blas_kernels at start-up):
// right answers, against a double-precision product written out here, and the fastest kernels
// the processor supports unless the environment chose others.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "training/blas_kernels.h"
#include "training/threads.h"

namespace attnlab {
namespace {

// out[i][j] = sum_k a[i][k] b[k][j], in double, from the float inputs.
torch::Tensor double_product(const torch::Tensor& a, const torch::Tensor& b) {
  const auto a64 = a.to(torch::kDouble).contiguous(), b64 = b.to(torch::kDouble).contiguous();
  const int64_t n = a64.size(0), k = a64.size(1), m = b64.size(1);
  auto out = torch::zeros({n, m}, torch::kDouble);
  const double* pa = a64.data_ptr<double>();
  const double* pb = b64.data_ptr<double>();
  double* po = out.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < m; ++j) po[i * m + j] += pa[i * k + p] * pb[p * m + j];
  return out;
}

// The float products a model runs (plain, transposed operands as in backward, batched as in
// attention, added to a bias as in a linear layer), at 1 and 2 threads, sizes that are not
// multiples of any kernel's block.
TEST(BlasKernels, FloatProductsMatchADoublePrecisionProduct) {
  torch::manual_seed(7);
  const auto a = torch::randn({157, 203});
  const auto b = torch::randn({203, 131});
  const auto bias = torch::randn({131});
  const auto reference = double_product(a, b);
  ASSERT_EQ(reference.sizes(), (std::vector<int64_t>{157, 131}));
  // |error| of a float dot product of 203 unit-normal terms: ~1e-6 * sqrt(203) * |terms|.
  const double tolerance = 1e-4;
  for (const int threads : {1, 2}) {
    set_thread_count(threads);
    const auto products = std::vector<torch::Tensor>{
        torch::mm(a, b), torch::mm(b.t(), a.t()).t() /* (b^T a^T)^T, transposed operands */,
        torch::bmm(a.unsqueeze(0).expand({3, -1, -1}), b.unsqueeze(0).expand({3, -1, -1})).select(0, 2),
        torch::addmm(bias, a, b) - bias};
    ASSERT_EQ(products.size(), 4u);
    for (size_t i = 0; i < products.size(); ++i) {
      ASSERT_EQ(products[i].sizes(), reference.sizes()) << "product " << i;
      const double error = (products[i].to(torch::kDouble) - reference).abs().max().item<double>();
      EXPECT_LT(error, tolerance) << "product " << i << " at " << threads << " threads, kernels "
                                  << blas_kernels().core;
    }
  }
  set_thread_count(1);
}

TEST(BlasKernels, AreTheFastestTheProcessorSupportsUnlessTheEnvironmentChose) {
  const BlasKernels k = blas_kernels();
  if (k.core.empty()) GTEST_SKIP() << "not OpenBLAS (" << k.library << ")";
  if (!k.coretype_env.empty() && !k.selected_by_attnlab)
    GTEST_SKIP() << "OPENBLAS_CORETYPE=" << k.coretype_env << " was set outside attnlab";
  EXPECT_FALSE(blas_core_to_force(k).has_value()) << "OpenBLAS runs " << k.core << " on a processor that supports "
                                                  << k.best_core;
  if (k.selected_by_attnlab) {
    auto lower = [](std::string s) {
      std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
      return s;
    };
    EXPECT_EQ(lower(k.core), lower(k.best_core));
  }
}

}  // namespace
}  // namespace attnlab
