#include "training/comparison_table.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace attnlab {

namespace {

struct Row {
  std::string variant;
  int64_t seeds = 0;
  double parameters = 0;
  std::vector<std::vector<double>> metric_values;  // per metric, per seed that has it
  std::vector<double> train_seconds, tokens_per_second;
};

std::vector<Row> rows_of(const ComparisonTable& table) {
  std::vector<Row> rows;
  for (const auto& variant : table.variants) {
    Row row;
    row.variant = variant;
    row.metric_values.resize(table.metrics.size());
    for (const auto& run : table.runs) {
      if (run.variant != variant) continue;
      ++row.seeds;
      row.parameters = run.results.at("parameters").get<double>();
      row.train_seconds.push_back(run.results.at("train_seconds").get<double>());
      row.tokens_per_second.push_back(run.results.at("tokens_per_second").get<double>());
      const json& metrics = run.results.at("metrics").at(table.split);
      for (size_t m = 0; m < table.metrics.size(); ++m)
        if (metrics.contains(table.metrics[m])) row.metric_values[m].push_back(metrics.at(table.metrics[m]));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string format(const char* pattern, double a, double b = 0) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, a, b);
  return buffer;
}

std::string human_count(double n) {
  if (n >= 1e6) return format("%.2fM", n / 1e6);
  if (n >= 1e3) return format("%.1fk", n / 1e3);
  return format("%.0f", n);
}

std::string mean_std_cell(const std::vector<double>& values, bool percent, const char* pattern) {
  if (values.empty()) return "–";
  auto [mean, std] = mean_and_std(values);
  const double scale = percent ? 100.0 : 1.0;
  if (std::isnan(std)) {  // one seed: the mean alone, "%.1f ± %.1f" -> "%.1f"
    const std::string mean_only(pattern);
    return format(mean_only.substr(0, mean_only.find(" ± ")).c_str(), mean * scale);
  }
  return format(pattern, mean * scale, std * scale);
}

}  // namespace

bool is_fraction_metric(const std::string& metric) {
  return metric.find("accuracy") != std::string::npos || metric.find("exact_match") != std::string::npos;
}

int metric_direction(const std::string& metric) {
  for (const char* lower : {"loss", "ppl", "perplexity", "aer"})
    if (metric.rfind(lower, 0) == 0) return -1;
  if (metric.find("entropy") != std::string::npos || metric.find("unigram") != std::string::npos ||
      metric == "masked_tokens")
    return 0;
  return 1;
}

std::string render_csv(const ComparisonTable& table) {
  std::ostringstream out;
  out << "variant,seeds,parameters";
  for (const auto& m : table.metrics) out << "," << m << "_mean," << m << "_std," << m << "_ci95_low," << m << "_ci95_high";
  out << ",train_seconds_mean,train_seconds_std,tokens_per_second_mean,tokens_per_second_std\n";
  auto number = [](double x) { return std::isnan(x) ? std::string() : format("%.6g", x); };
  auto cell = [&](const std::vector<double>& values) {
    if (values.empty()) return std::string(",");
    auto [mean, std] = mean_and_std(values);
    return number(mean) + "," + number(std);
  };
  auto interval_cells = [&](const std::vector<double>& values) {  // Student t over seeds
    if (values.empty()) return std::string(",");
    const auto interval = t_confidence_interval(values, 0.95);
    return number(interval.low) + "," + number(interval.high);
  };
  for (const auto& row : rows_of(table)) {
    out << row.variant << "," << row.seeds << "," << static_cast<int64_t>(row.parameters);
    for (const auto& values : row.metric_values) out << "," << cell(values) << "," << interval_cells(values);
    out << "," << cell(row.train_seconds) << "," << cell(row.tokens_per_second) << "\n";
  }
  return out.str();
}

std::string render_markdown(const ComparisonTable& table) {
  std::ostringstream out;
  out << "| variant | seeds | params |";
  for (const auto& m : table.metrics) out << " " << m << (is_fraction_metric(m) ? " %" : "") << " |";
  out << " train s | tokens/s |\n|---|---:|---:|";
  for (size_t i = 0; i < table.metrics.size(); ++i) out << "---:|";
  out << "---:|---:|\n";
  for (const auto& row : rows_of(table)) {
    out << "| " << row.variant << " | " << row.seeds << " | " << human_count(row.parameters) << " |";
    for (size_t m = 0; m < table.metrics.size(); ++m) {
      const bool percent = is_fraction_metric(table.metrics[m]);
      out << " " << mean_std_cell(row.metric_values[m], percent, percent ? "%.1f ± %.1f" : "%.3f ± %.3f") << " |";
    }
    out << " " << mean_std_cell(row.train_seconds, false, "%.0f ± %.0f") << " | "
        << mean_std_cell(row.tokens_per_second, false, "%.0f ± %.0f") << " |\n";
  }
  return out.str();
}

}  // namespace attnlab
