// BLEU and chrF against cases worked by hand from sacreBLEU's definitions (see
// training/translation_metrics.h), and one published sacreBLEU chrF figure.

#include <cmath>

#include <gtest/gtest.h>

#include "training/translation_metrics.h"

namespace attnlab {
namespace {

TEST(Tokenize13a, SplitsPunctuationLikeMtevalV13a) {
  EXPECT_EQ(tokenize_13a("Hello, world."), "Hello , world .");
  EXPECT_EQ(tokenize_13a("  It wasn't   surprising.  "), "It wasn't surprising .");  // ' stays inside words
  EXPECT_EQ(tokenize_13a("pi is 3.14, about 1,000 of 2-3"), "pi is 3.14 , about 1,000 of 2 - 3");
  EXPECT_EQ(tokenize_13a("a/b (c) [d] \"e\" x-y"), "a / b ( c ) [ d ] \" e \" x-y");
  EXPECT_EQ(tokenize_13a("&quot;Tom &amp; Jerry&quot; &lt;3"), "\" Tom & Jerry \" < 3");
  EXPECT_EQ(tokenize_13a("¿Qué dijo? ¡Nada!"), "¿Qué dijo ? ¡Nada !");  // only ASCII punctuation splits
  EXPECT_EQ(tokenize_13a("end.\u00a0next"), "end . next");                // NBSP is whitespace (Python)
  EXPECT_EQ(tokenize_13a("in 1999."), "in 1999 .");  // the line is padded with spaces first
  EXPECT_EQ(tokenize_13a(".5 or 1.5"), ". 5 or 1.5");
  EXPECT_EQ(tokenize_13a(""), "");
}

TEST(CorpusBleu, ThreeSentencesWorkedByHand) {
  // 13a tokens: "The dog bit the man ." = ref (6); "It wasn't surprising ." vs "It was not
  // unexpected ." (It, . match); "The man had just bitten him ." vs "The man bit him first ."
  // (The, man, him, . and "The man" match).
  const std::vector<std::string> hyps = {"The dog bit the man.", "It wasn't surprising.",
                                         "The man had just bitten him."};
  const std::vector<std::string> refs = {"The dog bit the man.", "It was not unexpected.", "The man bit him first."};
  const auto bleu = corpus_bleu(hyps, refs);
  EXPECT_EQ(bleu.correct, (std::array<int64_t, 4>{12, 6, 4, 3}));
  EXPECT_EQ(bleu.total, (std::array<int64_t, 4>{17, 14, 11, 8}));
  EXPECT_EQ(bleu.hypothesis_length, 17);
  EXPECT_EQ(bleu.reference_length, 17);
  EXPECT_DOUBLE_EQ(bleu.brevity_penalty, 1.0);
  EXPECT_NEAR(bleu.score, 100.0 * std::pow(12.0 / 17 * 6.0 / 14 * 4.0 / 11 * 3.0 / 8, 0.25), 1e-9);
  EXPECT_NEAR(bleu.score, 45.07, 0.01);
}

TEST(CorpusBleu, BrevityPenaltyAndAnEmptyHypothesis) {
  // All 4-grams right but 4 tokens against 6: BP = exp(1 - 6/4).
  EXPECT_NEAR(corpus_bleu({"a b c d"}, {"a b c d e f"}).score, 100.0 * std::exp(1.0 - 6.0 / 4.0), 1e-9);
  // An empty hypothesis adds reference length only: 6 tokens against 8.
  const auto bleu = corpus_bleu({"", "the cat sat on the mat"}, {"a b", "the cat sat on the mat"});
  EXPECT_EQ(bleu.hypothesis_length, 6);
  EXPECT_EQ(bleu.reference_length, 8);
  EXPECT_NEAR(bleu.score, 100.0 * std::exp(1.0 - 8.0 / 6.0), 1e-9);
  // Nothing at all: 0, with BP 0.
  const auto empty = corpus_bleu({"", ""}, {"a b", "c"});
  EXPECT_EQ(empty.score, 0.0);
  EXPECT_EQ(empty.brevity_penalty, 0.0);
}

TEST(CorpusBleu, ExpSmoothingOfOrdersWithoutMatches) {
  // "a b c d" vs "a b d c": 1-grams 4/4, 2-grams 1/3, 3-grams 0/2 -> 100 / (2 * 2),
  // 4-grams 0/1 -> 100 / (4 * 1).
  const auto bleu = corpus_bleu({"a b c d"}, {"a b d c"});
  EXPECT_NEAR(bleu.precisions[2], 25.0, 1e-12);
  EXPECT_NEAR(bleu.precisions[3], 25.0, 1e-12);
  EXPECT_NEAR(bleu.score, std::exp((std::log(100.0) + std::log(100.0 / 3) + std::log(25.0) + std::log(25.0)) / 4),
              1e-9);
  // Too short for 3-grams: sacreBLEU's corpus BLEU is 0, however right the words.
  EXPECT_EQ(corpus_bleu({"a b"}, {"a b"}).score, 0.0);
  EXPECT_THROW(corpus_bleu({"a"}, {"a", "b"}), std::invalid_argument);
  EXPECT_THROW(corpus_bleu({"a"}, {""}), std::invalid_argument);  // sacreBLEU refuses empty references
  EXPECT_THROW(corpus_chrf({"a"}, {""}), std::invalid_argument);
}

TEST(CorpusBleu, TrailingWhitespaceGoesBeforeTokenizing) {
  // sacreBLEU tokenizes hyp.rstrip(): "x-\n" keeps its hyphen (13a's "-\n" rule would join it away).
  EXPECT_DOUBLE_EQ(corpus_bleu({"a b c x-\n"}, {"a b c x-"}).score, 100.0);
}

TEST(CorpusChrf, WorkedByHandAndEdgeCases) {
  // "ab" vs "abc": orders 1 (2/2 precise, 2/3 recalled) and 2 (1/1, 1/2); order 3 has only
  // reference n-grams and orders 4-6 none. P = 1, R = 7/12, F2 = 5PR / (4P + R) = 35/55.
  EXPECT_NEAR(corpus_chrf({"ab"}, {"abc"}), 100.0 * 35.0 / 55.0, 1e-9);
  EXPECT_NEAR(corpus_chrf({"a b"}, {"ab"}), 100.0, 1e-9);  // whitespace is not a character
  EXPECT_EQ(corpus_chrf({""}, {"abc"}), 0.0);
  EXPECT_EQ(corpus_chrf({"xyz"}, {"abc"}), 0.0);
  EXPECT_NEAR(corpus_chrf({"día", "x"}, {"día", "x"}), 100.0, 1e-9);  // characters, not bytes
}

TEST(CorpusChrf, MatchesSacreBleusPublishedExample) {
  // sacreBLEU's CHRF() (chrF2, nc:6, nw:0) on the example of the Hugging Face chrF metric card.
  EXPECT_NEAR(corpus_chrf({"The relationship between Obama and Netanyahu is not exactly friendly."},
                          {"The ties between Obama and Netanyahu are not particularly friendly."}),
              61.576379378113785, 1e-9);
}

}  // namespace
}  // namespace attnlab
