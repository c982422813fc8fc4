// Batched products by one BLAS call per matrix against the sum of products written out (double),
// for every layout the operands come in — contiguous, transposed views, rows narrowed out of wider
// ones, a batch broadcast by stride 0, dimensions of size 1 — and against torch::bmm where BLAS
// cannot or must not take them (autograd, integers, empty operands).
#include <gtest/gtest.h>
#include <torch/csrc/jit/frontend/tracer.h>

#include <functional>
#include <string>
#include <vector>

#include "modules/batched_matmul.h"

namespace attnlab {
namespace {

/// Σ_k a[n, m, k] · b[n, k, p], element-wise products summed: no BLAS involved.
torch::Tensor sum_of_products(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.unsqueeze(3) * b.unsqueeze(1)).sum(2);  // [N, M, K, 1] * [N, 1, K, P] -> [N, M, P]
}

/// One [N, R, C] operand in a given layout, its values drawn from the seed.
using MakeOperand = std::function<torch::Tensor(int64_t N, int64_t R, int64_t C, torch::ScalarType type)>;

std::vector<std::pair<std::string, MakeOperand>> layouts() {
  return {
      {"contiguous", [](int64_t N, int64_t R, int64_t C, torch::ScalarType type) {
         return torch::randn({N, R, C}, torch::dtype(type));
       }},
      {"transposed view", [](int64_t N, int64_t R, int64_t C, torch::ScalarType type) {
         return torch::randn({N, C, R}, torch::dtype(type)).transpose(1, 2);
       }},
      {"rows narrowed from wider ones", [](int64_t N, int64_t R, int64_t C, torch::ScalarType type) {
         return torch::randn({N + 1, R + 2, C + 3}, torch::dtype(type)).narrow(0, 1, N).narrow(1, 2, R).narrow(2, 1, C);
       }},
      {"batch broadcast", [](int64_t N, int64_t R, int64_t C, torch::ScalarType type) {
         return torch::randn({1, R, C}, torch::dtype(type)).expand({N, R, C});
       }},
      {"every other column (copied)", [](int64_t N, int64_t R, int64_t C, torch::ScalarType type) {
         return torch::randn({N, R, 2 * C}, torch::dtype(type)).slice(2, 0, 2 * C, 2);
       }},
  };
}

/// Runs check(a, b) on operands of every shape {N, M, K, P} in every pair of layouts; returns how
/// many pairs it ran.
int for_every_layout_pair(const std::vector<std::vector<int64_t>>& shapes, torch::ScalarType type,
                          const std::function<void(const torch::Tensor& a, const torch::Tensor& b)>& check) {
  int checked = 0;
  for (const auto& shape : shapes) {
    const int64_t N = shape[0], M = shape[1], K = shape[2], P = shape[3];
    for (const auto& [a_name, make_a] : layouts()) {
      for (const auto& [b_name, make_b] : layouts()) {
        SCOPED_TRACE("N M K P " + std::to_string(N) + " " + std::to_string(M) + " " + std::to_string(K) + " " +
                     std::to_string(P) + ", a " + a_name + ", b " + b_name);
        torch::manual_seed(N * 1000 + M * 100 + K * 10 + P);
        auto a = make_a(N, M, K, type), b = make_b(N, K, P, type);
        if (a.sizes() != torch::IntArrayRef{N, M, K} || b.sizes() != torch::IntArrayRef{N, K, P}) {
          ADD_FAILURE() << "operands " << a.sizes() << " and " << b.sizes();
          continue;
        }
        check(a, b);
        ++checked;
      }
    }
  }
  return checked;
}

TEST(BatchedMatmul, EqualsTheSumOfProductsInEveryLayout) {
  const std::vector<std::vector<int64_t>> shapes = {{3, 4, 5, 6}, {2, 1, 5, 6}, {2, 4, 1, 6}, {2, 4, 5, 1},
                                                    {1, 1, 1, 1}, {40, 32, 32, 32}};  // N, M, K, P
  const int checked = for_every_layout_pair(shapes, torch::kDouble, [](const torch::Tensor& a, const torch::Tensor& b) {
    const int64_t N = a.size(0), M = a.size(1), K = a.size(2), P = b.size(2);
    EXPECT_EQ(batched_matmul_calls_blas(a, b), M * K * P >= 400);  // below, torch::bmm's own loop
    auto product = batched_matmul(a, b);
    ASSERT_EQ(product.sizes(), (std::vector<int64_t>{N, M, P}));
    EXPECT_TRUE(product.is_contiguous());
    EXPECT_LT((product - sum_of_products(a, b)).abs().max().item<double>(), 1e-12);
  });
  EXPECT_EQ(checked, 6 * 5 * 5);
}

// Bit for bit what torch::bmm gives, in every layout and at any thread count: the fused attention's
// weights equal the composed attention's, and exported models (which trace the composed path)
// decode the same tokens as eager ones.
TEST(BatchedMatmul, FloatEqualsTorchBmmBitForBitAtAnyThreadCount) {
  const std::vector<std::vector<int64_t>> shapes = {{64, 24, 40, 48}, {256, 32, 32, 32}, {3, 7, 9, 11},
                                                    {8, 1, 40, 48}, {8, 24, 40, 1}, {8, 30, 1, 30}};  // N, M, K, P
  const int threads = torch::get_num_threads();
  const int checked = for_every_layout_pair(shapes, torch::kFloat, [threads](const torch::Tensor& a, const torch::Tensor& b) {
    ASSERT_TRUE(batched_matmul_calls_blas(a, b));  // not torch::bmm compared with itself
    torch::set_num_threads(1);
    auto one_thread = batched_matmul(a, b);
    torch::set_num_threads(2);
    auto two_threads = batched_matmul(a, b);
    torch::set_num_threads(threads);
    auto reference = torch::bmm(a, b);
    ASSERT_EQ(one_thread.sizes(), (std::vector<int64_t>{a.size(0), a.size(1), b.size(2)}));
    ASSERT_EQ(reference.sizes(), one_thread.sizes());
    EXPECT_TRUE(torch::equal(one_thread, reference));
    EXPECT_TRUE(torch::equal(two_threads, reference));  // one product per matrix, wherever it runs
  });
  EXPECT_EQ(checked, 6 * 5 * 5);
}

TEST(BatchedMatmul, OutWritesOnlyItsSlice) {
  torch::manual_seed(3);
  auto a = torch::randn({6, 8, 10}, torch::kDouble), b = torch::randn({6, 10, 7}, torch::kDouble);
  ASSERT_TRUE(batched_matmul_calls_blas(a, b));
  auto buffer = torch::full({10, 8, 7}, -7.0, torch::kDouble);
  auto slice = buffer.narrow(0, 2, 6);
  batched_matmul_out(slice, a, b);
  EXPECT_LT((slice - sum_of_products(a, b)).abs().max().item<double>(), 1e-12);
  EXPECT_TRUE(torch::equal(buffer.narrow(0, 0, 2), torch::full({2, 8, 7}, -7.0, torch::kDouble)));
  EXPECT_TRUE(torch::equal(buffer.narrow(0, 8, 2), torch::full({2, 8, 7}, -7.0, torch::kDouble)));
  // A transposed out is written through torch::bmm_out.
  auto transposed = torch::zeros({6, 7, 8}, torch::kDouble).transpose(1, 2);
  batched_matmul_out(transposed, a, b);
  EXPECT_LT((transposed - sum_of_products(a, b)).abs().max().item<double>(), 1e-12);
}

TEST(BatchedMatmul, LeavesAutogradIntegersAndEmptyOperandsToTorchBmm) {
  torch::manual_seed(5);
  auto a = torch::randn({3, 40, 5}, torch::dtype(torch::kDouble).requires_grad(true));
  auto b = torch::randn({3, 5, 20}, torch::kDouble);  // 4000 multiply-adds a matrix: BLAS but for autograd
  EXPECT_FALSE(batched_matmul_calls_blas(a, b));
  auto product = batched_matmul(a, b);
  ASSERT_TRUE(product.requires_grad());  // autograd sees it
  product.sum().backward();
  ASSERT_TRUE(a.grad().defined());
  EXPECT_LT((a.grad() - b.sum(2).unsqueeze(1).expand({3, 40, 5})).abs().max().item<double>(), 1e-12);
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(batched_matmul_calls_blas(a, b));  // as inside an autograd Function
  }

  auto ia = torch::randint(-5, 5, {2, 30, 4}, torch::kLong), ib = torch::randint(-5, 5, {2, 4, 30}, torch::kLong);
  EXPECT_FALSE(batched_matmul_calls_blas(ia, ib));
  EXPECT_TRUE(torch::equal(batched_matmul(ia, ib), sum_of_products(ia, ib)));

  EXPECT_FALSE(batched_matmul_calls_blas(torch::randn({2, 30, 0}), torch::randn({2, 0, 40})));
  auto no_k = batched_matmul(torch::randn({2, 3, 0}), torch::randn({2, 0, 4}));
  ASSERT_EQ(no_k.sizes(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_TRUE(torch::equal(no_k, torch::zeros({2, 3, 4})));
  EXPECT_EQ(batched_matmul(torch::randn({0, 3, 2}), torch::randn({0, 2, 4})).sizes(), (std::vector<int64_t>{0, 3, 4}));
}

// An export traces LibTorch's operators: BLAS calls made directly would vanish from the graph.
TEST(BatchedMatmul, ATraceRecordsTorchBmm) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(9);
  auto a = torch::randn({4, 20, 8}), b = torch::randn({4, 8, 30});
  ASSERT_TRUE(batched_matmul_calls_blas(a, b));  // outside a trace
  auto traced = torch::jit::tracer::trace(
      {a, b},
      [](torch::jit::Stack inputs) {
        return torch::jit::Stack{batched_matmul(inputs[0].toTensor(), inputs[1].toTensor())};
      },
      [](const torch::autograd::Variable&) { return std::string(); }, /*strict=*/false);
  int products = 0;
  for (const auto* node : traced.first->graph->nodes())
    products += node->kind() == c10::Symbol::fromQualString("aten::bmm");
  EXPECT_EQ(products, 1) << *traced.first->graph;
  ASSERT_EQ(traced.second.size(), 1u);
  EXPECT_TRUE(torch::equal(traced.second[0].toTensor(), torch::bmm(a, b)));
}

}  // namespace
}  // namespace attnlab
