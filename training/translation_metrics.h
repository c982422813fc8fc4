#pragma once
// Corpus BLEU and chrF computed exactly as sacreBLEU 2.x computes them by default, so that
// figures are comparable with published ones:
//   BLEU: signature nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp (4-grams, brevity penalty
//         from the corpus lengths, "exp" smoothing of zero n-gram matches);
//   chrF: signature nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no (character 6-grams without
//         whitespace, β = 2, precision and recall averaged over the orders present).
// Text is UTF-8; one reference per hypothesis. Scores are on sacreBLEU's 0-100 scale.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

/// sacreBLEU's "13a" tokenizer (mteval-v13a): unescapes &quot; &amp; &lt; &gt;, splits off
/// punctuation (periods and commas only next to a non-digit, dashes after a digit) and joins
/// the tokens with single spaces.
std::string tokenize_13a(const std::string& text);

struct BleuScore {
  double score = 0;  // 0-100
  double brevity_penalty = 0;
  std::array<double, 4> precisions{};  // n-gram precisions in %, n = 1..4 (smoothed)
  std::array<int64_t, 4> correct{}, total{};
  int64_t hypothesis_length = 0, reference_length = 0;  // 13a tokens over the corpus
};

/// Corpus metrics are functions of statistics summed over sentences; one sentence's statistics
/// are what a paired bootstrap resamples. BLEU: matched and total n-grams for n = 1..4, then the
/// hypothesis and reference lengths (13a tokens).
constexpr size_t kBleuStatistics = 10;
std::vector<double> bleu_statistics(const std::string& hypothesis, const std::string& reference);
/// BLEU of statistics summed over a corpus (kBleuStatistics values, else std::invalid_argument).
BleuScore bleu_from_statistics(const std::vector<double>& summed);

/// chrF: for each character n-gram order n = 1..6, hypothesis n-grams, reference n-grams, matches.
constexpr size_t kChrfStatistics = 18;
std::vector<double> chrf_statistics(const std::string& hypothesis, const std::string& reference);
/// chrF of statistics summed over a corpus (kChrfStatistics values, else std::invalid_argument).
double chrf_from_statistics(const std::vector<double>& summed);

/// Corpus BLEU of hypotheses[i] against references[i] (same count, else std::invalid_argument).
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references);

/// Corpus chrF (0-100) of hypotheses[i] against references[i].
double corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references);

}  // namespace attnlab
