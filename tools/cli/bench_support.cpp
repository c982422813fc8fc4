#include "tools/cli/bench_support.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace attnlab::cli {

double median_ms(const std::function<void()>& step, const std::function<void()>& reset, int repeats) {
  reset();
  step();  // warm-up
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    reset();
    const auto start = std::chrono::steady_clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double elapsed_ms(const std::function<void()>& step) {
  const auto start = std::chrono::steady_clock::now();
  step();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> alternating_median_ms(const std::vector<std::function<double()>>& runs, int repeats) {
  for (const auto& run : runs) run();  // warm-up round
  std::vector<std::vector<double>> ms(runs.size());
  for (int r = 0; r < repeats; ++r)
    for (size_t i = 0; i < runs.size(); ++i) ms[i].push_back(runs[i]());
  std::vector<double> medians;
  for (auto& m : ms) {
    std::sort(m.begin(), m.end());
    medians.push_back(m[m.size() / 2]);
  }
  return medians;
}

std::vector<int64_t> parse_positive_list(const std::string& text) {
  std::vector<int64_t> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || value < 1) return {};
    values.push_back(value);
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::vector<std::string> parse_names(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) names.push_back(item);
  return names;
}

std::string fixed(double x, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, x);
  return buffer;
}

std::string padded(const std::string& text, size_t width, bool right) {
  if (text.size() >= width) return text;
  const std::string pad(width - text.size(), ' ');
  return right ? pad + text : text + pad;
}

std::vector<BenchModel> seq2seq_bench_models() {
  const json heads = {{"type", "multi_head"}, {"heads", 8}, {"score", "scaled_dot"}, {"scope", "global"}};
  return {
      {"transformer", {{"type", "transformer"},
                       {"dims", 256},
                       {"feed_forward", 1024},
                       {"encoder_layers", 3},
                       {"decoder_layers", 3},
                       {"dropout", 0.1},
                       {"encoder_attention", heads},
                       {"decoder_attention", heads},
                       {"cross_attention", heads}}},
      {"rnn_bahdanau", {{"type", "rnn_seq2seq"},
                        {"embedding", 256},
                        {"hidden", 256},
                        {"dropout", 0.1},
                        {"decoder", "bahdanau"},
                        {"attention", {{"type", "bahdanau"}}}}},
  };
}


}  // namespace attnlab::cli
