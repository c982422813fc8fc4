// The pieces of the comparison report: per-sentence statistics that sum to the corpus metrics,
// matrix-product FLOPs against hand counts, chart ticks.

#include <gtest/gtest.h>

#include "modules/attention_registry.h"
#include "modules/masks.h"
#include "modules/multi_head.h"
#include "training/line_chart.h"
#include "training/matmul_flops.h"
#include "training/predictions.h"
#include "training/translation_metrics.h"

namespace attnlab {
namespace {

const std::vector<std::string> kHypotheses = {"the cat sat on the mat .", "a dog barked", "", "he said , yes ."};
const std::vector<std::string> kReferences = {"the cat sat on a mat .", "the dog barked loudly", "nothing here",
                                              "he said yes ."};

std::vector<double> summed(const std::function<std::vector<double>(const std::string&, const std::string&)>& stats,
                           size_t size) {
  std::vector<double> sum(size, 0.0);
  for (size_t i = 0; i < kHypotheses.size(); ++i) {
    const auto one = stats(kHypotheses[i], kReferences[i]);
    EXPECT_EQ(one.size(), size);
    for (size_t k = 0; k < size; ++k) sum[k] += one[k];
  }
  return sum;
}

TEST(PerExampleStatistics, SumToTheCorpusBleuAndChrf) {
  const double bleu = corpus_bleu(kHypotheses, kReferences).score;
  ASSERT_GT(bleu, 0.0);
  EXPECT_DOUBLE_EQ(corpus_metric("bleu", summed(bleu_statistics, kBleuStatistics)), bleu);
  const double chrf = corpus_chrf(kHypotheses, kReferences);
  ASSERT_GT(chrf, 0.0);
  EXPECT_DOUBLE_EQ(corpus_metric("chrf", summed(chrf_statistics, kChrfStatistics)), chrf);
  // One sentence by hand: "he said , yes ." vs "he said yes .": 13a tokens 5 and 4; unigram
  // matches 4 of 5, bigrams 2 of 4 ("he said", "yes ."), trigrams 0 of 3, 4-grams 0 of 2.
  const auto one = bleu_statistics(kHypotheses[3], kReferences[3]);
  ASSERT_EQ(one.size(), kBleuStatistics);
  EXPECT_EQ(one, (std::vector<double>{4, 2, 0, 0, 5, 4, 3, 2, 5, 4}));
}

TEST(PerExampleStatistics, RatiosAndWrongSizes) {
  EXPECT_DOUBLE_EQ(corpus_metric("exact_match", {3, 4}), 0.75);
  EXPECT_DOUBLE_EQ(corpus_metric("token_accuracy", {0, 0}), 0.0);
  EXPECT_THROW(corpus_metric("accuracy", {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(corpus_metric("bleu", {1, 2}), std::invalid_argument);
}

TEST(MatmulFlops, LinearForwardAndBackwardByHand) {
  torch::manual_seed(0);
  torch::nn::Linear linear(torch::nn::LinearOptions(4, 3));
  auto x = torch::randn({2, 4}, torch::requires_grad());
  torch::Tensor y;
  {
    MatmulFlopCounter counter;
    y = linear(x);  // addmm [2, 4] x [4, 3]: 2 * 2 * 4 * 3 = 48
    EXPECT_EQ(counter.flops(), 48);
    y.sum().backward();  // dx = dy [2, 3] x W [3, 4]: 48; dW = dy^T [3, 2] x x [2, 4]: 48
    EXPECT_EQ(counter.flops(), 144);
  }
  // Nothing is counted once the counter is gone, and a new one starts at zero.
  auto z = linear(x);
  MatmulFlopCounter again;
  EXPECT_EQ(again.flops(), 0);
  torch::bmm(torch::randn({5, 2, 3}), torch::randn({5, 3, 4}));  // 2 * 5 * 2 * 3 * 4
  EXPECT_EQ(again.flops(), 240);
}

TEST(MatmulFlops, MultiHeadAttentionForwardByHand) {
  // B 2, T 5, D 8, H 2 heads of Dh 4, scaled dot, global scope.
  constexpr int64_t B = 2, T = 5, D = 8, H = 2, Dh = D / H;
  torch::manual_seed(0);
  const json spec = {{"type", "multi_head"}, {"heads", H}, {"score", "scaled_dot"}, {"scope", "global"}};
  auto attention = std::dynamic_pointer_cast<MultiHeadAttentionImpl>(
      attention_registry().create(attention_registry().resolve(spec, ""), AttentionDims{D, D}));
  ASSERT_TRUE(attention);
  attention->eval();
  auto x = torch::randn({B, T, D});
  MatmulFlopCounter counter;
  torch::NoGradGuard no_grad;
  attention->forward(x, x, x, key_padding_mask_from_lengths(torch::tensor({5, 3}), T));
  const int64_t projections = 4 * 2 * (B * T) * D * D;  // q, k, v and output: [B·T, D] x [D, D]
  const int64_t scores = 2 * (B * H) * T * Dh * T;      // q kᵀ per head: [T, Dh] x [Dh, T]
  const int64_t mixing = 2 * (B * H) * T * T * Dh;      // weights x values per head: [T, T] x [T, Dh]
  EXPECT_EQ(counter.flops(), projections + scores + mixing);  // 5120 + 800 + 800
}

TEST(LineChart, NiceTicksCoverTheRangeInRoundSteps) {
  EXPECT_EQ(nice_ticks(0, 1000, 5), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  EXPECT_EQ(nice_ticks(0.13, 0.97, 4), (std::vector<double>{0.2, 0.4, 0.6, 0.8}));
  EXPECT_EQ(nice_ticks(3, 3), (std::vector<double>{3}));
  LineChart empty{"nothing", "step", "loss", {}, 400, 300};
  EXPECT_EQ(line_chart_svg(empty).find("<svg"), std::string::npos);
  LineChart one{"one", "step", "loss", {{"a", "#000", {{0, 1}, {10, 0.5}}, 1.5, 1.0}}, 400, 300};
  const auto svg = line_chart_svg(one);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find(">a</text>"), std::string::npos);  // the legend
}

}  // namespace
}  // namespace attnlab
