// The fused attention against the same attention composed of LibTorch operators (autograd's
// own gradients), in double precision: weights, context and the gradients of query, keys and
// values, for every mask and with weight dropout, whichever of its outputs the loss reads.
// Legend: B batch, Tq query steps, Tk key steps, D product dims, Dv value dims.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/gradient_check.h"
#include "modules/dot_product_attention.h"
#include "modules/dropout.h"
#include "modules/masks.h"
#include "modules/scopes/global.h"
#include "modules/scores/dot.h"

namespace attnlab {
namespace {

constexpr int64_t B = 3, Tq = 5, Tk = 7, D = 4, Dv = 6;

struct Inputs {
  torch::Tensor query, keys, values;
};

Inputs random_inputs() {
  auto options = torch::dtype(torch::kDouble).requires_grad(true);
  return {torch::randn({B, Tq, D}, options), torch::randn({B, Tk, D}, options), torch::randn({B, Tk, Dv}, options)};
}

std::vector<std::pair<std::string, torch::Tensor>> masks() {
  auto padding = torch::zeros({B, 1, Tk}, torch::kBool);
  padding[0].narrow(-1, 4, 3).fill_(true);
  padding[2].fill_(true);  // every key of the third sequence: zero weights, zero context
  auto causal = torch::ones({Tq, Tk}, torch::kBool).triu(1).unsqueeze(0);  // [1, Tq, Tk]
  return {{"none", torch::Tensor()}, {"padding", padding}, {"causal", causal}, {"both", padding | causal}};
}

/// What the fused function replaces: masked_softmax, philox dropout, bmm.
DotProductAttentionOutput composed(const Inputs& in, const torch::Tensor& mask, double dropout) {
  auto weights = masked_softmax(torch::bmm(in.query, in.keys.transpose(1, 2)), mask);  // [B, Tq, Tk]
  auto mixing = philox_dropout(weights, dropout, /*training=*/true);
  return {torch::bmm(mixing, in.values), weights};
}

struct Gradients {
  torch::Tensor query, keys, values;
};

/// The loss reads the context, the weights or both, each through fixed random coefficients.
Gradients gradients(const DotProductAttentionOutput& out, const Inputs& in, bool read_context, bool read_weights) {
  auto g = torch::Generator(at::detail::createCPUGenerator(11));
  auto loss = torch::zeros({}, torch::kDouble);
  if (read_context) loss = loss + (out.context * torch::randn(out.context.sizes(), g, torch::kDouble)).sum();
  if (read_weights) loss = loss + (out.weights * torch::randn(out.weights.sizes(), g, torch::kDouble)).sum();
  auto grads = torch::autograd::grad({loss}, {in.query, in.keys, in.values}, {}, false, false, /*allow_unused=*/true);
  auto or_zeros = [](const torch::Tensor& grad, const torch::Tensor& like) {
    return grad.defined() ? grad : torch::zeros_like(like);
  };
  return {or_zeros(grads[0], in.query), or_zeros(grads[1], in.keys), or_zeros(grads[2], in.values)};
}

TEST(DotProductAttention, EqualsTheComposedAttentionAndItsGradients) {
  torch::manual_seed(5);
  const auto in = random_inputs();
  const int64_t row_bytes = Tq * Tk * static_cast<int64_t>(sizeof(double));
  for (const auto& [mask_name, mask] : masks()) {
    for (double dropout : {0.0, 0.3}) {
      // The backward one row at a time, two rows (and the last alone), all rows at once.
      for (int64_t chunk_bytes : {row_bytes, 2 * row_bytes + 1, int64_t{32} << 20}) {
      for (auto [read_context, read_weights] : {std::pair{true, false}, {false, true}, {true, true}}) {
        SCOPED_TRACE("mask " + mask_name + ", dropout " + std::to_string(dropout) + ", chunk bytes " +
                     std::to_string(chunk_bytes) + ", loss reads" + (read_context ? " context" : "") +
                     (read_weights ? " weights" : ""));
        torch::manual_seed(17);  // both draw the same dropout seed
        auto fused = dot_product_attention(in.query, in.keys, in.values, mask, dropout, /*training=*/true, chunk_bytes);
        torch::manual_seed(17);
        auto reference = composed(in, mask, dropout);
        ASSERT_EQ(fused.context.sizes(), (std::vector<int64_t>{B, Tq, Dv}));
        ASSERT_EQ(fused.weights.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
        EXPECT_TRUE(torch::equal(fused.weights, reference.weights));
        EXPECT_TRUE(torch::allclose(fused.context, reference.context, 1e-12, 1e-12));
        if (mask_name == "padding" || mask_name == "both")
          EXPECT_EQ(fused.context[2].abs().sum().item<double>(), 0.0);  // the fully masked sequence
        auto got = gradients(fused, in, read_context, read_weights);
        auto want = gradients(reference, in, read_context, read_weights);
        ASSERT_GT(want.query.abs().sum().item<double>(), 0.0);
        EXPECT_TRUE(torch::allclose(got.query, want.query, 1e-10, 1e-12));
        EXPECT_TRUE(torch::allclose(got.keys, want.keys, 1e-10, 1e-12));
        EXPECT_TRUE(torch::allclose(got.values, want.values, 1e-10, 1e-12));
        EXPECT_FALSE(got.query.isnan().any().item<bool>());
      }
      }
    }
  }
}

// Dropout is seeded once per call and its mask regenerated in the backward: the gradient of the
// context against finite differences, with the call's seed fixed by the generator.
TEST(DotProductAttention, GradientWithDropoutMatchesFiniteDifferences) {
  torch::manual_seed(2);
  auto in = random_inputs();
  auto mask = masks()[1].second;
  auto coefficients = torch::randn({B, Tq, Dv}, torch::kDouble);
  auto loss = [&](const torch::Tensor& query) {
    torch::manual_seed(23);
    return (dot_product_attention(query, in.keys, in.values, mask, 0.25, true).context * coefficients).sum();
  };
  test_util::expect_gradient_matches_finite_differences(loss, in.query, "query");
}

TEST(DotProductAttention, OutsideTrainingNoDropoutAndNoGradientNeeded) {
  torch::manual_seed(4);
  const auto in = random_inputs();
  torch::NoGradGuard no_grad;
  auto fused = dot_product_attention(in.query, in.keys, in.values, masks()[3].second, 0.5, /*training=*/false);
  auto reference = composed(in, masks()[3].second, 0.0);
  ASSERT_EQ(fused.context.sizes(), reference.context.sizes());
  EXPECT_TRUE(torch::allclose(fused.context, reference.context, 1e-12, 1e-12));
}

// The global scope takes the fused path for matrix-product scores: the same weights and context
// as the score's own forward under masked_softmax, and gradients reach the score's parameters.
TEST(DotProductAttention, GlobalScopeFusesProductScores) {
  torch::manual_seed(6);
  for (bool bilinear : {false, true}) {
    SCOPED_TRACE(bilinear ? "general" : "scaled_dot");
    auto score = std::make_shared<DotScoreImpl>(DotScoreOptions(D, D).scaled(!bilinear).bilinear(bilinear));
    score->to(torch::kDouble);
    GlobalScopeImpl scope;
    const auto in = random_inputs();
    AttentionMemory memory{score->project_keys(in.keys), in.values, masks()[1].second.squeeze(1)};
    AttentionQuery query{in.query, masks()[2].second.squeeze(0), {}};
    auto out = scope.forward(*score, query, memory, 0.0);
    auto expected_weights = masked_softmax(score->forward(in.query, memory.keys), merged_mask(query, memory));
    ASSERT_EQ(out.weights.sizes(), expected_weights.sizes());
    EXPECT_TRUE(torch::equal(out.weights, expected_weights));
    EXPECT_TRUE(torch::allclose(out.context, torch::bmm(expected_weights, in.values), 1e-12, 1e-12));
    out.context.sum().backward();
    if (bilinear) EXPECT_GT(score->key_proj->weight.grad().abs().sum().item<double>(), 0.0);
  }
}

}  // namespace
}  // namespace attnlab
