#include "tools/cli/bench_peer.h"

#include <stdexcept>
#include <vector>

#include "core/options.h"
#include "tokenizers/subprocess.h"
#include "training/blas_kernels.h"
#include "training/freed_memory.h"

namespace attnlab::cli {

std::string default_peer_script() { return std::string(ATTNLAB_SOURCE_DIR) + "/tools/python/bench_peer.py"; }

PeerSettings default_peer_settings(const std::optional<std::string>& core) {
  const auto kernels = blas_kernels();
  PeerSettings settings{"peer, default", std::nullopt, std::nullopt, ""};
  if (core) settings.core = core;
  else if (!kernels.coretype_env.empty() && !kernels.selected_by_attnlab) settings.core = kernels.coretype_env;  // the user's
  return settings;
}

PeerSettings same_peer_settings(int threads, PeerMalloc malloc) {
  const auto kernels = blas_kernels();
  const bool kept = malloc == PeerMalloc::kept_freed;
  PeerSettings settings{kept ? "peer, same + malloc" : "peer, same settings", threads, std::nullopt,
                        kept ? kept_freed_memory_tunables() : ""};
  if (!kernels.core.empty()) settings.core = kernels.core;
  return settings;
}

PeerProcess::PeerProcess(const PeerSetup& setup, PeerSettings settings, const PeerSizes& sizes)
    : settings_(std::move(settings)), description_(setup.python + " " + setup.script + ", " + settings_.label) {
  // env(1) sets the child's environment: OPENBLAS_CORETYPE must be in place before the child's
  // OpenBLAS loads, and attnlab's own choice must not leak into the default peer.
  std::vector<std::string> argv{"/usr/bin/env"};
  if (settings_.core) argv.push_back("OPENBLAS_CORETYPE=" + *settings_.core);
  else argv.insert(argv.end(), {"-u", "OPENBLAS_CORETYPE"});
  if (!settings_.malloc_tunables.empty()) argv.push_back("GLIBC_TUNABLES=" + settings_.malloc_tunables);
  argv.insert(argv.end(), {setup.python, setup.script, "--serve", "--model", sizes.model, "--batch",
                           std::to_string(sizes.batch), "--length", std::to_string(sizes.length), "--vocab",
                           std::to_string(sizes.vocab), "--sentences", std::to_string(sizes.sentences),
                           "--expect-parameters", std::to_string(sizes.parameters)});
  if (settings_.threads) argv.insert(argv.end(), {"--threads", std::to_string(*settings_.threads)});
  std::string line;
  try {
    child_ = std::make_unique<LineProcess>(argv);
    line = child_->read_line();
  } catch (const std::runtime_error&) {
    throw std::runtime_error("the Python peer (" + description_ + ") did not start; its message is above");
  }
  try {
    const auto figures = json::parse(line);
    if (figures.at("parameters").get<int64_t>() != sizes.parameters)
      throw std::runtime_error("the Python peer's " + sizes.model + " has " +
                               std::to_string(figures.at("parameters").get<int64_t>()) + " parameters, attnlab's " +
                               std::to_string(sizes.parameters));
    threads_ = figures.at("threads").get<int>();
    blas_core_ = figures.at("blas_core").get<std::string>();
  } catch (const json::exception&) {
    throw std::runtime_error("the Python peer (" + description_ + ") printed what is not its figures: " + line);
  }
}

double PeerProcess::time_ms(const std::string& what) {
  try {
    child_->write_line(what);
    return std::stod(child_->read_line());
  } catch (const std::exception&) {  // it ended, or answered with what is not a number
    throw std::runtime_error("the Python peer (" + description_ + ") failed while timing " + what +
                             "; its message is above");
  }
}

}  // namespace attnlab::cli
