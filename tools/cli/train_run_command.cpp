#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/gloo_collective.h"
#include "training/interrupt.h"
#include "training/runner.h"

namespace attnlab::cli {

namespace {

/// --world-size/--rank/--master/--join-timeout as a rendezvous; nullopt (a message printed) when
/// one is wrong.
std::optional<GlooRendezvous> rendezvous_of(const cxxopts::ParseResult& args) {
  GlooRendezvous r;
  r.world_size = args["world-size"].as<int64_t>();
  r.rank = args["rank"].as<int64_t>();
  auto fail = [](const std::string& message) {
    std::cerr << "attnlab train-run: " << message << "\n";
    return std::nullopt;
  };
  if (r.world_size < 1 || r.world_size > 4096) return fail("--world-size must be in [1, 4096], got " + std::to_string(r.world_size));
  if (r.rank < 0 || r.rank >= r.world_size)
    return fail("--rank must be in [0, " + std::to_string(r.world_size - 1) + "] (--world-size " +
                std::to_string(r.world_size) + "), got " + std::to_string(r.rank));
  if (r.world_size > 1 && !args.count("master")) return fail("--world-size > 1 needs --master HOST:PORT (rank 0's address)");
  if (args.count("master")) {
    try {
      std::tie(r.host, r.port) = parse_master_address(args["master"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      return fail(e.what());
    }
  }
  const int64_t join = args["join-timeout"].as<int64_t>(), call = args["timeout"].as<int64_t>();
  if (join < 1 || call < 1) return fail("--join-timeout and --timeout must be at least 1 second");
  r.join_timeout = std::chrono::seconds(join);
  r.call_timeout = std::chrono::seconds(call);
  return r;
}

}  // namespace

int train_run_command(int argc, char** argv) {
  cxxopts::Options options("attnlab train-run",
                           "Train one run directory as its config.json says (continuing from its latest "
                           "checkpoint if there is one), then evaluate its best checkpoint and write results.json. "
                           "`attnlab run --jobs N` starts one of these per run.\n\n"
                           "Data-parallel: start one process per rank, each with the same RUN_DIR (`attnlab run "
                           "--prepare` writes it; config.json, data and tokenizer readable at the same paths on "
                           "every machine) and --world-size N --rank R "
                           "--master HOST:PORT, HOST:PORT being where rank 0 listens. Each rank trains on its share "
                           "of every batch with the config's `threads` and validates and evaluates its share of the "
                           "evaluation batches; rank 0 alone writes files. "
                           "`attnlab run --data-parallel N` does this on one machine.");
  options.add_options()("run_dir", "a run directory holding config.json", cxxopts::value<std::string>())(
      "no-redraw", "plain progress lines even on a terminal")(
      "world-size", "processes (ranks) training this run together", cxxopts::value<int64_t>()->default_value("1"))(
      "rank", "this process's rank, 0 .. world-size - 1 (rank 0 serves the rendezvous and writes the files)",
      cxxopts::value<int64_t>()->default_value("0"))(
      "master", "HOST:PORT of rank 0, e.g. 10.0.0.1:29500 (127.0.0.1 on one machine)", cxxopts::value<std::string>())(
      "join-timeout", "seconds to wait for every rank to join", cxxopts::value<int64_t>()->default_value("300"))(
      "timeout", "seconds one exchange waits for the other ranks (a share of a validation included) before giving up",
      cxxopts::value<int64_t>()->default_value("1800"));
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv,
                            "attnlab train-run runs/quickstart/bahdanau/seed-1 --world-size 2 --rank 0 --master "
                            "127.0.0.1:29500",
                            exit_code, "run_dir", "RUN_DIR");
  if (!args) return exit_code;
  const auto rendezvous = rendezvous_of(*args);
  if (!rendezvous) return kExitBadInput;
  const std::string dir = (*args)["run_dir"].as<std::string>();
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "config.json")) {
    std::cerr << "attnlab train-run: " << dir << ": no config.json (a run directory that `attnlab run` made)\n";
    return kExitBadInput;
  }
  RunnerOptions runner;
  runner.log_is_terminal = isatty(STDERR_FILENO) != 0 && !args->count("no-redraw");
  runner.stop = &install_interrupt_handler();
  // A worker of `run --jobs` stops with a checkpoint if the run that started it dies.
  if (args->count("no-redraw")) prctl(PR_SET_PDEATHSIG, SIGINT);
  std::unique_ptr<Collective> collective;
  if (rendezvous->world_size > 1) {
    try {
      collective = connect_gloo(*rendezvous);
    } catch (const CollectiveError& e) {
      std::cerr << "attnlab train-run: " << e.what() << "\n";
      return kExitBadInput;
    }
    runner.collective = collective.get();
  }
  try {
    if (!train_run_directory(dir, runner)) return kInterruptedExitCode;
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace attnlab::cli
