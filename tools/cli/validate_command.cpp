#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/runner.h"

namespace attnlab::cli {

int validate_command(int argc, char** argv) {
  cxxopts::Options options("attnlab validate",
                           "Check an experiment file (every variant, strictly) and print each variant's fully "
                           "resolved config as JSON.");
  options.add_options()("experiment", "experiment file (JSON)", cxxopts::value<std::string>())(
      "set", "set /json/pointer=VALUE in every variant (repeatable)", cxxopts::value<std::vector<std::string>>());
  ExperimentOverrides overrides;
  overrides.sets = take_whole_values(argc, argv, "set");
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab validate experiments/quickstart.json", exit_code, "experiment", "EXPERIMENT.json");
  if (!args) return exit_code;
  try {
    const Experiment experiment = load_experiment((*args)["experiment"].as<std::string>(), overrides);
    check_experiment(experiment);
    json variants = json::object();
    for (const auto& v : experiment.variants) variants[v.name] = v.resolved;
    std::cout << json{{"experiment", experiment.name}, {"schema_version", kConfigSchemaVersion}, {"variants", variants}}
                     .dump(2)
              << "\n";
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace attnlab::cli
