#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/interrupt.h"
#include "training/runner.h"

namespace attnlab::cli {

int train_run_command(int argc, char** argv) {
  cxxopts::Options options("attnlab train-run",
                           "Train one run directory as its config.json says (continuing from its latest "
                           "checkpoint if there is one), then evaluate its best checkpoint and write results.json. "
                           "`attnlab run --jobs N` starts one of these per run.");
  options.add_options()("run_dir", "a run directory holding config.json", cxxopts::value<std::string>())(
      "no-redraw", "plain progress lines even on a terminal");
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab train-run runs/quickstart/bahdanau/seed-1", exit_code, "run_dir", "RUN_DIR");
  if (!args) return exit_code;
  RunnerOptions runner;
  runner.log_is_terminal = isatty(STDERR_FILENO) != 0 && !args->count("no-redraw");
  runner.stop = &install_interrupt_handler();
  // A worker of `run --jobs` stops with a checkpoint if the run that started it dies.
  if (args->count("no-redraw")) prctl(PR_SET_PDEATHSIG, SIGINT);
  try {
    if (!train_run_directory((*args)["run_dir"].as<std::string>(), runner)) return kInterruptedExitCode;
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace attnlab::cli
