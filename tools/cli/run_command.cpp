#include <unistd.h>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/interrupt.h"
#include "training/runner.h"

namespace attnlab::cli {

namespace {
/// More seeds than anyone compares variants over (and each is a training run).
constexpr int64_t kMaxSeeds = 1000;

/// This executable's path, for starting workers of itself.
std::string self_path(const char* fallback) {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, n) : std::string(fallback);
}
}  // namespace

int run_command(int argc, char** argv) {
  cxxopts::Options options("attnlab run",
                           "Train and evaluate every variant x seed of an experiment, then write and print the "
                           "comparison table (<out>/<experiment>/results.csv, summary.md).");
  options.add_options()("experiment", "experiment file (JSON)", cxxopts::value<std::string>())(
      "variant", "run only this variant (repeatable)", cxxopts::value<std::vector<std::string>>())(
      "seeds", "run N seeds: the file's first N, continued by consecutive numbers", cxxopts::value<int64_t>())(
      "set", "set /json/pointer=VALUE in every variant (VALUE is JSON, else a string; repeatable)",
      cxxopts::value<std::vector<std::string>>())("out", "directory of run outputs",
                                                  cxxopts::value<std::string>()->default_value("runs"))(
      "resume", "continue unfinished runs and reuse finished ones")(
      "jobs", "train N runs at once, each in its own process (give each 'threads' cores)",
      cxxopts::value<int64_t>()->default_value("1"))(
      "data-parallel", "train each run as N processes on this machine, each on its share of every batch and of "
      "the evaluation (c10d/Gloo over 127.0.0.1); with --jobs J, J runs x N processes x 'threads' threads run at once",
      cxxopts::value<int64_t>()->default_value("1"))(
      "prepare", "only check the experiment and write its run directories (config.json), printing them: "
      "for `attnlab train-run`, e.g. one rank per machine");
  ExperimentOverrides overrides;
  overrides.sets = take_whole_values(argc, argv, "set");
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv,
                            "attnlab run experiments/quickstart.json --variant bahdanau --seeds 1 "
                            "--set /train/max_steps=200",
                            exit_code, "experiment", "EXPERIMENT.json");
  if (!args) return exit_code;
  if (args->count("variant")) overrides.variants = (*args)["variant"].as<std::vector<std::string>>();
  if (args->count("seeds")) {
    overrides.seeds = (*args)["seeds"].as<int64_t>();
    if (*overrides.seeds < 1 || *overrides.seeds > kMaxSeeds) {
      std::cerr << "attnlab run: --seeds must be in [1, " << kMaxSeeds << "], got " << *overrides.seeds << "\n";
      return kExitBadInput;
    }
  }
  RunnerOptions runner;
  runner.out_dir = (*args)["out"].as<std::string>();
  runner.resume = args->count("resume") > 0;
  runner.log_is_terminal = isatty(STDERR_FILENO) != 0;
  runner.jobs = (*args)["jobs"].as<int64_t>();
  if (runner.jobs < 1) {
    std::cerr << "attnlab run: --jobs must be >= 1, got " << runner.jobs << "\n";
    return kExitBadInput;
  }
  runner.data_parallel = (*args)["data-parallel"].as<int64_t>();
  if (runner.data_parallel < 1 || runner.data_parallel > 256) {
    std::cerr << "attnlab run: --data-parallel must be in [1, 256], got " << runner.data_parallel << "\n";
    return kExitBadInput;
  }
  runner.worker = {self_path(argv[0]), "train-run", "--no-redraw"};
  runner.prepare_only = args->count("prepare") > 0;
  try {
    const Experiment experiment = load_experiment((*args)["experiment"].as<std::string>(), overrides);
    runner.stop = &install_interrupt_handler();
    if (run_experiment(experiment, runner) == RunStatus::kInterrupted) {
      std::cerr << "attnlab run: interrupted; checkpoint written. Continue with --resume.\n";
      return kInterruptedExitCode;
    }
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace attnlab::cli
