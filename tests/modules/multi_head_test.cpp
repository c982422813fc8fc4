// Multi-head attention against LibTorch's torch::nn::MultiheadAttention with copied weights
// (scaled dot score, global scope): context, head-averaged and per-head weights, with a key
// padding mask and an attention mask; self-attention; dropout in evaluation; and multi-head
// over a local_m scope against global multi-head with the window's complement masked.
// Legend: B batch, H heads, Tq query steps, Tk key steps, E model dims, W = 2D+1 window keys.
// torch::nn::MultiheadAttention is sequence-first ([T, B, E]); ours is batch-first ([B, T, E]).

#include <gtest/gtest.h>

#include <limits>

#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/multi_head.h"
#include "modules/scoped_attention.h"
#include "modules/scopes/local.h"
#include "tests/test_support.h"

namespace attnlab {
namespace {

constexpr int64_t E = 16, H = 4, B = 2, Tq = 3, Tk = 4;

std::shared_ptr<MultiHeadAttentionImpl> make_ours(const json& spec) {
  auto attention =
      attention_registry().create(attention_registry().resolve(spec, ""), AttentionDims{E, E});
  return std::dynamic_pointer_cast<MultiHeadAttentionImpl>(attention);
}

const json kGlobalSpec = {{"type", "multi_head"}, {"heads", H}, {"score", "scaled_dot"}, {"scope", "global"}};

struct Pair {
  torch::nn::MultiheadAttention ref{nullptr};
  std::shared_ptr<MultiHeadAttentionImpl> ours;
};

Pair make_twins(torch::Dtype dtype, const json& spec = kGlobalSpec) {
  Pair pair;
  pair.ref = torch::nn::MultiheadAttention(torch::nn::MultiheadAttentionOptions(E, H));
  pair.ours = make_ours(spec);
  EXPECT_TRUE(pair.ours) << "multi_head is not a MultiHeadAttentionImpl";
  {
    torch::NoGradGuard no_grad;  // biases are zero after LibTorch's reset: make them count
    pair.ref->in_proj_bias.uniform_(-0.5, 0.5);
    pair.ref->out_proj->bias.uniform_(-0.5, 0.5);
  }
  pair.ref->to(dtype);
  pair.ours->to(dtype);
  test_util::copy_multi_head_weights(pair.ref, *pair.ours);
  pair.ref->eval();
  pair.ours->eval();
  return pair;
}

/// LibTorch's C++ MultiheadAttention adds attn_mask to the scores: bool -> 0 / -inf.
torch::Tensor additive_mask(const torch::Tensor& bool_mask, torch::Dtype dtype) {
  return torch::zeros(bool_mask.sizes(), dtype).masked_fill(bool_mask, -std::numeric_limits<double>::infinity());
}

void expect_matches_torch(torch::Dtype dtype, double tolerance) {
  torch::manual_seed(0);
  auto pair = make_twins(dtype);
  auto options = torch::TensorOptions().dtype(dtype);
  auto query = torch::randn({B, Tq, E}, options), keys = torch::randn({B, Tk, E}, options),
       values = torch::randn({B, Tk, E}, options);
  auto padding = key_padding_mask_from_lengths(torch::tensor({4, 3}), Tk);  // [B, Tk]
  // [Tq, Tk]: query 0 may not see key 0, query 2 not keys 1 and 2; no row is left empty.
  auto attn_mask = torch::zeros({Tq, Tk}, torch::kBool);
  attn_mask[0][0] = true;
  attn_mask[2][1] = true;
  attn_mask[2][2] = true;

  auto ours = pair.ours->forward(query, keys, values, padding, attn_mask);
  auto [ref_context, ref_weights] = pair.ref->forward(query.transpose(0, 1), keys.transpose(0, 1), values.transpose(0, 1),
                                                      padding, /*need_weights=*/true, additive_mask(attn_mask, dtype));
  auto [unused, ref_head_weights] =
      pair.ref->forward(query.transpose(0, 1), keys.transpose(0, 1), values.transpose(0, 1), padding, true,
                        additive_mask(attn_mask, dtype), /*average_attn_weights=*/false);

  ASSERT_EQ(ours.context.sizes(), (std::vector<int64_t>{B, Tq, E}));
  ASSERT_EQ(ref_context.sizes(), (std::vector<int64_t>{Tq, B, E}));
  EXPECT_LT((ours.context - ref_context.transpose(0, 1)).abs().max().item<double>(), tolerance);

  ASSERT_FALSE(ours.positions.defined());
  ASSERT_EQ(ours.weights.sizes(), (std::vector<int64_t>{B, Tq, Tk}));
  ASSERT_EQ(ref_weights.sizes(), ours.weights.sizes());
  EXPECT_LT((ours.weights - ref_weights).abs().max().item<double>(), tolerance);

  ASSERT_EQ(ours.head_weights.sizes(), (std::vector<int64_t>{B, H, Tq, Tk}));
  ASSERT_EQ(ref_head_weights.sizes(), ours.head_weights.sizes());
  EXPECT_LT((ours.head_weights - ref_head_weights).abs().max().item<double>(), tolerance);
  EXPECT_LT((ours.head_weights.sum(-1) - 1).abs().max().item<double>(), tolerance);
  // Masked keys get nothing in any head.
  EXPECT_EQ(ours.head_weights.select(3, 3)[1].abs().sum().item<double>(), 0.0);     // padding
  EXPECT_EQ(ours.head_weights.select(2, 2).select(2, 1).abs().sum().item<double>(), 0.0);  // attn_mask
}

TEST(MultiHead, MatchesTorchMultiheadAttentionInFloat) { expect_matches_torch(torch::kFloat, 1e-5); }

TEST(MultiHead, MatchesTorchMultiheadAttentionInDouble) { expect_matches_torch(torch::kDouble, 1e-12); }

TEST(MultiHead, SelfAttentionMatchesTorch) {
  torch::manual_seed(1);
  auto pair = make_twins(torch::kDouble);
  const int64_t T = 5;
  auto x = torch::randn({B, T, E}, torch::kDouble);
  auto padding = key_padding_mask_from_lengths(torch::tensor({5, 2}), T);
  auto ours = pair.ours->forward(x, x, x, padding);
  auto xt = x.transpose(0, 1);
  auto [ref_context, ref_weights] = pair.ref->forward(xt, xt, xt, padding);
  ASSERT_EQ(ours.context.sizes(), (std::vector<int64_t>{B, T, E}));
  ASSERT_EQ(ref_context.sizes(), (std::vector<int64_t>{T, B, E}));
  EXPECT_LT((ours.context - ref_context.transpose(0, 1)).abs().max().item<double>(), 1e-12);
  ASSERT_EQ(ours.weights.sizes(), ref_weights.sizes());
  EXPECT_LT((ours.weights - ref_weights).abs().max().item<double>(), 1e-12);
}

TEST(MultiHead, HeadsThatDoNotDivideTheDimsAreAClearError) {
  json spec = kGlobalSpec;
  spec["heads"] = 3;
  try {
    make_ours(spec);
    FAIL() << "no error for 3 heads over 16 dims";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("3 heads do not divide 16 dims"), std::string::npos) << e.what();
  }
}

TEST(MultiHead, DropoutIsANoOpInEvaluation) {
  torch::manual_seed(2);
  json spec = kGlobalSpec;
  spec["dropout"] = 0.5;
  auto pair = make_twins(torch::kDouble, spec);
  auto query = torch::randn({B, Tq, E}, torch::kDouble), keys = torch::randn({B, Tk, E}, torch::kDouble);
  auto padding = key_padding_mask_from_lengths(torch::tensor({4, 3}), Tk);
  auto first = pair.ours->forward(query, keys, keys, padding);
  auto second = pair.ours->forward(query, keys, keys, padding);
  auto [ref_context, ref_weights] = pair.ref->forward(query.transpose(0, 1), keys.transpose(0, 1), keys.transpose(0, 1), padding);
  ASSERT_EQ(first.context.sizes(), (std::vector<int64_t>{B, Tq, E}));
  EXPECT_TRUE(torch::equal(first.context, second.context));
  EXPECT_LT((first.context - ref_context.transpose(0, 1)).abs().max().item<double>(), 1e-12);
  // In training the same module does drop weights (so the option is really set).
  pair.ours->train();
  auto dropped = pair.ours->forward(query, keys, keys, padding);
  EXPECT_GT((dropped.context - first.context).abs().max().item<double>(), 1e-6);
  // The weights handed back are those before dropout.
  EXPECT_LT((dropped.weights - first.weights).abs().max().item<double>(), 1e-12);
}

TEST(MultiHead, LocalMScopeIsGlobalWithTheWindowsComplementMasked) {
  torch::manual_seed(3);
  const int64_t T = 6, D = 1;
  json local_spec = kGlobalSpec;
  local_spec["scope"] = {{"type", "local_m"}, {"window", D}};
  auto local = make_ours(local_spec), global = make_ours(kGlobalSpec);
  ASSERT_TRUE(local && global);
  local->to(torch::kDouble);
  global->to(torch::kDouble);
  {
    torch::NoGradGuard no_grad;
    auto to = local->named_parameters();
    const auto from = global->named_parameters();
    ASSERT_EQ(to.size(), from.size());
    for (const auto& p : from) to[p.key()].copy_(p.value());
  }
  auto x = torch::randn({B, T, E}, torch::kDouble);
  // Every window keeps an unpadded key, so every row of weights sums to one.
  auto padding = key_padding_mask_from_lengths(torch::tensor({6, 5}), T);
  auto out = local->forward(x, x, x, padding);
  auto band = (torch::arange(T).view({T, 1}) - torch::arange(T).view({1, T})).abs().gt(D);  // [T, T]
  auto reference = global->forward(x, x, x, padding, band);

  const int64_t W = 2 * D + 1;
  ASSERT_EQ(out.head_weights.sizes(), (std::vector<int64_t>{B, H, T, W}));
  ASSERT_TRUE(out.positions.defined());
  ASSERT_EQ(out.weights.sizes(), (std::vector<int64_t>{B, T, H * W}));
  ASSERT_EQ(out.positions.sizes(), (std::vector<int64_t>{B, T, H * W}));
  auto dense = dense_weights(out, T);  // [B, T, T]: the average over heads
  ASSERT_EQ(dense.sizes(), (std::vector<int64_t>{B, T, T}));
  EXPECT_LT((dense.sum(-1) - 1).abs().max().item<double>(), 1e-12);

  // Each head's window, scattered to [B, T, T], averages to dense_weights().
  auto average = torch::zeros({B, T, T}, torch::kDouble);
  for (int64_t h = 0; h < H; ++h) {
    AttentionOutput head;
    head.weights = out.head_weights.select(1, h);                // [B, T, W]
    head.positions = out.positions.narrow(2, h * W, W);          // [B, T, W]
    auto head_dense = dense_weights(head, T);                    // [B, T, T]
    EXPECT_LT((head_dense - reference.head_weights.select(1, h)).abs().max().item<double>(), 1e-12) << "head " << h;
    average += head_dense / H;
  }
  EXPECT_LT((dense - average).abs().max().item<double>(), 1e-12);
  EXPECT_LT((dense - reference.weights).abs().max().item<double>(), 1e-12);
  // dense_head_weights (what the attention maps draw) finds each head's window in the list.
  auto per_head = dense_head_weights(out, T);  // [B, H, T, T]
  ASSERT_EQ(per_head.sizes(), (std::vector<int64_t>{B, H, T, T}));
  EXPECT_LT((per_head - reference.head_weights).abs().max().item<double>(), 1e-12);
  ASSERT_EQ(out.context.sizes(), reference.context.sizes());
  EXPECT_LT((out.context - reference.context).abs().max().item<double>(), 1e-12);
}

// Each head has its own score and scope parameters (general's W, additive's W, U, v, cosine's
// scale, location's table, local_p's predictor): multi_head with identity projections equals H
// single-head attentions, head h holding head h's parameters, each on its slice of the dims.
class PerHeadParameters : public ::testing::TestWithParam<std::pair<json, json>> {};

TEST_P(PerHeadParameters, EachHeadIsASingleHeadAttentionWithItsOwnParameters) {
  const auto& [score, scope] = GetParam();
  constexpr int64_t Dh = E / H;
  torch::manual_seed(5);
  auto multi = make_ours({{"type", "multi_head"}, {"heads", H}, {"score", score}, {"scope", scope}});
  ASSERT_TRUE(multi);
  multi->to(torch::kDouble);
  multi->eval();
  {
    torch::NoGradGuard no_grad;
    for (auto* projection : {&multi->query_proj, &multi->key_proj, &multi->value_proj, &multi->output_proj}) {
      (*projection)->weight.copy_(torch::eye(E, torch::kDouble));
      (*projection)->bias.zero_();
    }
    // Heads start alike where an initial value is a constant (cosine's scale): set them apart.
    for (auto& p : multi->named_parameters()) {
      const bool of_score_or_scope = p.key().rfind("score.", 0) == 0 || p.key().rfind("scope.", 0) == 0;
      if (of_score_or_scope) p.value().add_(torch::randn_like(p.value()) * 0.1);
    }
  }
  // Local scopes score gathered windows (score_window, per head), not a band over every key.
  auto score_windows = [](const std::shared_ptr<ScopeImpl>& scope) {
    if (auto local = std::dynamic_pointer_cast<LocalScopeImpl>(scope)) local->dense_keys_per_window = 0;
  };
  score_windows(multi->scope);
  auto query = torch::randn({B, Tq, E}, torch::kDouble), keys = torch::randn({B, Tk, E}, torch::kDouble);
  auto padding = key_padding_mask_from_lengths(torch::tensor({Tk, Tk - 1}), Tk);
  auto out = multi->forward(query, keys, keys, padding);
  ASSERT_EQ(out.head_weights.dim(), 4);
  ASSERT_EQ(out.head_weights.size(1), H);

  json single_spec = scope.is_string() ? json{{"type", scope}} : scope;
  single_spec["score"] = score;
  const auto multi_parameters = multi->named_parameters();
  int64_t per_head_tensors = 0;
  for (int64_t h = 0; h < H; ++h) {
    auto single = attention_registry().create(attention_registry().resolve(single_spec, ""), AttentionDims{Dh, Dh});
    score_windows(std::dynamic_pointer_cast<ScopedAttentionImpl>(single)->scope);
    single->to(torch::kDouble);
    single->eval();
    {
      torch::NoGradGuard no_grad;
      for (const auto& p : single->named_parameters()) {  // "score.*" and "scope.*" in both
        ASSERT_TRUE(multi_parameters.contains(p.key())) << p.key();
        const auto& stacked = multi_parameters[p.key()];
        ASSERT_EQ(stacked.size(0), H) << p.key() << " is not one per head: " << stacked.sizes();
        auto own = stacked.dim() == p.value().dim() + 1 ? stacked[h] : stacked.narrow(0, h, 1);
        ASSERT_EQ(own.sizes(), p.value().sizes()) << p.key();
        p.value().copy_(own);
        if (h == 0) {
          ++per_head_tensors;
          EXPECT_FALSE(torch::equal(stacked[0], stacked[1])) << p.key() << ": heads share their values";
        }
      }
    }
    auto slice = [&](const torch::Tensor& t) { return t.narrow(2, h * Dh, Dh); };
    auto alone = single->forward(slice(query), slice(keys), slice(keys), padding);
    ASSERT_EQ(alone.weights.sizes(), out.head_weights.select(1, h).sizes());
    EXPECT_LT((alone.weights - out.head_weights.select(1, h)).abs().max().item<double>(), 1e-12) << "head " << h;
    ASSERT_EQ(alone.context.sizes(), slice(out.context).sizes());
    EXPECT_LT((alone.context - slice(out.context)).abs().max().item<double>(), 1e-12) << "head " << h;
  }
  EXPECT_GT(per_head_tensors, 0) << "nothing per head to test: pick a score or scope with parameters";
}

std::vector<std::pair<json, json>> per_head_cases() {
  std::vector<std::pair<json, json>> cases;
  for (const auto& e : score_registry().entries()) {
    if (e.name == "dot" || e.name == "scaled_dot") continue;  // no parameters
    cases.emplace_back(json(e.name), json("global"));
  }
  cases.emplace_back(json("scaled_dot"), json{{"type", "local_p"}, {"window", 1}, {"predictor_hidden", 3}});
  // Per-head parameters in the window forms of the scores (location's, and the default's).
  for (const char* score : {"location", "additive", "cosine"})
    cases.emplace_back(json(score), json{{"type", "local_m"}, {"window", 1}});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(ScoresAndScopesWithParameters, PerHeadParameters, ::testing::ValuesIn(per_head_cases()));

}  // namespace
}  // namespace attnlab
