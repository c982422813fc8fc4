#include "training/predictions.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "training/atomic_file.h"
#include "training/translation_metrics.h"

namespace attnlab {

double corpus_metric(const std::string& metric, const std::vector<double>& summed) {
  if (metric == "bleu") return bleu_from_statistics(summed).score;
  if (metric == "chrf") return chrf_from_statistics(summed);
  if (summed.size() != 2) throw std::invalid_argument(metric + ": a ratio needs 2 statistics, got " + std::to_string(summed.size()));
  return summed[1] > 0 ? summed[0] / summed[1] : 0.0;
}

json prediction_json(const Prediction& prediction) {
  return {{"id", prediction.id},
          {"source", prediction.source},
          {"reference", prediction.reference},
          {"hypothesis", prediction.hypothesis},
          {"statistics", prediction.statistics}};
}

Prediction prediction_from_json(const json& j) {
  Prediction p;
  p.id = j.at("id").get<int64_t>();
  p.source = j.at("source").get<std::string>();
  p.reference = j.at("reference").get<std::string>();
  p.hypothesis = j.at("hypothesis").get<std::string>();
  p.statistics = j.at("statistics").get<std::map<std::string, std::vector<double>>>();
  return p;
}

std::string prediction_line(const Prediction& prediction) {
  // Invalid UTF-8 in a decoded hypothesis is replaced, not a reason to lose the file.
  return prediction_json(prediction).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void write_predictions(Predictions predictions, const std::string& path) {
  std::sort(predictions.begin(), predictions.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::string text;
  for (const auto& p : predictions) text += prediction_line(p);
  write_file_atomically(path, text);
}

Predictions read_predictions(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  Predictions predictions;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      predictions.push_back(prediction_from_json(json::parse(line)));
    } catch (const json::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": not a prediction (" + e.what() + ")");
    }
  }
  return predictions;
}

}  // namespace attnlab
