#include "training/runner.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>
#include <optional>
#include <set>

#include "data/text_files.h"
#include "training/atomic_file.h"
#include "training/comparison_table.h"
#include "training/init_from.h"
#include "training/matmul_flops.h"
#include "training/parallel_runs.h"
#include "training/peak_memory.h"
#include "training/predictions.h"
#include "training/report.h"
#include "training/sharded_evaluation.h"
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

std::unique_ptr<Task> build_task(const ExperimentOptions& options, int64_t seed, const DataContext& data) {
  set_thread_count(options.threads());
  torch::manual_seed(static_cast<uint64_t>(seed));
  return task_registry().create(options.task(), options, data);
}

namespace {

std::string config_path_of(const std::string& run_dir) { return (fs::path(run_dir) / "config.json").string(); }

/// The tokenizers an experiment's runs share: OUT/EXPERIMENT/tokenizers.
std::string tokenizer_cache_of(const std::string& out_dir, const std::string& experiment) {
  return (fs::path(out_dir) / experiment / "tokenizers").string();
}

/// A run directory OUT/EXPERIMENT/VARIANT/seed-N keeps its tokenizer in tokenizer/ and
/// shares the experiment's cache.
DataContext run_data_context(const std::string& run_dir) {
  fs::path dir = fs::absolute(run_dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "…/seed-1/"
  return {(dir / "tokenizer").string(), (dir.parent_path().parent_path() / "tokenizers").string()};
}
bool has_results(const std::string& dir) { return fs::exists(fs::path(dir) / "results.json"); }

/// What decides whether an existing run is the same run: everything but the description.
json run_identity(json config) {
  config.erase("description");
  return config;
}

/// Holds an exclusive lock on RUN_DIR/.lock while a process trains the run.
class RunLock {
 public:
  explicit RunLock(const std::string& run_dir) {
    const std::string path = (fs::path(run_dir) / ".lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) != 0)
      throw ExperimentError(run_dir + ": another process is training this run");
  }
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

/// The hash of what makes a run (its config.json without the description), kept in its checkpoints.
std::string config_hash_of(const std::string& run_dir) {
  const std::string identity = run_identity(read_json_file(config_path_of(run_dir))).dump();
  return content_hash(identity.data(), identity.size());
}

void load_weights(const std::string& checkpoint, torch::nn::Module& model, const std::string& config_hash) {
  try {
    load_checkpoint(checkpoint, model, nullptr, nullptr, config_hash);
  } catch (const CheckpointError& e) {
    throw ExperimentError(e.what());
  } catch (const std::exception& e) {
    throw ExperimentError(checkpoint + ": cannot read checkpoint: " + error_message(e));
  }
}

}  // namespace

void check_experiment(const Experiment& experiment, const std::string& tokenizer_cache) {
  for (const auto& variant : experiment.variants) {
    auto fail = [&](const std::string& pointer, const std::string& message) {
      return ExperimentError(experiment.path + ": " + pointer + ": " + message + " (variant \"" + variant.name + "\")");
    };
    std::unique_ptr<Task> task;
    try {
      task = build_task(variant.options, variant.options.seeds().front(), DataContext{"", tokenizer_cache});
    } catch (const ConfigError& e) {
      throw fail(e.pointer(), e.message());
    } catch (const std::exception& e) {
      throw ExperimentError(experiment.path + ": variant \"" + variant.name + "\" cannot be built: " + error_message(e));
    }
    if (!variant.options.init().from().empty()) {
      try {
        init_from_run(*task->model(), task->tokenizer(), variant.options.init());
      } catch (const ConfigError& e) {
        throw fail(e.pointer(), e.message());
      }
    }
    const auto splits = task->splits();
    const auto& eval_splits = variant.options.eval().splits();
    for (size_t i = 0; i < eval_splits.size(); ++i)
      if (std::find(splits.begin(), splits.end(), eval_splits[i]) == splits.end())
        throw fail("/eval/splits/" + std::to_string(i), "unknown split \"" + eval_splits[i] + "\"; known: " + join(splits));
    if (variant.options.train().batch_tokens() > 0 && task->train_lengths().empty())
      throw fail("/train/batch_tokens", "this task batches by examples only; use batch_size");
    const auto names = task->validation_metric_names("valid");
    const std::string& metric = variant.options.train().early_stopping().metric();
    if (std::find(names.begin(), names.end(), metric) == names.end())
      throw fail("/train/early_stopping/metric", "\"" + metric + "\" is not a validation metric of this model; known: " +
                                                     join(names));
  }
}

void check_run_directories(const Experiment& experiment, const RunnerOptions& options) {
  for (const auto& variant : experiment.variants) {
    for (int64_t seed : variant.options.seeds()) {
      const std::string dir = run_directory(options.out_dir, experiment.name, variant.name, seed);
      if (!fs::exists(dir)) continue;
      if (!options.resume) throw ExperimentError(dir + ": exists; pass --resume to continue it, or remove it");
      const std::string config_path = config_path_of(dir);
      if (fs::exists(config_path) &&
          run_identity(read_json_file(config_path)) != run_identity(make_run_config(experiment.name, variant, seed)))
        throw ExperimentError(dir + ": was run with another config; remove it or choose another --out");
    }
  }
}

namespace {

/// Every rank trains the run of rank 0's config: one line on each rank that was given another.
void check_same_config(Collective& collective, const std::string& dir, const std::string& config_hash) {
  const std::string rank0 = broadcast_bytes(collective, config_hash);
  const bool differs = rank0 != config_hash;
  if (any_rank(collective, differs))
    throw ExperimentError(dir + ": " + (differs ? "config.json differs from rank 0's (config hash " + config_hash +
                                                      ", rank 0's " + rank0 + ")"
                                                : std::string("another rank's config.json differs from this one's")));
}

}  // namespace

bool train_run_directory(const std::string& dir, const RunnerOptions& options) {
  SingleProcess alone;
  Collective& collective = options.collective ? *options.collective : alone;
  const bool is_main = collective.is_main();
  const RunConfig config = read_run_config(config_path_of(dir));
  const Variant& variant = config.variant;
  const std::string config_hash = config_hash_of(dir);
  check_same_config(collective, dir, config_hash);
  std::optional<RunLock> lock;
  if (is_main) lock.emplace(dir);
  reset_peak_resident_memory();  // this run's own peak, also after other runs in this process
  // Rank 0 builds the task first: what it trains and keeps (the tokenizer) the others then read.
  if (!is_main) collective.barrier();
  auto task = build_task(variant.options, config.seed, run_data_context(dir));
  if (is_main) collective.barrier();
  // A fine-tuned run starts from the other run's weights; a resumed one from its own checkpoint.
  // (The other ranks of a data-parallel run receive rank 0's weights.)
  if (is_main && !variant.options.init().from().empty() && !fs::exists(Trainer::latest_checkpoint(dir))) {
    try {
      init_from_run(*task->model(), task->tokenizer(), variant.options.init());
    } catch (const ConfigError& e) {
      throw ExperimentError(dir + ": " + e.pointer() + ": " + e.message());
    }
  }
  TrainerRun run;
  run.run_dir = dir;
  run.seed = config.seed;
  run.resume = true;  // a fresh directory has no checkpoint; the runner refuses stale ones unless --resume
  run.label = variant.name + " seed " + std::to_string(config.seed);
  run.config_hash = config_hash;
  run.collective = &collective;
  run.stop = options.stop;
  run.log = options.log;
  run.log_is_terminal = options.log_is_terminal;
  TrainOutcome outcome;
  try {
    outcome = Trainer(*task, variant.options.train(), run).train();
  } catch (const c10::Error& e) {
    throw std::runtime_error(dir + ": " + error_message(e));
  } catch (const TrainingDiverged& e) {
    throw TrainingDiverged(dir + ": " + e.what());
  } catch (const CheckpointError& e) {
    throw ExperimentError(e.what());
  } catch (const CollectiveError& e) {
    throw CollectiveError(dir + ": " + e.what());
  }
  if (outcome.interrupted) return false;

  // Every rank evaluates its share with the best weights, which rank 0 reads and sends (the
  // other ranks may be on machines without the run directory).
  auto model = task->model();
  if (is_main) load_weights(Trainer::best_checkpoint(dir), *model, run.config_hash);
  if (collective.world_size() > 1) {
    const std::string best =
        broadcast_bytes(collective, is_main ? checkpoint_bytes(*model, nullptr, nullptr, run.config_hash) : "");
    if (!is_main) load_checkpoint_bytes(best, "rank 0's best checkpoint", *model, nullptr, nullptr, run.config_hash);
  }
  // The final evaluation may decode for minutes: a Ctrl-C there stops it between batches and
  // leaves the run without results.json, so that --resume evaluates it again.
  task->set_stop_flag(options.stop);
  const auto& eval = variant.options.eval();
  json metrics = json::object();
  Predictions predictions;  // of the report split, for paired significance tests between variants
  std::vector<int64_t> predictions_per_rank;
  // A LibTorch error after training names the run and what it was doing, not only LibTorch's words.
  auto in_stage = [&dir](const std::string& stage, const auto& work) {
    try {
      return work();
    } catch (const c10::Error& e) {
      throw std::runtime_error(dir + ": " + stage + ": " + error_message(e));
    }
  };
  try {
    for (const auto& split : eval.splits()) {
      const bool reported = split == eval.report_split();
      auto evaluation = in_stage("evaluating " + split, [&] {
        return evaluate_on_ranks(*task, collective, split, EvaluationPass::kFinal, reported ? &predictions : nullptr);
      });
      metrics[split] = evaluation.metrics;
      if (reported) predictions_per_rank = evaluation.predictions_per_rank;
    }
  } catch (const EvaluationStopped&) {
    return false;
  }
  if (!is_main) return true;  // rank 0 writes the results
  write_predictions(predictions, (fs::path(dir) / "predictions.jsonl").string());
  // The cost of a training step in matrix-product FLOPs (training/matmul_flops.h), on the first
  // training examples of a batch's size.
  std::vector<int64_t> first_examples(
      static_cast<size_t>(std::min(variant.options.train().batch_size(), task->train_size())));
  std::iota(first_examples.begin(), first_examples.end(), 0);
  const TrainingStepFlops step_flops =
      in_stage("counting a training step's FLOPs", [&] { return count_training_step_flops(*task, first_examples); });
  const TrainerState& s = outcome.state;
  json results = {{"experiment", variant.options.name()},
                  {"variant", variant.name},
                  {"seed", config.seed},
                  {"parameters", count_parameters(*model)},
                  {"steps", s.step},
                  {"best_step", s.best_step},
                  {"stopped_early", s.step < variant.options.train().max_steps()},
                  {"train_seconds", s.train_seconds},
                  {"elapsed_seconds", s.elapsed_seconds},
                  {"tokens_per_second", s.train_seconds > 0 ? s.tokens / s.train_seconds : 0.0},
                  {"train_flops_per_token", step_flops.per_token()},
                  {"train_flops", step_flops.per_token() * s.tokens},
                  {"peak_rss_bytes", peak_resident_memory_bytes().value_or(0.0)},
                  {"metrics", metrics}};
  if (collective.world_size() > 1)
    results["data_parallel"] = {
        {"world_size", collective.world_size()},
        {"exchange_seconds", outcome.exchange_seconds},  // this session's, like exchange_share
        {"exchange_share", outcome.exchange_seconds / std::max(1e-9, outcome.session_train_seconds)},
        {"exchange_bytes_per_step", outcome.exchange_bytes_per_step},
        {"evaluation", {{"split", eval.report_split()}, {"predictions_per_rank", predictions_per_rank}}}};
  write_file_atomically((fs::path(dir) / "results.json").string(), results.dump(2) + "\n");
  // Drawn after results.json, so that a failure here loses nothing the evaluation measured.
  in_stage("drawing attention maps (results.json is written)", [&] {
    write_attention_maps(task->attention_maps(eval.report_split(), eval.attention_maps()),
                         (fs::path(dir) / "attention").string());
  });
  return true;
}

std::vector<PlannedRun> plan_runs(const Experiment& experiment, const RunnerOptions& options) {
  // Seed-major order (every variant's first seed, then every variant's second, ...): parallel
  // workers then share the machine between variants evenly, and a long variant does not run alone at the end.
  size_t most_seeds = 0;
  for (const auto& variant : experiment.variants) most_seeds = std::max(most_seeds, variant.options.seeds().size());
  std::vector<PlannedRun> runs;
  for (size_t i = 0; i < most_seeds; ++i) {
    for (const auto& variant : experiment.variants) {
      if (i >= variant.options.seeds().size()) continue;
      const int64_t seed = variant.options.seeds()[i];
      const std::string dir = run_directory(options.out_dir, experiment.name, variant.name, seed);
      fs::create_directories(dir);
      if (!fs::exists(config_path_of(dir)))
        write_file_atomically(config_path_of(dir), make_run_config(experiment.name, variant, seed).dump(2) + "\n");
      runs.push_back({variant.name, seed, dir, has_results(dir)});
    }
  }
  return runs;
}

void write_comparison_table(const Experiment& experiment, const std::vector<PlannedRun>& runs,
                            const RunnerOptions& options) {
  ComparisonTable table;
  const Variant& first = experiment.variants.front();
  table.split = first.options.eval().report_split();
  table.metrics = build_task(first.options, first.options.seeds().front(),
                             DataContext{"", tokenizer_cache_of(options.out_dir, experiment.name)})
                      ->table_metrics(table.split);
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
  write_report(experiment_dir.string(), (experiment_dir / "report.html").string());
  *options.out << "\n" << experiment.name << " — " << table.split << " split, mean ± std over seeds\n\n"
               << markdown << "\nwritten: " << (experiment_dir / "results.csv").string() << ", "
               << (experiment_dir / "summary.md").string() << ", " << (experiment_dir / "report.html").string()
               << "\n";
}

namespace {

/// check_experiment, which trains and caches the experiment's tokenizers on the way; when the
/// experiment is refused, what the check wrote goes too (the directories it made, the cache
/// entries it added), so an invalid experiment leaves nothing behind.
void check_experiment_or_leave_nothing(const Experiment& experiment, const std::string& out_dir) {
  const fs::path cache = tokenizer_cache_of(out_dir, experiment.name);
  fs::path first_made;  // the outermost directory on the way to the cache that does not exist yet
  for (fs::path p = cache; !p.empty() && !fs::exists(p); p = p.parent_path()) first_made = p;
  std::error_code ignored;
  std::set<fs::path> cached_before;
  if (first_made.empty())
    for (const auto& entry : fs::directory_iterator(cache, ignored)) cached_before.insert(entry.path());
  try {
    check_experiment(experiment, cache.string());
  } catch (...) {
    if (!first_made.empty()) {
      fs::remove_all(first_made, ignored);
    } else {
      for (const auto& entry : fs::directory_iterator(cache, ignored))
        if (!cached_before.count(entry.path())) fs::remove_all(entry.path(), ignored);
    }
    throw;
  }
}

}  // namespace

RunStatus run_experiment(const Experiment& experiment, const RunnerOptions& options) {
  check_experiment_or_leave_nothing(experiment, options.out_dir);
  check_run_directories(experiment, options);
  const auto runs = plan_runs(experiment, options);
  if (options.prepare_only) {
    for (const auto& run : runs) *options.out << run.dir << (run.finished ? "  (finished)" : "") << "\n";
    return RunStatus::kDone;
  }
  std::vector<std::string> pending;
  for (const auto& run : runs) {
    if (run.finished) *options.log << "[" << run.variant << " seed " << run.seed << "] finished earlier: " << run.dir << "\n";
    else pending.push_back(run.dir);
  }
  if ((options.jobs > 1 && pending.size() > 1) || (options.data_parallel > 1 && !pending.empty())) {
    if (run_in_parallel(pending, options) == RunStatus::kInterrupted) return RunStatus::kInterrupted;
  } else {
    for (const auto& dir : pending) {
      if (options.stop && options.stop->load()) return RunStatus::kInterrupted;  // stopped between runs
      if (!train_run_directory(dir, options)) return RunStatus::kInterrupted;
    }
  }
  write_comparison_table(experiment, runs, options);
  return RunStatus::kDone;
}

std::unique_ptr<Task> load_trained_task(const std::string& run_dir, const std::string& checkpoint) {
  const RunConfig config = read_run_config(config_path_of(run_dir));
  if (checkpoint != "best" && checkpoint != "latest")
    throw ExperimentError("--checkpoint " + checkpoint + ": unknown; known: best, latest");
  const std::string best = checkpoint == "best" ? Trainer::best_checkpoint(run_dir) : Trainer::latest_checkpoint(run_dir);
  if (!fs::exists(best))
    throw ExperimentError(best + (checkpoint == "best" ? ": missing (the run has not evaluated yet)" : ": missing (the run has not trained yet)"));
  std::unique_ptr<Task> task;
  try {
    task = build_task(config.variant.options, config.seed, run_data_context(run_dir));
  } catch (const DataFileError& e) {
    throw ExperimentError(run_dir + ": its data: " + e.what() +
                          " (data paths in config.json are relative to the directory attnlab runs in)");
  }
  load_weights(best, *task->model(), config_hash_of(run_dir));
  return task;
}

json evaluate_run(const std::string& run_dir, const std::vector<std::string>& splits) {
  auto task = load_trained_task(run_dir);
  const auto known = task->splits();
  for (const auto& split : splits)
    if (std::find(known.begin(), known.end(), split) == known.end())
      throw ExperimentError("--split " + split + ": unknown; known: " + join(known));
  json metrics = json::object();
  const auto config = read_run_config(config_path_of(run_dir));
  for (const auto& split : splits.empty() ? config.variant.options.eval().splits() : splits)
    metrics[split] = task->evaluate(split);
  return metrics;
}

}  // namespace attnlab
