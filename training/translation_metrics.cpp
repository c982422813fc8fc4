#include "training/translation_metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "tokenizers/utf8.h"

namespace attnlab {

namespace {

void replace_all(std::u32string& text, const std::u32string& from, const std::u32string& to) {
  for (size_t at = text.find(from); at != std::u32string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_period_or_comma(char32_t c) { return c == U'.' || c == U','; }

/// The character class [\{-\~\[-\` -\&\(-\+\:-\@\/] of mteval-v13a: ASCII punctuation and the
/// space, except ' , - . (handled by the later rules or kept inside words).
bool is_split_punctuation(char32_t c) {
  return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
         (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == U'/';
}

/// One left-to-right pass of a two-character rule, like re.sub over non-overlapping matches:
/// where `first(a)` and `second(b)` hold for adjacent a, b, `emit` writes their replacement.
template <class First, class Second, class Emit>
std::u32string pair_pass(const std::u32string& text, First first, Second second, Emit emit) {
  std::u32string out;
  out.reserve(text.size() * 2);
  for (size_t i = 0; i < text.size();) {
    if (i + 1 < text.size() && first(text[i]) && second(text[i + 1])) {
      emit(out, text[i], text[i + 1]);
      i += 2;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::vector<std::u32string> split_on_space(const std::u32string& text) {
  std::vector<std::u32string> words;
  std::u32string word;
  for (char32_t c : text) {
    if (is_unicode_space(c)) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::vector<std::string> words_13a(const std::string& text) {
  // sacreBLEU's BLEU tokenizes sent.rstrip(): trailing whitespace goes before 13a's "-\n" rule sees it.
  std::u32string stripped = utf8_to_code_points(text);
  while (!stripped.empty() && is_unicode_space(stripped.back())) stripped.pop_back();
  std::vector<std::string> words;
  const std::string tokenized = tokenize_13a(code_points_to_utf8(stripped));
  size_t start = 0;
  while (start < tokenized.size()) {
    size_t end = tokenized.find(' ', start);
    if (end == std::string::npos) end = tokenized.size();
    words.push_back(tokenized.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

/// Counts of the n-grams of `words`, keyed by the words joined with spaces (words hold none).
std::unordered_map<std::string, int64_t> word_ngrams(const std::vector<std::string>& words, size_t n) {
  std::unordered_map<std::string, int64_t> counts;
  for (size_t i = 0; i + n <= words.size(); ++i) {
    std::string key = words[i];
    for (size_t k = 1; k < n; ++k) key += ' ' + words[i + k];
    ++counts[key];
  }
  return counts;
}

/// One reference per hypothesis, none empty (sacreBLEU refuses an empty reference too).
void check_references(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      const char* metric) {
  if (hypotheses.size() != references.size())
    throw std::invalid_argument(std::string(metric) + ": " + std::to_string(hypotheses.size()) + " hypotheses but " +
                                std::to_string(references.size()) + " references");
  for (size_t i = 0; i < references.size(); ++i)
    if (references[i].empty())
      throw std::invalid_argument(std::string(metric) + ": reference " + std::to_string(i + 1) + " is empty");
}

void add_to(std::vector<double>& sum, const std::vector<double>& values) {
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += values[i];
}

}  // namespace

std::string tokenize_13a(const std::string& text) {
  std::u32string line = utf8_to_code_points(text);
  replace_all(line, U"<skipped>", U"");
  replace_all(line, U"-\n", U"");
  replace_all(line, U"\n", U" ");
  if (line.find(U'&') != std::u32string::npos) {
    replace_all(line, U"&quot;", U"\"");
    replace_all(line, U"&amp;", U"&");
    replace_all(line, U"&lt;", U"<");
    replace_all(line, U"&gt;", U">");
  }
  line = U" " + line + U" ";  // as sacreBLEU: a period or comma at either end is split off too
  std::u32string spaced;
  for (char32_t c : line) {
    if (is_split_punctuation(c)) {
      spaced += U' ';
      spaced += c;
      spaced += U' ';
    } else {
      spaced += c;
    }
  }
  auto not_digit = [](char32_t c) { return !is_digit(c); };
  // Periods and commas are split off unless preceded by a digit, then unless followed by one.
  spaced = pair_pass(spaced, not_digit, is_period_or_comma, [](std::u32string& out, char32_t a, char32_t b) {
    out += {a, U' ', b, U' '};
  });
  spaced = pair_pass(spaced, is_period_or_comma, not_digit, [](std::u32string& out, char32_t a, char32_t b) {
    out += {U' ', a, U' ', b};
  });
  // A dash after a digit.
  spaced = pair_pass(spaced, is_digit, [](char32_t c) { return c == U'-'; },
                     [](std::u32string& out, char32_t a, char32_t b) { out += {a, U' ', b, U' '}; });
  std::u32string joined;
  for (const auto& word : split_on_space(spaced)) {
    if (!joined.empty()) joined += U' ';
    joined += word;
  }
  return code_points_to_utf8(joined);
}

std::vector<double> bleu_statistics(const std::string& hypothesis, const std::string& reference) {
  constexpr size_t kOrder = 4;
  std::vector<double> stats(kBleuStatistics, 0.0);  // correct[4], total[4], hypothesis length, reference length
  const auto hyp = words_13a(hypothesis), ref = words_13a(reference);
  for (size_t n = 1; n <= kOrder; ++n) {
    const auto hyp_counts = word_ngrams(hyp, n), ref_counts = word_ngrams(ref, n);
    for (const auto& [ngram, count] : hyp_counts) {
      auto found = ref_counts.find(ngram);
      if (found != ref_counts.end()) stats[n - 1] += static_cast<double>(std::min(count, found->second));
    }
    stats[kOrder + n - 1] = static_cast<double>(std::max<int64_t>(0, static_cast<int64_t>(hyp.size()) - static_cast<int64_t>(n) + 1));
  }
  stats[2 * kOrder] = static_cast<double>(hyp.size());
  stats[2 * kOrder + 1] = static_cast<double>(ref.size());
  return stats;
}

BleuScore bleu_from_statistics(const std::vector<double>& stats) {
  constexpr size_t kOrder = 4;
  if (stats.size() != kBleuStatistics)
    throw std::invalid_argument("BLEU: " + std::to_string(stats.size()) + " statistics, expected " +
                                std::to_string(kBleuStatistics));
  BleuScore bleu;
  for (size_t n = 0; n < kOrder; ++n) {
    bleu.correct[n] = static_cast<int64_t>(stats[n]);
    bleu.total[n] = static_cast<int64_t>(stats[kOrder + n]);
  }
  bleu.hypothesis_length = static_cast<int64_t>(stats[2 * kOrder]);
  bleu.reference_length = static_cast<int64_t>(stats[2 * kOrder + 1]);
  const double sys = static_cast<double>(bleu.hypothesis_length), ref = static_cast<double>(bleu.reference_length);
  bleu.brevity_penalty = sys < ref ? (sys > 0 ? std::exp(1.0 - ref / sys) : 0.0) : 1.0;
  // No n-gram matched at all: 0 (sacreBLEU's early stop).
  if (std::all_of(bleu.correct.begin(), bleu.correct.end(), [](int64_t c) { return c == 0; })) return bleu;
  // "exp" smoothing: the k-th order without a match gets precision 100 / (2^k · total).
  double smoothing = 1.0, log_sum = 0.0;
  for (size_t n = 0; n < kOrder; ++n) {
    if (bleu.total[n] == 0) {  // too short for n-grams: log(0), the score is 0
      bleu.precisions[n] = 0.0;
      log_sum = -INFINITY;
      break;
    }
    if (bleu.correct[n] == 0) {
      smoothing *= 2.0;
      bleu.precisions[n] = 100.0 / (smoothing * static_cast<double>(bleu.total[n]));
    } else {
      bleu.precisions[n] = 100.0 * static_cast<double>(bleu.correct[n]) / static_cast<double>(bleu.total[n]);
    }
    log_sum += std::log(bleu.precisions[n]);
  }
  bleu.score = std::isinf(log_sum) ? 0.0 : bleu.brevity_penalty * std::exp(log_sum / kOrder);
  return bleu;
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references) {
  check_references(hypotheses, references, "BLEU");
  std::vector<double> summed(kBleuStatistics, 0.0);
  for (size_t i = 0; i < hypotheses.size(); ++i) add_to(summed, bleu_statistics(hypotheses[i], references[i]));
  return bleu_from_statistics(summed);
}

std::vector<double> chrf_statistics(const std::string& hypothesis, const std::string& reference) {
  constexpr size_t kOrder = 6;
  // Per order n: hypothesis n-grams, reference n-grams, matches (min of the counts).
  std::vector<double> stats(kChrfStatistics, 0.0);
  auto without_space = [](const std::string& text) {
    std::u32string chars;
    for (char32_t c : utf8_to_code_points(text))
      if (!is_unicode_space(c)) chars.push_back(c);
    return chars;
  };
  auto char_ngrams = [](const std::u32string& chars, size_t n) {
    std::unordered_map<std::u32string, int64_t> counts;
    for (size_t i = 0; i + n <= chars.size(); ++i) ++counts[chars.substr(i, n)];
    return counts;
  };
  const auto hyp = without_space(hypothesis), ref = without_space(reference);
  for (size_t n = 1; n <= kOrder; ++n) {
    const auto hyp_counts = char_ngrams(hyp, n), ref_counts = char_ngrams(ref, n);
    int64_t hyp_count = 0, match = 0, ref_count = 0;
    for (const auto& [ngram, count] : hyp_counts) {
      hyp_count += count;
      auto found = ref_counts.find(ngram);
      if (found != ref_counts.end()) match += std::min(count, found->second);
    }
    for (const auto& entry : ref_counts) ref_count += entry.second;
    // sacreBLEU counts no hypothesis n-grams of an order the reference has none of.
    stats[3 * (n - 1)] = ref_counts.empty() ? 0 : static_cast<double>(hyp_count);
    stats[3 * (n - 1) + 1] = static_cast<double>(ref_count);
    stats[3 * (n - 1) + 2] = static_cast<double>(match);
  }
  return stats;
}

double chrf_from_statistics(const std::vector<double>& stats) {
  constexpr size_t kOrder = 6;
  constexpr double kBeta = 2.0;
  if (stats.size() != kChrfStatistics)
    throw std::invalid_argument("chrF: " + std::to_string(stats.size()) + " statistics, expected " +
                                std::to_string(kChrfStatistics));
  // Precision and recall averaged over the orders both sides have, then F_β.
  double precision = 0, recall = 0;
  int orders = 0;
  for (size_t n = 0; n < kOrder; ++n) {
    const double hyp_total = stats[3 * n], ref_total = stats[3 * n + 1], matches = stats[3 * n + 2];
    if (hyp_total > 0 && ref_total > 0) {
      precision += matches / hyp_total;
      recall += matches / ref_total;
      ++orders;
    }
  }
  if (orders == 0) return 0.0;
  precision /= orders;
  recall /= orders;
  if (precision + recall == 0) return 0.0;
  const double factor = kBeta * kBeta;
  return 100.0 * (1 + factor) * precision * recall / (factor * precision + recall);
}

double corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references) {
  check_references(hypotheses, references, "chrF");
  std::vector<double> summed(kChrfStatistics, 0.0);
  for (size_t i = 0; i < hypotheses.size(); ++i) add_to(summed, chrf_statistics(hypotheses[i], references[i]));
  return chrf_from_statistics(summed);
}

}  // namespace attnlab
