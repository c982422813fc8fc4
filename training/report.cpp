#include "training/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "core/options.h"
#include "training/atomic_file.h"
#include "training/attention_map.h"
#include "training/comparison_table.h"
#include "training/experiment.h"
#include "training/line_chart.h"
#include "training/markup.h"
#include "training/predictions.h"
#include "training/statistics.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

struct RunData {
  int64_t seed = 0;
  fs::path dir;
  json config, results;
  std::vector<json> events;  // metrics.jsonl
  Predictions predictions;   // of the report split
  std::vector<AttentionMap> maps;
};

struct VariantRuns {
  std::string name;
  std::vector<RunData> runs;  // by seed
};

/// read_json_file (training/experiment.h), its error as a ReportError.
json read_json(const fs::path& path) {
  try {
    return read_json_file(path.string());
  } catch (const ExperimentError& e) {
    throw ReportError(e.what());
  }
}

std::vector<json> read_json_lines(const fs::path& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  if (!in) return lines;  // a run without a log: no curves
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      lines.push_back(json::parse(line));
    } catch (const json::exception&) {
      // A last line without its newline is a write cut short (the run was killed): the resumed
      // run drops it too (training/metrics_log.h). Anything else is damage.
      if (in.eof()) break;
      throw ReportError(path.string() + ":" + std::to_string(number) + ": not a JSON object");
    }
  }
  return lines;
}

/// Variant names in the order of results.csv's rows, then any others by name.
std::vector<std::string> variant_order(const fs::path& experiment_dir) {
  std::vector<std::string> order;
  std::ifstream csv(experiment_dir / "results.csv");
  std::string line;
  for (bool header = true; std::getline(csv, line); header = false)
    if (!header && !line.empty()) order.push_back(line.substr(0, line.find(',')));
  std::vector<std::string> found;
  if (fs::is_directory(experiment_dir))
    for (const auto& entry : fs::directory_iterator(experiment_dir))
      if (entry.is_directory()) found.push_back(entry.path().filename().string());
  std::sort(found.begin(), found.end());
  for (const auto& name : found)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  return order;
}

std::vector<VariantRuns> load_runs(const fs::path& experiment_dir) {
  if (!fs::is_directory(experiment_dir)) throw ReportError(experiment_dir.string() + ": not a directory");
  std::vector<VariantRuns> variants;
  for (const auto& name : variant_order(experiment_dir)) {
    const fs::path variant_dir = experiment_dir / name;
    if (!fs::is_directory(variant_dir)) continue;
    VariantRuns variant{name, {}};
    for (const auto& entry : fs::directory_iterator(variant_dir)) {
      const fs::path dir = entry.path();
      if (!entry.is_directory() || dir.filename().string().rfind("seed-", 0) != 0) continue;
      if (!fs::exists(dir / "results.json")) continue;  // unfinished
      RunData run;
      run.dir = dir;
      run.results = read_json(dir / "results.json");
      run.config = read_json(dir / "config.json");
      run.seed = run.results.value("seed", int64_t{0});
      run.events = read_json_lines(dir / "metrics.jsonl");
      if (fs::exists(dir / "predictions.jsonl")) {
        try {
          run.predictions = read_predictions((dir / "predictions.jsonl").string());
        } catch (const std::exception& e) {
          throw ReportError(e.what());
        }
      }
      if (fs::is_directory(dir / "attention")) {
        std::vector<fs::path> files;
        for (const auto& map_file : fs::directory_iterator(dir / "attention"))
          if (map_file.path().extension() == ".json") files.push_back(map_file.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
          try {
            run.maps.push_back(attention_map_from_json(read_json(file)));
          } catch (const std::runtime_error& e) {
            throw ReportError(file.string() + ": " + e.what());
          }
        }
      }
      variant.runs.push_back(std::move(run));
    }
    std::sort(variant.runs.begin(), variant.runs.end(), [](const auto& a, const auto& b) { return a.seed < b.seed; });
    if (!variant.runs.empty()) variants.push_back(std::move(variant));
  }
  if (variants.empty())
    throw ReportError(experiment_dir.string() + ": no finished run (VARIANT/seed-N/results.json); run the experiment first");
  return variants;
}

std::string report_split(const std::vector<VariantRuns>& variants) {
  return variants.front().runs.front().config.at("eval").value("report_split", std::string("test"));
}

/// The metrics of the table: results.csv's columns when there is one (the task's own choice),
/// else the report split's metrics without loss and per-bucket or per-class figures.
std::vector<std::string> table_metrics(const fs::path& experiment_dir, const std::vector<VariantRuns>& variants,
                                       const std::string& split) {
  std::vector<std::string> metrics;
  std::ifstream csv(experiment_dir / "results.csv");
  std::string header;
  if (std::getline(csv, header)) {
    std::istringstream columns(header);
    const std::string suffix = "_mean";
    for (std::string column; std::getline(columns, column, ',');) {
      if (column.size() <= suffix.size() || column.compare(column.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      const std::string metric = column.substr(0, column.size() - suffix.size());
      if (metric != "train_seconds" && metric != "tokens_per_second") metrics.push_back(metric);
    }
  }
  if (!metrics.empty()) return metrics;
  for (const auto& [name, value] : variants.front().runs.front().results.at("metrics").at(split).items())
    if (name != "loss" && name.find('@') == std::string::npos) metrics.push_back(name);
  return metrics;
}

std::vector<double> metric_values(const VariantRuns& variant, const std::string& split, const std::string& metric) {
  std::vector<double> values;
  for (const auto& run : variant.runs) {
    const json& metrics = run.results.at("metrics");
    // A non-finite figure is written as null: left out here (the table shows the seeds it has).
    if (metrics.contains(split) && metrics.at(split).contains(metric) && metrics.at(split).at(metric).is_number())
      values.push_back(metrics.at(split).at(metric));
  }
  return values;
}

std::vector<double> result_values(const VariantRuns& variant, const std::string& key) {
  std::vector<double> values;
  for (const auto& run : variant.runs)
    if (run.results.contains(key) && run.results.at(key).is_number()) values.push_back(run.results.at(key));
  return values;
}

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#e7969c"};
std::string colour_of(size_t variant) { return kColours[variant % (sizeof kColours / sizeof kColours[0])]; }

std::string metric_heading(const std::string& metric) {
  return xml_escape(metric) + (is_fraction_metric(metric) ? " %" : "");
}

std::string display_pattern(const std::string& metric) { return is_fraction_metric(metric) ? "%.1f" : "%.3f"; }
double display_scale(const std::string& metric) { return is_fraction_metric(metric) ? 100.0 : 1.0; }

std::string human(double n, const char* unit = "") {
  if (n >= 1e12) return format_number(n / 1e12, "%.2f T") + unit;
  if (n >= 1e9) return format_number(n / 1e9, "%.2f G") + unit;
  if (n >= 1e6) return format_number(n / 1e6, "%.2f M") + unit;
  if (n >= 1e3) return format_number(n / 1e3, "%.1f k") + unit;
  return format_number(n, "%.0f ") + unit;
}

/// "= 0.012"; "< 0.001" below a thousandth or, for a bootstrap (resamples > 0), when no resample of
/// `resamples` went the other way.
std::string p_value_text(double p, int64_t resamples) {
  if (resamples > 0 && p <= 0) return "&lt; " + format_number(1.0 / static_cast<double>(resamples), "%.2g");
  if (p < 0.001) return "&lt; 0.001";
  return "= " + format_number(p, "%.3f");
}

// ---- sections ---------------------------------------------------------------------------

std::string results_section(const std::vector<VariantRuns>& variants, const std::vector<std::string>& metrics,
                            const std::string& split) {
  std::ostringstream html;
  html << "<section id=\"results\">\n<h2>Results on the " << xml_escape(split) << " split</h2>\n"
       << "<p>Mean ± sample standard deviation over seeds; below it the 95% confidence interval of the mean "
          "(Student t with n − 1 degrees of freedom, percentages clipped to 0–100; none for one seed). <span class=\"best\">Bold</span>: the "
          "best mean of a column where higher or lower is better.</p>\n"
       << "<div class=\"wide\"><table>\n<thead><tr><th>variant</th><th>seeds</th>";
  for (const auto& m : metrics) html << "<th>" << metric_heading(m) << "</th>";
  html << "</tr></thead>\n<tbody>\n";
  std::vector<int> best(metrics.size(), -1);
  for (size_t m = 0; m < metrics.size(); ++m) {
    const int direction = metric_direction(metrics[m]);
    double best_mean = 0;
    for (size_t v = 0; v < variants.size() && direction != 0; ++v) {
      const auto values = metric_values(variants[v], split, metrics[m]);
      if (values.empty()) continue;
      const double mean = mean_and_std(values).first;
      if (best[m] < 0 || direction * mean > direction * best_mean) best[m] = static_cast<int>(v), best_mean = mean;
    }
  }
  for (size_t v = 0; v < variants.size(); ++v) {
    html << "<tr><th scope=\"row\"><span class=\"swatch\" style=\"background:" << colour_of(v) << "\"></span>"
         << xml_escape(variants[v].name) << "</th><td>" << variants[v].runs.size() << "</td>";
    for (size_t m = 0; m < metrics.size(); ++m) {
      const auto values = metric_values(variants[v], split, metrics[m]);
      html << "<td" << (best[m] == static_cast<int>(v) ? " class=\"best\"" : "") << ">";
      if (values.empty()) {
        html << "–</td>";
        continue;
      }
      const double scale = display_scale(metrics[m]);
      const std::string pattern = display_pattern(metrics[m]);
      const auto [mean, std] = mean_and_std(values);
      html << format_number(mean * scale, pattern.c_str());
      if (!std::isnan(std)) {
        auto interval = t_confidence_interval(values, 0.95);
        if (is_fraction_metric(metrics[m]))  // a share cannot leave [0, 1]
          interval.low = std::max(interval.low, 0.0), interval.high = std::min(interval.high, 1.0);
        html << " ± " << format_number(std * scale, pattern.c_str()) << "<br/><small>["
             << format_number(interval.low * scale, pattern.c_str()) << ", "
             << format_number(interval.high * scale, pattern.c_str()) << "]</small>";
      }
      html << "</td>";
    }
    html << "</tr>\n";
  }
  html << "</tbody>\n</table></div>\n</section>\n";
  return html.str();
}

/// Each example's statistics of `metric` summed over the variant's runs of `seeds`, by example id;
/// empty if some run lacks them.
std::map<int64_t, std::vector<double>> pooled_statistics(const VariantRuns& variant, const std::string& metric,
                                                         const std::set<int64_t>& seeds) {
  std::map<int64_t, std::vector<double>> pooled;
  for (const auto& run : variant.runs) {
    if (!seeds.count(run.seed)) continue;
    if (run.predictions.empty()) return {};
    for (const auto& p : run.predictions) {
      auto found = p.statistics.find(metric);
      if (found == p.statistics.end()) return {};
      auto& sum = pooled[p.id];
      if (sum.empty()) sum.assign(found->second.size(), 0.0);
      for (size_t i = 0; i < sum.size() && i < found->second.size(); ++i) sum[i] += found->second[i];
    }
  }
  return pooled;
}

std::set<int64_t> seeds_of(const VariantRuns& variant) {
  std::set<int64_t> seeds;
  for (const auto& run : variant.runs) seeds.insert(run.seed);
  return seeds;
}

/// The metrics with per-example statistics in every run's predictions.
std::vector<std::string> paired_metrics(const std::vector<VariantRuns>& variants, const std::vector<std::string>& shown) {
  std::vector<std::string> metrics;
  const auto& first = variants.front().runs.front().predictions;
  if (first.empty()) return metrics;
  std::vector<std::string> candidates;
  for (const auto& m : shown)
    if (first.front().statistics.count(m)) candidates.push_back(m);
  for (const auto& [name, stats] : first.front().statistics)  // e.g. token_accuracy when the table leaves it out
    if (std::find(candidates.begin(), candidates.end(), name) == candidates.end()) candidates.push_back(name);
  return candidates;
}

std::string significance_section(const std::vector<VariantRuns>& variants, size_t baseline,
                                 const std::vector<std::string>& shown, const std::string& split,
                                 const ReportOptions& options) {
  std::ostringstream html;
  html << "<section id=\"significance\">\n<h2>Against the baseline: " << xml_escape(variants[baseline].name)
       << "</h2>\n";
  const auto metrics = paired_metrics(variants, shown);
  if (metrics.empty() || variants.size() < 2) {
    html << "<p class=\"note\">"
         << (variants.size() < 2 ? "One variant: nothing to compare."
                                 : "The runs have no per-example results (predictions.jsonl): re-evaluate them with "
                                   "this version of attnlab to compare them example by example.")
         << "</p>\n</section>\n";
    return html.str();
  }
  html << "<p>Paired bootstrap resampling over the examples of the report split (Koehn 2004): "
       << options.resamples << " resamples of as many examples as the split holds, drawn with replacement (seed "
       << options.bootstrap_seed
       << "), the same draw for both variants. Each example's statistics are summed over the seeds both variants "
          "ran, so a variant counts as all of its seeds' outputs together. Δ = variant − baseline on the whole split; "
          "p<sub>examples</sub> = share of resamples where the difference is zero or of the other sign: how likely "
          "the difference is an accident of which test examples were drawn, for these trained models. It says "
          "nothing of training again with another seed; p<sub>seeds</sub> does: Welch's t-test of the per-seed "
          "figures (two-sided; – for one seed, and then nothing is marked: one training run says nothing of the "
          "next). "
       << "<span class=\"significant\">✓</span> marks a difference with both below "
       << format_number(options.significance, "%.2f")
       << ".</p>\n<div class=\"wide\"><table>\n<thead><tr><th>variant</th>";
  for (const auto& m : metrics) html << "<th>Δ " << metric_heading(m) << "</th>";
  html << "</tr></thead>\n<tbody>\n";
  for (size_t v = 0; v < variants.size(); ++v) {
    if (v == baseline) continue;
    html << "<tr><th scope=\"row\">" << xml_escape(variants[v].name) << "</th>";
    std::set<int64_t> seeds;
    const auto a_seeds = seeds_of(variants[baseline]), b_seeds = seeds_of(variants[v]);
    std::set_intersection(a_seeds.begin(), a_seeds.end(), b_seeds.begin(), b_seeds.end(),
                          std::inserter(seeds, seeds.begin()));
    for (const auto& metric : metrics) {
      const auto a = pooled_statistics(variants[baseline], metric, seeds);
      const auto b = pooled_statistics(variants[v], metric, seeds);
      std::vector<std::vector<double>> stats_a, stats_b;
      for (const auto& [id, stats] : a) {
        auto found = b.find(id);
        if (found == b.end()) continue;
        stats_a.push_back(stats);
        stats_b.push_back(found->second);
      }
      if (seeds.empty() || stats_a.empty() || stats_a.size() != a.size() || a.size() != b.size()) {
        html << "<td title=\"the runs do not hold the same examples\">–</td>";
        continue;
      }
      const auto result = paired_bootstrap(
          stats_a, stats_b, [&](const std::vector<double>& summed) { return corpus_metric(metric, summed); },
          options.resamples, options.bootstrap_seed);
      // The same metric over seeds, from results.json: does it hold up against seed-to-seed spread?
      const auto seed_test = welch_t_test(metric_values(variants[baseline], split, metric),
                                          metric_values(variants[v], split, metric));
      const bool significant = result.p_value < options.significance && seed_test.p_value < options.significance;
      const double scale = display_scale(metric);
      html << "<td" << (significant ? " class=\"significant\"" : "") << ">"
           << format_number(result.difference * scale, is_fraction_metric(metric) ? "%+.1f" : "%+.3f")
           << (significant ? " ✓" : "") << "<br/><small>p<sub>examples</sub> "
           << p_value_text(result.p_value, result.resamples) << ", p<sub>seeds</sub> "
           << (std::isnan(seed_test.p_value) ? std::string("–") : p_value_text(seed_test.p_value, 0)) << "<br/>"
           << stats_a.size() << " examples × " << seeds.size() << " seeds</small></td>";
    }
    html << "</tr>\n";
  }
  html << "</tbody>\n</table></div>\n</section>\n";
  return html.str();
}

std::string cost_section(const std::vector<VariantRuns>& variants) {
  std::ostringstream html;
  html << "<section id=\"cost\">\n<h2>Cost</h2>\n"
       << "<p>Parameters: trainable and frozen tensors of the model. Training FLOPs: the matrix products "
          "(matmul, bmm, addmm, mv, dot; 2 per multiply-add) that LibTorch ran for one training step — "
          "forward and backward, no optimizer update — on the first training examples of a batch, divided by the "
          "tokens that step's loss covers; elementwise work, softmax and norms are left out. In all: per token × "
          "the tokens trained on. Train time: seconds in training steps; tokens/s: tokens of the loss per second "
          "of training. Peak memory: the run's peak resident set (VmHWM), its own even when runs share a process. "
          "Mean over seeds (± std when it varies).</p>\n"
       << "<div class=\"wide\"><table>\n<thead><tr><th>variant</th><th>parameters</th><th>train FLOPs / token</th>"
          "<th>train FLOPs in all</th><th>train time s</th><th>tokens/s</th><th>peak memory MiB</th></tr></thead>\n<tbody>\n";
  auto cell = [](const std::vector<double>& values, const std::function<std::string(double)>& show) {
    if (values.empty()) return std::string("<td>–</td>");
    const auto [mean, std] = mean_and_std(values);
    std::string text = show(mean);
    if (!std::isnan(std) && std > 1e-9 * std::abs(mean)) text += " ± " + show(std);
    return "<td>" + text + "</td>";
  };
  auto plain = [](const char* pattern) { return [pattern](double x) { return format_number(x, pattern); }; };
  for (const auto& variant : variants) {
    std::vector<double> memory;
    for (double bytes : result_values(variant, "peak_rss_bytes"))
      if (bytes > 0) memory.push_back(bytes / (1024.0 * 1024.0));
    html << "<tr><th scope=\"row\">" << xml_escape(variant.name) << "</th>"
         << cell(result_values(variant, "parameters"), [](double x) { return human(x); })
         << cell(result_values(variant, "train_flops_per_token"), [](double x) { return human(x); })
         << cell(result_values(variant, "train_flops"), [](double x) { return human(x); })
         << cell(result_values(variant, "train_seconds"), plain("%.0f"))
         << cell(result_values(variant, "tokens_per_second"), plain("%.0f")) << cell(memory, plain("%.0f")) << "</tr>\n";
  }
  html << "</tbody>\n</table></div>\n</section>\n";
  return html.str();
}

std::string curves_section(const std::vector<VariantRuns>& variants) {
  const json& train = variants.front().runs.front().config.at("train");
  const std::string metric = train.at("early_stopping").value("metric", std::string("loss"));
  LineChart loss{"Training loss", "step", "loss", {}, 560, 320};
  LineChart valid{"Validation " + metric + (is_fraction_metric(metric) ? " %" : ""), "step",
                  metric + (is_fraction_metric(metric) ? " %" : ""), {}, 560, 320};
  const double scale = display_scale(metric);
  for (size_t v = 0; v < variants.size(); ++v) {
    for (const auto& run : variants[v].runs) {
      ChartSeries train_line{variants[v].name, colour_of(v), {}, 1.2, 0.75};
      ChartSeries valid_line{variants[v].name, colour_of(v), {}, 1.2, 0.75};
      for (const auto& e : run.events) {
        const std::string kind = e.value("event", std::string());
        if (kind == "train" && e.contains("loss") && e.at("loss").is_number())
          train_line.points.emplace_back(e.at("step").get<double>(), e.at("loss").get<double>());
        if (kind == "eval" && e.value("split", std::string()) == "valid" && e.contains("metrics") &&
            e.at("metrics").contains(metric) && e.at("metrics").at(metric).is_number())
          valid_line.points.emplace_back(e.at("step").get<double>(), e.at("metrics").at(metric).get<double>() * scale);
      }
      loss.series.push_back(std::move(train_line));
      valid.series.push_back(std::move(valid_line));
    }
  }
  std::ostringstream html;
  html << "<section id=\"curves\">\n<h2>Learning curves</h2>\n<p>One line per run (seed), coloured by variant. "
          "Training loss: the mean over each log_every interval; validation: every eval_every steps.</p>\n<div class=\"charts\">\n"
       << line_chart_svg(loss) << line_chart_svg(valid) << "</div>\n</section>\n";
  return html.str();
}

std::string attention_section(const std::vector<VariantRuns>& variants) {
  std::vector<std::string> names;  // the maps' examples, in the order of the first variant that has maps
  for (const auto& variant : variants) {
    for (const auto& map : variant.runs.front().maps)
      if (std::find(names.begin(), names.end(), map.name) == names.end()) names.push_back(map.name);
  }
  std::ostringstream html;
  html << "<section id=\"attention\">\n<h2>Attention</h2>\n";
  if (names.empty()) {
    html << "<p class=\"note\">No variant returned attention weights.</p>\n</section>\n";
    return html.str();
  }
  html << "<p>The same examples of the report split for every variant (its first seed): a row per output "
          "token the model decoded, a column per source token; darker is more weight. Where the task has a gold "
          "alignment, the reference token's source position is outlined in orange. Models with several layers "
          "or heads show the average of the last layer's heads (cross-attention for an encoder-decoder); every "
          "layer and head of the first example unfolds below its row of maps.</p>\n";
  for (const auto& name : names) {
    html << "<h3>" << xml_escape(name) << "</h3>\n<div class=\"maps\">\n";
    for (const auto& variant : variants) {
      const auto& maps = variant.runs.front().maps;
      auto found = std::find_if(maps.begin(), maps.end(), [&](const AttentionMap& m) { return m.name == name; });
      html << "<figure>";
      if (found == maps.end()) {
        html << "<div class=\"note\">no attention</div>";
      } else {
        html << attention_map_svg(*found, {false, 18, true});
        std::string reference;
        for (const auto& t : found->reference_tokens) reference += (reference.empty() ? "" : " ") + t;
        html << "<figcaption><b>" << xml_escape(variant.name) << "</b> (seed " << variant.runs.front().seed
             << ")<br/><small>reference: " << xml_escape(reference) << "</small></figcaption>";
      }
      if (found == maps.end()) html << "<figcaption><b>" << xml_escape(variant.name) << "</b></figcaption>";
      html << "</figure>\n";
    }
    html << "</div>\n";
    // Every layer and head, folded under the row of maps: for the first example only, drawn
    // compactly (no hover titles), to keep the page light.
    for (const auto& variant : variants) {
      if (name != names.front()) break;
      const auto& maps = variant.runs.front().maps;
      auto found = std::find_if(maps.begin(), maps.end(), [&](const AttentionMap& m) { return m.name == name; });
      if (found == maps.end() || found->panels.empty()) continue;
      html << "<details><summary>" << xml_escape(variant.name) << ": every layer and head (" << found->panels.size()
           << " maps)</summary>\n<div class=\"maps\">\n";
      for (const auto& panel : found->panels)
        html << "<figure>" << attention_map_svg(panel, {false, 10, false}) << "<figcaption>" << xml_escape(panel.name)
             << "</figcaption></figure>\n";
      html << "</div></details>\n";
    }
  }
  html << "</section>\n";
  return html.str();
}

const char* const kStyle = R"(body{font-family:sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}
thead th{background:#f3f3f3;text-align:center}tbody th{text-align:left;white-space:nowrap}
td.best{font-weight:bold;background:#eef6ee}td.significant{background:#fff4e0}
small{color:#555}.note{color:#666;font-style:italic}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px}
.charts,.maps{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;overflow-x:auto}
figure{margin:0;border:1px solid #eee;padding:4px}figcaption{font-size:.9em;max-width:480px}
.wide{overflow-x:auto;max-width:100%}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dl.meta dt{color:#666})";

}  // namespace

std::string render_report(const std::string& experiment_dir, const ReportOptions& options) {
  const fs::path dir(experiment_dir);
  const auto variants = load_runs(dir);
  size_t baseline = 0;
  if (!options.baseline.empty()) {
    auto found = std::find_if(variants.begin(), variants.end(), [&](const auto& v) { return v.name == options.baseline; });
    if (found == variants.end()) {
      std::string known;
      for (const auto& v : variants) known += (known.empty() ? "" : ", ") + v.name;
      throw ReportError("--baseline " + options.baseline + ": no finished runs of that variant; known: " + known);
    }
    baseline = static_cast<size_t>(found - variants.begin());
  }
  const std::string split = report_split(variants);
  const auto metrics = table_metrics(dir, variants, split);
  const json& config = variants.front().runs.front().config;
  const std::string name = config.value("name", dir.filename().string());
  size_t runs = 0;
  for (const auto& v : variants) runs += v.runs.size();

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" << xml_escape(name)
       << " — attnlab report</title>\n<style>\n" << kStyle << "\n</style>\n</head>\n<body>\n<h1>" << xml_escape(name)
       << "</h1>\n<p>" << xml_escape(config.value("description", std::string())) << "</p>\n<dl class=\"meta\">"
       << "<dt>task</dt><dd>" << xml_escape(config.at("task").value("type", std::string())) << "</dd>"
       << "<dt>model</dt><dd>" << xml_escape(config.at("model").value("type", std::string())) << "</dd>"
       << "<dt>variants</dt><dd>" << variants.size() << " (" << runs << " finished runs)</dd>"
       << "<dt>report split</dt><dd>" << xml_escape(split) << "</dd>"
       << "<dt>run directory</dt><dd>" << xml_escape(dir.string()) << "</dd></dl>\n"
       << results_section(variants, metrics, split) << significance_section(variants, baseline, metrics, split, options)
       << cost_section(variants) << curves_section(variants) << attention_section(variants)
       << "<p class=\"note\">Written by attnlab report from the run directories' results.json, metrics.jsonl, "
          "predictions.jsonl and attention/*.json.</p>\n</body>\n</html>\n";
  return html.str();
}

void write_report(const std::string& experiment_dir, const std::string& path, const ReportOptions& options) {
  write_file_atomically(path, render_report(experiment_dir, options));
}

}  // namespace attnlab
