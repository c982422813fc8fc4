#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/runner.h"

namespace attnlab::cli {

int eval_command(int argc, char** argv) {
  cxxopts::Options options("attnlab eval",
                           "Re-evaluate a trained run from its best checkpoint and print the metrics as JSON.");
  options.add_options()("run_dir", "a run directory (holds config.json and checkpoints/)",
                        cxxopts::value<std::string>())(
      "split", "split to evaluate (repeatable; default: the config's eval splits)",
      cxxopts::value<std::vector<std::string>>());
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab eval runs/quickstart/bahdanau/seed-1 --split test",
                            exit_code, "run_dir", "RUN_DIR");
  if (!args) return exit_code;
  const std::string run_dir = (*args)["run_dir"].as<std::string>();
  try {
    std::vector<std::string> splits;
    if (args->count("split")) splits = (*args)["split"].as<std::vector<std::string>>();
    std::cout << evaluate_run(run_dir, splits).dump(2) << "\n";
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace attnlab::cli
