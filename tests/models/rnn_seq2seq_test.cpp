#include <gtest/gtest.h>

#include "core/special_tokens.h"
#include "models/rnn_seq2seq.h"

namespace attnlab {
namespace {

/// A Long tensor of ids (enumerators and literals mixed).
torch::Tensor ids(std::vector<int64_t> values) { return torch::tensor(values); }

RnnSeq2SeqOptions tiny(const json& attention, const std::string& cell, int64_t layers,
                       const std::string& decoder = "bahdanau") {
  return RnnSeq2SeqOptions(12, 12).embedding(6).hidden(8).cell(cell).layers(layers).dropout(0.0).decoder(decoder)
      .attention(attention_registry().resolve(attention, ""));
}

class RnnSeq2SeqShapes
    : public ::testing::TestWithParam<std::tuple<std::string, std::string, int64_t, std::string>> {};

TEST_P(RnnSeq2SeqShapes, ForwardAndGreedyShapes) {
  auto [attention, cell, layers, decoder] = GetParam();
  torch::manual_seed(0);
  RnnSeq2SeqImpl model(tiny(attention, cell, layers, decoder));
  auto source = ids({8, 9, 10, 11, 8, 9, kPad, kPad}).view({2, 4});
  auto lengths = ids({4, 2});
  auto target_in = ids({kBos, 8, 9, kBos, 8, kPad}).view({2, 3});
  auto out = model.forward(source, lengths, target_in);
  EXPECT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{2, 3, 12}));
  EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(-1), torch::ones({2, 3}), 1e-5));
  EXPECT_EQ(out.attention.defined(), attention != "none");
  if (out.attention.defined()) {
    EXPECT_EQ(out.attention.sizes(), (std::vector<int64_t>{2, 3, 4}));
    // The padded source positions of the second sequence get no attention.
    EXPECT_EQ(out.attention[1].narrow(1, 2, 2).abs().sum().item<double>(), 0.0);
  }
  auto hyp = model.greedy(source, lengths, 5);
  ASSERT_EQ(hyp.tokens.size(0), 2);
  ASSERT_GT(hyp.tokens.size(1), 0);
  EXPECT_LE(hyp.tokens.size(1), 5);
  // Greedy decoding is teacher forcing on its own output, taking the argmax at every step.
  auto fed = torch::cat({torch::full({2, 1}, int64_t{kBos}), hyp.tokens.narrow(1, 0, hyp.tokens.size(1) - 1)}, 1);
  auto argmax = model.forward(source, lengths, fed).log_probs.argmax(-1);  // [2, L]
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t n = std::min(hyp.lengths[b].item<int64_t>() + 1, hyp.tokens.size(1));  // the EOS included
    ASSERT_GT(n, 0);
    EXPECT_TRUE(torch::equal(argmax[b].narrow(0, 0, n), hyp.tokens[b].narrow(0, 0, n))) << "sentence " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, RnnSeq2SeqShapes,
                         ::testing::Values(std::make_tuple("none", "gru", 1, "bahdanau"),
                                           std::make_tuple("bahdanau", "gru", 2, "bahdanau"),
                                           std::make_tuple("bahdanau", "lstm", 1, "bahdanau"),
                                           std::make_tuple("none", "lstm", 2, "bahdanau"),
                                           std::make_tuple("global", "gru", 1, "luong"),
                                           std::make_tuple("global", "lstm", 2, "luong"),
                                           std::make_tuple("none", "gru", 1, "luong")));

TEST(RnnSeq2Seq, LuongQueriesWithTheCurrentStateBahdanauWithThePrevious) {
  // The first step's weights: Bahdanau's query is the initial state (from the source only),
  // Luong's is the state after reading the first input token.
  auto source = ids({8, 9, 10}).view({1, 3});
  auto first_weights = [&](const std::string& decoder, const std::string& attention, int64_t first_token) {
    torch::manual_seed(3);
    RnnSeq2SeqImpl model(tiny(attention, "gru", 1, decoder));
    return model.forward(source, ids({3}), ids({first_token, 9}).view({1, 2})).attention.select(1, 0);
  };
  EXPECT_TRUE(torch::equal(first_weights("bahdanau", "bahdanau", kBos), first_weights("bahdanau", "bahdanau", 11)));
  EXPECT_FALSE(torch::allclose(first_weights("luong", "global", kBos), first_weights("luong", "global", 11)));
}

TEST(RnnSeq2Seq, LuongWithoutInputFeedingReadsOnlyTheEmbedding) {
  // E = 6, H = 8: with input feeding the first decoder cell reads [e(y); h~] (14 dims), without it e(y) alone.
  RnnSeq2SeqImpl feeding(tiny("global", "gru", 1, "luong"));
  RnnSeq2SeqImpl plain(tiny("global", "gru", 1, "luong").input_feeding(false));
  auto input_size = [](RnnSeq2SeqImpl& model) {
    const auto parameters = model.named_parameters();
    EXPECT_TRUE(parameters.contains("decoder_cell_0.weight_ih"));
    return parameters.contains("decoder_cell_0.weight_ih") ? parameters["decoder_cell_0.weight_ih"].size(1) : -1;
  };
  EXPECT_EQ(input_size(feeding), 14);
  EXPECT_EQ(input_size(plain), 6);
  auto out = plain.forward(ids({8, 9}).view({1, 2}), ids({2}), ids({kBos, 9}).view({1, 2}));
  ASSERT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{1, 2, 12}));
  EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(-1), torch::ones({1, 2}), 1e-5));
}

TEST(RnnSeq2Seq, HiddenMustBeEvenWhenBidirectional) {
  try {
    RnnSeq2SeqImpl model(tiny("none", "gru", 1).hidden(7));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/hidden: must be even with bidirectional: true (H/2 units per direction), got 7");
  }
}

class RnnSeq2SeqDecoders : public ::testing::TestWithParam<std::string> {};

TEST_P(RnnSeq2SeqDecoders, PaddingDoesNotChangeTheOutput) {
  // The same sentence alone and next to a longer one (so padded) gives the same outputs.
  torch::manual_seed(1);
  RnnSeq2SeqImpl model(tiny(GetParam() == "luong" ? "global" : "bahdanau", "gru", 1, GetParam()).bidirectional(true));
  model.eval();
  auto alone = model.forward(ids({8, 9}).view({1, 2}), ids({2}), ids({kBos, 9}).view({1, 2}));
  auto padded = model.forward(ids({8, 9, kPad, 10, 11, 10}).view({2, 3}), ids({2, 3}),
                              ids({kBos, 9, kBos, 10}).view({2, 2}));
  EXPECT_TRUE(torch::allclose(alone.log_probs[0], padded.log_probs[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(alone.attention[0], padded.attention[0].narrow(1, 0, 2), 1e-5, 1e-6));
}

TEST_P(RnnSeq2SeqDecoders, GreedyFeedsBackItsOwnPredictions) {
  // Greedy decoding must equal teacher forcing on its own output.
  torch::manual_seed(2);
  RnnSeq2SeqImpl model(tiny(GetParam() == "luong" ? "global" : "bahdanau", "gru", 1, GetParam()));
  model.eval();
  auto source = ids({8, 9, 10}).view({1, 3});
  auto hyp = model.greedy(source, ids({3}), 4);
  auto target_in = torch::cat({torch::full({1, 1}, kBos, torch::kLong), hyp.tokens.narrow(1, 0, hyp.tokens.size(1) - 1)}, 1);
  auto forced = model.forward(source, ids({3}), target_in);
  // Up to and including the first EOS (after it greedy pads).
  const int64_t steps = std::min<int64_t>(hyp.lengths[0].item<int64_t>() + 1, hyp.tokens.size(1));
  ASSERT_GE(steps, 1);
  EXPECT_TRUE(torch::equal(forced.log_probs.argmax(-1).narrow(1, 0, steps), hyp.tokens.narrow(1, 0, steps)));
}

INSTANTIATE_TEST_SUITE_P(Styles, RnnSeq2SeqDecoders, ::testing::Values("bahdanau", "luong"));

}  // namespace
}  // namespace attnlab
