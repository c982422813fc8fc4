#include "training/runner.h"

#include <filesystem>

#include "training/atomic_file.h"
#include "training/comparison_table.h"
#include "training/parallel_runs.h"
#include "training/threads.h"
#include "training/trainer.h"

namespace attnlab {

namespace fs = std::filesystem;

std::string run_directory(const std::string& out_dir, const std::string& experiment, const std::string& variant,
                          int64_t seed) {
  return (fs::path(out_dir) / experiment / variant / ("seed-" + std::to_string(seed))).string();
}

int64_t count_parameters(torch::nn::Module& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

std::unique_ptr<Task> build_task(const ExperimentOptions& options, int64_t seed) {
  set_thread_count(options.threads());
  torch::manual_seed(static_cast<uint64_t>(seed));
  return task_registry().create(options.task(), options);
}

namespace {

json run_config(const Experiment& experiment, const Variant& variant, int64_t seed) {
  json config = variant.resolved;
  config["schema_version"] = kConfigSchemaVersion;
  config["name"] = experiment.name;
  config["variant"] = variant.name;
  config["seed"] = seed;
  return config;
}

bool has_results(const std::string& dir) { return fs::exists(fs::path(dir) / "results.json"); }

}  // namespace

void check_experiment(const Experiment& experiment) {
  for (const auto& variant : experiment.variants) {
    auto fail = [&](const std::string& pointer, const std::string& message) {
      return ExperimentError(experiment.path + ": " + pointer + ": " + message + " (variant \"" + variant.name + "\")");
    };
    std::unique_ptr<Task> task;
    try {
      task = build_task(variant.options, variant.options.seeds().front());
    } catch (const ConfigError& e) {
      throw fail(e.pointer(), e.message());
    } catch (const std::exception& e) {
      throw ExperimentError(experiment.path + ": variant \"" + variant.name + "\" cannot be built: " + e.what());
    }
    const auto names = task->metric_names();
    const std::string& metric = variant.options.train().early_stopping().metric();
    if (std::find(names.begin(), names.end(), metric) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw fail("/train/early_stopping/metric", "unknown \"" + metric + "\"; known: " + known);
    }
    const auto splits = task->splits();
    for (size_t i = 0; i < variant.options.eval().splits().size(); ++i) {
      const auto& split = variant.options.eval().splits()[i];
      if (std::find(splits.begin(), splits.end(), split) == splits.end())
        throw fail("/eval/splits/" + std::to_string(i), "unknown split \"" + split + "\"");
    }
  }
}

void check_run_directories(const Experiment& experiment, const RunnerOptions& options) {
  for (const auto& variant : experiment.variants) {
    for (int64_t seed : variant.options.seeds()) {
      const std::string dir = run_directory(options.out_dir, experiment.name, variant.name, seed);
      if (!fs::exists(dir)) continue;
      if (!options.resume)
        throw ExperimentError(dir + ": exists; pass --resume to continue it, or remove it");
      const std::string config_path = (fs::path(dir) / "config.json").string();
      if (fs::exists(config_path) && read_json_file(config_path) != run_config(experiment, variant, seed))
        throw ExperimentError(dir + ": was run with another config; remove it or choose another --out");
    }
  }
}

namespace {

/// Resolves a run directory's config.json (what was run is what is read back).
Variant load_run_config(const std::string& run_dir, int64_t& seed) {
  const std::string config_path = (fs::path(run_dir) / "config.json").string();
  const json config = read_json_file(config_path);
  try {
    seed = config.value("seed", int64_t{1});
    return resolve_variant(config.value("variant", "default"), config);
  } catch (const ConfigError& e) {
    throw ExperimentError(config_path + ": " + e.what());
  }
}

}  // namespace

bool train_run_directory(const std::string& dir, const RunnerOptions& options) {
  int64_t seed = 1;
  const Variant variant = load_run_config(dir, seed);
  auto task = build_task(variant.options, seed);
  TrainerRun run;
  run.run_dir = dir;
  run.seed = seed;
  run.resume = true;  // a fresh directory has no checkpoint; the runner refuses stale ones unless --resume
  run.label = variant.name + " seed " + std::to_string(seed);
  run.stop = options.stop;
  run.log = options.log;
  run.log_is_terminal = options.log_is_terminal;
  const TrainOutcome outcome = Trainer(*task, variant.options.train(), run).train();
  if (outcome.interrupted) return false;

  auto model = task->model();
  load_checkpoint(Trainer::best_checkpoint(dir), *model, nullptr, nullptr);
  json metrics = json::object();
  for (const auto& split : variant.options.eval().splits()) metrics[split] = task->evaluate(split);
  const TrainerState& s = outcome.state;
  json results = {{"experiment", variant.options.name()},
                  {"variant", variant.name},
                  {"seed", seed},
                  {"parameters", count_parameters(*model)},
                  {"steps", s.step},
                  {"best_step", s.best_step},
                  {"stopped_early", s.step < variant.options.train().max_steps()},
                  {"train_seconds", s.train_seconds},
                  {"elapsed_seconds", s.elapsed_seconds},
                  {"tokens_per_second", s.train_seconds > 0 ? s.tokens / s.train_seconds : 0.0},
                  {"metrics", metrics}};
  write_file_atomically((fs::path(dir) / "results.json").string(), results.dump(2) + "\n");
  return true;
}

std::vector<PlannedRun> plan_runs(const Experiment& experiment, const RunnerOptions& options) {
  std::vector<PlannedRun> runs;
  for (const auto& variant : experiment.variants) {
    for (int64_t seed : variant.options.seeds()) {
      const std::string dir = run_directory(options.out_dir, experiment.name, variant.name, seed);
      fs::create_directories(dir);
      const std::string config_path = (fs::path(dir) / "config.json").string();
      if (!fs::exists(config_path))
        write_file_atomically(config_path, run_config(experiment, variant, seed).dump(2) + "\n");
      runs.push_back({variant.name, seed, dir, has_results(dir)});
    }
  }
  return runs;
}

void write_comparison_table(const Experiment& experiment, const std::vector<PlannedRun>& runs,
                            const RunnerOptions& options) {
  ComparisonTable table;
  const Variant& first = experiment.variants.front();
  table.metrics = build_task(first.options, first.options.seeds().front())->table_metrics();
  table.split = first.options.eval().report_split();
  for (const auto& variant : experiment.variants) table.variants.push_back(variant.name);
  for (const auto& run : runs)
    table.runs.push_back({run.variant, read_json_file((fs::path(run.dir) / "results.json").string())});

  const fs::path experiment_dir = fs::path(options.out_dir) / experiment.name;
  const std::string markdown = render_markdown(table);
  write_file_atomically((experiment_dir / "results.csv").string(), render_csv(table));
  write_file_atomically((experiment_dir / "summary.md").string(),
                        "# " + experiment.name + "\n\nMetrics on the " + table.split +
                            " split: mean ± sample std over seeds. train s: time in training steps; tokens/s: "
                            "target tokens per second of training.\n\n" + markdown);
  *options.out << "\n" << experiment.name << " — " << table.split << " split, mean ± std over seeds\n\n"
               << markdown << "\nwritten: " << (experiment_dir / "results.csv").string() << ", "
               << (experiment_dir / "summary.md").string() << "\n";
}

RunStatus run_experiment(const Experiment& experiment, const RunnerOptions& options) {
  check_experiment(experiment);
  check_run_directories(experiment, options);
  const auto runs = plan_runs(experiment, options);
  std::vector<std::string> pending;
  for (const auto& run : runs) {
    if (run.finished) *options.log << "[" << run.variant << " seed " << run.seed << "] finished earlier: " << run.dir << "\n";
    else pending.push_back(run.dir);
  }
  if (options.jobs > 1 && pending.size() > 1) {
    if (run_in_parallel(pending, options) == RunStatus::kInterrupted) return RunStatus::kInterrupted;
  } else {
    for (const auto& dir : pending)
      if (!train_run_directory(dir, options)) return RunStatus::kInterrupted;
  }
  write_comparison_table(experiment, runs, options);
  return RunStatus::kDone;
}

Metrics evaluate_run(const std::string& run_dir, const std::string& split) {
  int64_t seed = 1;
  const Variant variant = load_run_config(run_dir, seed);
  auto task = build_task(variant.options, seed);
  const auto splits = task->splits();
  if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
    std::string known;
    for (const auto& s : splits) known += (known.empty() ? "" : ", ") + s;
    throw ExperimentError("--split " + split + ": unknown; known: " + known);
  }
  const std::string best = Trainer::best_checkpoint(run_dir);
  if (!fs::exists(best)) throw ExperimentError(best + ": no best checkpoint (has the run evaluated yet?)");
  auto model = task->model();
  load_checkpoint(best, *model, nullptr, nullptr);
  return task->evaluate(split);
}

}  // namespace attnlab
