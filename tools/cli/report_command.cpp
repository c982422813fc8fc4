#include <filesystem>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/report.h"

namespace attnlab::cli {

int report_command(int argc, char** argv) {
  cxxopts::Options options("attnlab report",
                           "Write the comparison report of an experiment's runs: one self-contained HTML page with "
                           "the results and their 95% intervals over seeds, paired bootstrap tests against a "
                           "baseline, cost, learning curves and attention maps.");
  options.add_options()("experiment_dir", "the experiment's run directory (RUNS_DIR/EXPERIMENT)",
                        cxxopts::value<std::string>())(
      "out", "the page to write (default: EXPERIMENT_DIR/report.html)", cxxopts::value<std::string>())(
      "baseline", "the variant the others are compared with (default: the first)", cxxopts::value<std::string>())(
      "resamples", "paired bootstrap resamples", cxxopts::value<int64_t>()->default_value("1000"));
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab report runs/quickstart --baseline none", exit_code,
                            "experiment_dir", "RUNS_DIR/EXPERIMENT");
  if (!args) return exit_code;
  const std::string dir = (*args)["experiment_dir"].as<std::string>();
  ReportOptions report;
  if (args->count("baseline")) report.baseline = (*args)["baseline"].as<std::string>();
  report.resamples = (*args)["resamples"].as<int64_t>();
  if (report.resamples < 1) {
    std::cerr << "attnlab report: --resamples must be >= 1, got " << report.resamples << "\n";
    return kExitBadInput;
  }
  const std::string out =
      args->count("out") ? (*args)["out"].as<std::string>() : (std::filesystem::path(dir) / "report.html").string();
  try {
    write_report(dir, out, report);
  } catch (const ReportError& e) {
    std::cerr << "attnlab report: " << e.what() << "\n";
    return kExitBadInput;
  }
  std::cout << "written: " << out << "\n";
  return kExitOk;
}

}  // namespace attnlab::cli
