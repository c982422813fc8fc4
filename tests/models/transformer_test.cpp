// The Transformer against LibTorch's own layers with copied weights (post-LN, dropout off),
// the sinusoidal table against its formula, the causal mask, and incremental decoding
// against recomputing the prefix.

#include <gtest/gtest.h>

#include <cmath>

#include "core/special_tokens.h"
#include "models/transformer_seq2seq.h"
#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/multi_head.h"
#include "modules/positional_encoding.h"
#include "modules/transformer_encoder.h"
#include "modules/transformer_layers.h"
#include "tests/test_support.h"
#include "training/experiment.h"
#include "training/runner.h"
#include "training/trainer.h"

namespace attnlab {
namespace {

constexpr int64_t D = 16, H = 4, F = 32;

std::shared_ptr<AttentionImpl> multi_head() {
  return attention_registry().create(attention_registry().resolve(
                                         json{{"type", "multi_head"}, {"heads", H}, {"score", "scaled_dot"}, {"scope", "global"}}, ""),
                                     AttentionDims{D, D});
}

void copy_attention(torch::nn::MultiheadAttention& from, AttentionImpl& to) {
  test_util::copy_multi_head_weights(from, dynamic_cast<MultiHeadAttentionImpl&>(to));
}

void copy_linear(const torch::nn::Linear& from, torch::nn::Linear& to) {
  torch::NoGradGuard no_grad;
  to->weight.copy_(from->weight);
  to->bias.copy_(from->bias);
}

void copy_norm(const torch::nn::LayerNorm& from, torch::nn::LayerNorm& to) {
  torch::NoGradGuard no_grad;
  to->weight.copy_(from->weight);
  to->bias.copy_(from->bias);
}

void randomise_norm(torch::nn::LayerNorm& norm) {  // LibTorch starts them at 1 and 0: make the copy matter
  torch::NoGradGuard no_grad;
  norm->weight.uniform_(0.5, 1.5);
  norm->bias.uniform_(-0.5, 0.5);
}

// Post-LN with relu (the paper) and with gelu (BERT); LibTorch's layer norms have eps 1e-5.
class EncoderLayerActivation : public ::testing::TestWithParam<std::string> {};

TEST_P(EncoderLayerActivation, EqualsLibTorchsWithCopiedWeights) {
  torch::manual_seed(0);
  auto options = torch::nn::TransformerEncoderLayerOptions(D, H).dim_feedforward(F).dropout(0.0);
  if (GetParam() == "gelu") options.activation(torch::kGELU);
  torch::nn::TransformerEncoderLayer reference(options);
  randomise_norm(reference->norm1);
  randomise_norm(reference->norm2);
  TransformerEncoderLayer ours(TransformerLayerOptions(D).feed_forward(F).dropout(0.0).activation(GetParam()),
                               multi_head());
  copy_attention(reference->self_attn, *ours->self_attention);
  copy_linear(reference->linear1, ours->feed_forward->linear1);
  copy_linear(reference->linear2, ours->feed_forward->linear2);
  copy_norm(reference->norm1, ours->attention_sublayer->norm);
  copy_norm(reference->norm2, ours->feed_forward_sublayer->norm);
  reference->to(torch::kDouble);
  ours->to(torch::kDouble);
  reference->eval();
  ours->eval();

  auto x = torch::randn({2, 5, D}, torch::kDouble);  // [B, S, D]
  auto padding = key_padding_mask_from_lengths(torch::tensor({5, 3}), 5);
  auto expected = reference->forward(x.transpose(0, 1), torch::Tensor(), padding).transpose(0, 1);  // LibTorch: [S, B, D]
  auto got = ours(x, padding);
  ASSERT_EQ(got.sizes(), expected.sizes());
  // Rows of padded positions are not compared: LibTorch's fast path may leave them anything.
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t n = b == 0 ? 5 : 3;
    EXPECT_TRUE(torch::allclose(got[b].narrow(0, 0, n), expected[b].narrow(0, 0, n), 1e-9, 1e-9)) << "batch " << b;
  }
  // The two activations differ on these inputs, so each comparison tests its own.
  TransformerEncoderLayer other(TransformerLayerOptions(D).feed_forward(F).dropout(0.0).activation(
                                    GetParam() == "gelu" ? "relu" : "gelu"),
                                multi_head());
  other->to(torch::kDouble);
  other->eval();
  for (const auto& p : ours->named_parameters()) {
    torch::NoGradGuard no_grad;
    other->named_parameters()[p.key()].copy_(p.value());
  }
  EXPECT_FALSE(torch::allclose(other(x, padding), got, 1e-6, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(Transformer, EncoderLayerActivation, ::testing::Values("relu", "gelu"));

TEST(Transformer, EncoderStackIsItsLayersThenAFinalNormWhenPreNorm) {
  torch::manual_seed(4);
  const json attention = attention_registry().resolve(
      json{{"type", "multi_head"}, {"heads", H}, {"score", "scaled_dot"}, {"scope", "global"}}, "");
  for (const bool pre_norm : {false, true}) {
    TransformerEncoder stack(TransformerLayerOptions(D).feed_forward(F).dropout(0.0).pre_norm(pre_norm).norm_eps(1e-12),
                             2, attention);
    stack->eval();
    ASSERT_EQ(stack->layers.size(), 2u);
    EXPECT_EQ(static_cast<bool>(stack->final_norm), pre_norm);
    if (pre_norm) {
      EXPECT_EQ(stack->final_norm->options.eps(), 1e-12);
    }
    EXPECT_EQ(stack->layers[0]->attention_sublayer->norm->options.eps(), 1e-12);
    auto x = torch::randn({3, 6, D});
    auto padding = key_padding_mask_from_lengths(torch::tensor({6, 4, 1}), 6);
    std::vector<AttentionOutput> attention_out;
    auto got = stack(x, padding, &attention_out);
    auto expected = stack->layers[1](stack->layers[0](x, padding), padding);
    if (pre_norm) expected = stack->final_norm(expected);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_TRUE(torch::allclose(got, expected, 1e-6, 1e-6)) << "pre_norm " << pre_norm;
    ASSERT_EQ(attention_out.size(), 2u);
    EXPECT_EQ(attention_out[1].weights.sizes(), (std::vector<int64_t>{3, 6, 6}));
  }
}

TEST(Transformer, DecoderLayerEqualsLibTorchsWithCopiedWeights) {
  torch::manual_seed(1);
  torch::nn::TransformerDecoderLayer reference(torch::nn::TransformerDecoderLayerOptions(D, H).dim_feedforward(F).dropout(0.0));
  randomise_norm(reference->norm1);
  randomise_norm(reference->norm2);
  randomise_norm(reference->norm3);
  TransformerDecoderLayer ours(TransformerLayerOptions(D).feed_forward(F).dropout(0.0), multi_head(), multi_head());
  copy_attention(reference->self_attn, *ours->self_attention);
  copy_attention(reference->multihead_attn, *ours->cross_attention);
  copy_linear(reference->linear1, ours->feed_forward->linear1);
  copy_linear(reference->linear2, ours->feed_forward->linear2);
  copy_norm(reference->norm1, ours->self_sublayer->norm);
  copy_norm(reference->norm2, ours->cross_sublayer->norm);
  copy_norm(reference->norm3, ours->feed_forward_sublayer->norm);
  reference->to(torch::kDouble);
  ours->to(torch::kDouble);
  reference->eval();
  ours->eval();

  const int64_t T = 4, S = 6;
  auto y = torch::randn({2, T, D}, torch::kDouble);
  auto memory = torch::randn({2, S, D}, torch::kDouble);
  auto source_padding = key_padding_mask_from_lengths(torch::tensor({6, 2}), S);
  auto causal = causal_mask(T);
  // LibTorch's C++ attention adds attn_mask to the scores (a bool mask would add 0 or 1): give it -inf.
  auto additive_causal = torch::zeros({T, T}, torch::kDouble).masked_fill(causal, -INFINITY);
  auto expected = reference->forward(y.transpose(0, 1), memory.transpose(0, 1), additive_causal, torch::Tensor(),
                                     torch::Tensor(), source_padding).transpose(0, 1);
  auto source = ours->cross_attention->prepare(memory, memory, source_padding);
  auto got = ours(y, source, causal, torch::arange(T));
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(got, expected, 1e-9, 1e-9)) << (got - expected).abs().max();
}

TEST(Transformer, SinusoidalTableFollowsTheFormula) {
  const int64_t length = 50, dims = 7;  // odd dims: the last column is a sine without its cosine
  auto table = sinusoidal_table(length, dims);
  ASSERT_EQ(table.sizes(), (std::vector<int64_t>{length, dims}));
  for (int64_t pos : {0, 1, 13, 49}) {
    for (int64_t i = 0; i < dims; ++i) {
      const double angle = pos / std::pow(10000.0, static_cast<double>(i - i % 2) / dims);
      const double expected = i % 2 == 0 ? std::sin(angle) : std::cos(angle);
      EXPECT_NEAR(table[pos][i].item<double>(), expected, 1e-6) << pos << " " << i;
    }
  }
}

TransformerSeq2SeqImpl tiny_transformer(bool pre_norm = false) {
  torch::manual_seed(2);
  TransformerSeq2SeqImpl model(
      TransformerSeq2SeqOptions(12, 12).dims(D).feed_forward(F).encoder_layers(2).decoder_layers(2).pre_norm(pre_norm));
  model.eval();
  return model;
}

TEST(Transformer, ChangingAFutureTargetTokenLeavesEarlierOutputsUnchanged) {
  for (bool pre_norm : {false, true}) {
    auto model = tiny_transformer(pre_norm);
    auto source = torch::randint(kNumSpecialTokens, 12, {2, 5});
    auto lengths = torch::tensor({5, 4});
    auto target = torch::randint(kNumSpecialTokens, 12, {2, 6});
    auto changed = target.clone();
    changed.select(1, 4).fill_(kNumSpecialTokens);  // position 4 changes
    changed.select(1, 5).fill_(kNumSpecialTokens + 1);
    auto before = model.forward(source, lengths, target).log_probs;
    auto after = model.forward(source, lengths, changed).log_probs;
    EXPECT_TRUE(torch::allclose(before.narrow(1, 0, 4), after.narrow(1, 0, 4), 1e-6, 1e-6)) << "pre_norm " << pre_norm;
    EXPECT_FALSE(torch::allclose(before.narrow(1, 4, 2), after.narrow(1, 4, 2), 1e-6, 1e-6)) << "pre_norm " << pre_norm;
  }
}

TEST(Transformer, IncrementalGreedyDecodingEqualsRecomputingThePrefix) {
  auto model = tiny_transformer();
  auto source = torch::randint(kNumSpecialTokens, 12, {3, 7});
  auto lengths = torch::tensor({7, 5, 2});
  const int64_t steps = 8;
  auto hyp = model.greedy(source, lengths, steps);  // cached
  const int64_t L = hyp.tokens.size(1);
  ASSERT_GT(L, 1);
  // Uncached: the whole prefix BOS y1 .. y_{L-1} through the decoder at once.
  auto prefix = torch::cat({torch::full({3, 1}, kBos, source.options()), hyp.tokens.narrow(1, 0, L - 1)}, 1);
  auto full = model.forward(source, lengths, prefix);
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t n = std::min(hyp.lengths[b].item<int64_t>() + 1, L);  // up to the first EOS
    EXPECT_TRUE(full.log_probs[b].narrow(0, 0, n).argmax(-1).equal(hyp.tokens[b].narrow(0, 0, n))) << b;
    EXPECT_TRUE(torch::allclose(full.attention[b].narrow(0, 0, n), hyp.attention[b].narrow(0, 0, n), 1e-5, 1e-6)) << b;
  }
  // Scores too: the cached step's log-probabilities equal the recomputed ones.
  Seq2SeqOutput cached_steps;
  auto encoded = model.encode(source, lengths);
  std::vector<DecoderLayerCache> caches(2);
  std::vector<torch::Tensor> steps_log_probs;
  for (int64_t t = 0; t < L; ++t)
    steps_log_probs.push_back(torch::log_softmax(model.decode(prefix.narrow(1, t, 1), t, encoded, &caches), -1));
  auto cached = torch::cat(steps_log_probs, 1);  // [B, L, V]
  EXPECT_TRUE(torch::allclose(cached, full.log_probs, 1e-5, 1e-5)) << (cached - full.log_probs).abs().max();
}

TEST(Transformer, AttentionOfEveryLayerAndHead) {
  auto model = tiny_transformer();
  auto source = torch::randint(kNumSpecialTokens, 12, {2, 5});
  auto target = torch::randint(kNumSpecialTokens, 12, {2, 3});
  TransformerAttention attention;
  auto out = model.forward_with_attention(source, torch::tensor({5, 3}), target, &attention);
  ASSERT_EQ(attention.encoder_self.size(), 2u);
  ASSERT_EQ(attention.decoder_self.size(), 2u);
  ASSERT_EQ(attention.cross.size(), 2u);
  EXPECT_EQ(attention.encoder_self[0].head_weights.sizes(), (std::vector<int64_t>{2, H, 5, 5}));
  EXPECT_EQ(attention.decoder_self[1].head_weights.sizes(), (std::vector<int64_t>{2, H, 3, 3}));
  EXPECT_EQ(attention.cross[1].head_weights.sizes(), (std::vector<int64_t>{2, H, 3, 5}));
  EXPECT_TRUE(out.attention.equal(attention.cross[1].weights));
  // Causal: no decoder self-attention weight above the diagonal; no cross weight on padding.
  EXPECT_EQ(attention.decoder_self[0].head_weights.triu(1).abs().max().item<double>(), 0.0);
  EXPECT_EQ(attention.cross[0].head_weights[1].narrow(-1, 3, 2).abs().max().item<double>(), 0.0);
}

TEST(Transformer, TiedAndSharedEmbeddingsAreOneParameter) {
  TransformerSeq2SeqImpl untied(TransformerSeq2SeqOptions(12, 12).dims(D).feed_forward(F));
  TransformerSeq2SeqImpl tied(TransformerSeq2SeqOptions(12, 12).dims(D).feed_forward(F).tie_output(true).share_embeddings(true));
  auto count = [](torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
  };
  // Sharing drops the source table (12 x D); tying drops the generator weight (12 x D), keeping a bias.
  EXPECT_EQ(count(untied) - count(tied), 2 * 12 * D);
}

TEST(Transformer, LearnsATinyCopyTaskThroughTheTrainer) {
  json config = json::parse(R"({
    "data": {"type": "copy", "symbols": 5, "train_lengths": [2, 4], "test_lengths": [2, 4],
             "train_size": 200, "valid_size": 30, "test_size": 30},
    "model": {"type": "transformer", "dims": 16, "feed_forward": 32, "encoder_layers": 1, "decoder_layers": 1,
              "dropout": 0.0},
    "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 16, "max_steps": 150, "eval_every": 150},
    "threads": 1
  })");
  auto options = resolve_variant("tiny", config).options;
  auto task = build_task(options, 5);
  test_util::TempDir dir;
  TrainerRun run;
  run.run_dir = dir.path().string();
  run.seed = 5;
  std::ostringstream quiet;
  run.log = &quiet;
  Trainer(*task, options.train(), run).train();
  EXPECT_GT(task->evaluate("valid").at("token_accuracy"), 0.6);  // chance: 1/6
}

}  // namespace
}  // namespace attnlab
