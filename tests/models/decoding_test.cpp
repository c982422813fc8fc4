// Greedy and beam search through the models' incremental interface: beam 1 is greedy; beam
// search finds the best sequence of a hand-made model where greedy does not; a batch gives
// each sentence what it gets alone; the length penalty and the length limit.

#include <gtest/gtest.h>

#include <cmath>

#include "core/special_tokens.h"
#include "models/decoding.h"
#include "models/rnn_seq2seq.h"
#include "models/transformer_seq2seq.h"

namespace attnlab {
namespace {

constexpr int64_t kA = kNumSpecialTokens, kB = kNumSpecialTokens + 1, kVocab = kNumSpecialTokens + 2;

/// A model whose next-token distribution depends only on the previous token:
///   after BOS: A 0.6, B 0.4;  after A: EOS 0.3, A 0.35, B 0.35;  after B: EOS 1.0.
/// Greedy takes A, then A or B (0.35): its best is A EOS (0.18); the best sequence is B EOS (0.4).
class BigramModel : public Seq2SeqModelImpl {
 public:
  struct State : DecoderState {
    void select_rows(const torch::Tensor& rows) override { calls_rows.push_back(rows.size(0)); }
    std::vector<int64_t> calls_rows;
  };
  Seq2SeqOutput forward(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) override {
    TORCH_CHECK(false, "not used");
  }
  bool has_attention() const override { return false; }
  std::unique_ptr<DecoderState> start_decoding(const torch::Tensor&, const torch::Tensor&) override {
    return std::make_unique<State>();
  }
  DecoderStep decode_next(DecoderState&, const torch::Tensor& previous) override {
    auto probs = torch::full({previous.size(0), kVocab}, 1e-12, torch::kDouble);
    for (int64_t r = 0; r < previous.size(0); ++r) {
      const int64_t p = previous[r].item<int64_t>();
      if (p == kBos) { probs[r][kA] = 0.6; probs[r][kB] = 0.4; }
      else if (p == kA) { probs[r][kEos] = 0.3; probs[r][kA] = 0.35; probs[r][kB] = 0.35; }
      else { probs[r][kEos] = 1.0; }
    }
    return {probs.log(), {}};
  }
};

TEST(BeamSearch, FindsTheBestSequenceWhereGreedyDoesNot) {
  BigramModel model;
  auto source = torch::zeros({1, 3}, torch::kLong);
  auto lengths = torch::tensor({3});
  auto greedy = greedy_decode(model, source, lengths, 5);
  EXPECT_EQ(greedy.tokens[0][0].item<int64_t>(), kA);

  auto options = BeamSearchOptions().beam(2).length_penalty(0.0).n_best(2);
  auto best = beam_search(model, source, lengths, options);
  ASSERT_EQ(best.size(), 1u);
  ASSERT_EQ(best[0].size(), 2u);
  EXPECT_EQ(best[0][0].tokens, (std::vector<int64_t>{kB}));
  EXPECT_NEAR(best[0][0].log_prob, std::log(0.4), 1e-9);
  EXPECT_NEAR(best[0][0].score, std::log(0.4), 1e-9);
  // Second best: A B EOS (0.6 x 0.35 x 1 = 0.21) beats A EOS (0.6 x 0.3 = 0.18).
  EXPECT_EQ(best[0][1].tokens, (std::vector<int64_t>{kA, kB}));
  EXPECT_NEAR(best[0][1].log_prob, std::log(0.6 * 0.35), 1e-9);
}

TEST(BeamSearch, LengthPenaltyDividesTheLogProbability) {
  BigramModel model;
  auto best = beam_search(model, torch::zeros({1, 3}, torch::kLong), torch::tensor({3}),
                          BeamSearchOptions().beam(2).length_penalty(1.0).n_best(2));
  ASSERT_EQ(best[0].size(), 2u);
  for (const auto& h : best[0]) {
    const double lp = (5.0 + static_cast<double>(h.tokens.size() + 1)) / 6.0;  // tokens + EOS
    EXPECT_NEAR(h.score, h.log_prob / lp, 1e-12);
  }
  EXPECT_GE(best[0][0].score, best[0][1].score);
  EXPECT_DOUBLE_EQ(length_penalty(7, 0.0), 1.0);
  EXPECT_NEAR(length_penalty(7, 0.6), std::pow(2.0, 0.6), 1e-12);
}

TEST(BeamSearch, StopsAtTheLengthLimit) {
  BigramModel model;
  // a = 0, b = 1: one token at most; beams alive at the limit count as hypotheses.
  auto best = beam_search(model, torch::zeros({1, 3}, torch::kLong), torch::tensor({3}),
                          BeamSearchOptions().beam(2).length_penalty(0.0).max_length_ratio(0.0).max_length_extra(1).n_best(2));
  ASSERT_EQ(best[0].size(), 2u);
  EXPECT_EQ(best[0][0].tokens, (std::vector<int64_t>{kA}));
  EXPECT_EQ(best[0][1].tokens, (std::vector<int64_t>{kB}));
  EXPECT_FALSE(best[0][0].ended);  // cut, not ended by the model: no EOS to credit it with
  EXPECT_FALSE(best[0][1].ended);
  auto unlimited = beam_search(model, torch::zeros({1, 3}, torch::kLong), torch::tensor({3}),
                               BeamSearchOptions().beam(2).length_penalty(0.0));
  EXPECT_TRUE(unlimited[0][0].ended);
}

std::shared_ptr<Seq2SeqModelImpl> tiny(const std::string& kind) {
  torch::manual_seed(4);
  std::shared_ptr<Seq2SeqModelImpl> model;
  if (kind == "rnn") {
    model = std::make_shared<RnnSeq2SeqImpl>(RnnSeq2SeqOptions(12, 12).embedding(8).hidden(16).dropout(0.0).attention(
        json{{"type", "multi_head"}, {"heads", 2}, {"score", "scaled_dot"}, {"scope", "global"}}));
  } else {
    model = std::make_shared<TransformerSeq2SeqImpl>(TransformerSeq2SeqOptions(12, 12).dims(16).feed_forward(32).dropout(0.0));
  }
  model->eval();
  return model;
}

class Decoding : public ::testing::TestWithParam<std::string> {};

TEST_P(Decoding, BeamOfOneIsGreedy) {
  auto model = tiny(GetParam());
  torch::NoGradGuard no_grad;
  auto source = torch::randint(kNumSpecialTokens, 12, {3, 6});
  auto lengths = torch::tensor({6, 4, 2});
  auto options = BeamSearchOptions().beam(1).length_penalty(0.0).max_length_ratio(1.0).max_length_extra(3);
  auto beams = beam_search(*model, source, lengths, options);
  auto greedy = greedy_decode(*model, source, lengths, 9);
  ASSERT_EQ(beams.size(), 3u);
  ASSERT_EQ(greedy.lengths.numel(), 3);
  for (int64_t b = 0; b < 3; ++b) {
    ASSERT_EQ(beams[b].size(), 1u);
    const int64_t limit = lengths[b].item<int64_t>() + 3;
    const int64_t n = std::min(greedy.lengths[b].item<int64_t>(), limit);
    // An untrained model may end at once; then both would be empty and prove nothing.
    ASSERT_GT(n, 0) << GetParam() << " sentence " << b << ": greedy output is empty";
    std::vector<int64_t> expected(greedy.tokens[b].data_ptr<int64_t>(), greedy.tokens[b].data_ptr<int64_t>() + n);
    EXPECT_EQ(beams[b][0].tokens, expected) << GetParam() << " sentence " << b;
  }
}

TEST_P(Decoding, ABatchGivesEachSentenceWhatItGetsAlone) {
  auto model = tiny(GetParam());
  torch::NoGradGuard no_grad;
  auto source = torch::randint(kNumSpecialTokens, 12, {3, 6});
  auto lengths = torch::tensor({6, 3, 5});
  auto options = BeamSearchOptions().beam(3).n_best(3);
  auto together = beam_search(*model, source, lengths, options);
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t n = lengths[b].item<int64_t>();
    auto alone = beam_search(*model, source.narrow(0, b, 1).narrow(1, 0, n), lengths.narrow(0, b, 1), options);
    ASSERT_EQ(alone[0].size(), together[b].size());
    for (size_t i = 0; i < alone[0].size(); ++i) {
      EXPECT_EQ(alone[0][i].tokens, together[b][i].tokens) << GetParam() << " " << b << " " << i;
      EXPECT_NEAR(alone[0][i].score, together[b][i].score, 1e-4);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Decoding, ::testing::Values("rnn", "transformer"));

}  // namespace
}  // namespace attnlab
