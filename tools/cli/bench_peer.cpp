#include "tools/cli/bench_peer.h"

#include <stdexcept>
#include <vector>

#include "modules/options.h"
#include "tokenizers/subprocess.h"
#include "training/blas_kernels.h"

namespace attnlab::cli {

std::string default_peer_script() { return std::string(ATTNLAB_SOURCE_DIR) + "/tools/python/bench_peer.py"; }

PeerSettings default_peer_settings() {
  const auto kernels = blas_kernels();
  PeerSettings settings{"peer, default", std::nullopt, std::nullopt};
  if (!kernels.coretype_env.empty() && !kernels.selected_by_attnlab) settings.core = kernels.coretype_env;  // the user's
  return settings;
}

PeerSettings same_peer_settings(int threads) {
  const auto kernels = blas_kernels();
  PeerSettings settings{"peer, same settings", threads, std::nullopt};
  if (!kernels.core.empty()) settings.core = kernels.core;
  return settings;
}

PeerFigures run_peer(const PeerSetup& setup, const PeerSettings& settings, const PeerSizes& sizes) {
  // env(1) sets the child's environment: OPENBLAS_CORETYPE must be in place before the child's
  // OpenBLAS loads, and attnlab's own choice must not leak into the default peer.
  std::vector<std::string> argv{"/usr/bin/env"};
  if (settings.core) argv.push_back("OPENBLAS_CORETYPE=" + *settings.core);
  else argv.insert(argv.end(), {"-u", "OPENBLAS_CORETYPE"});
  argv.insert(argv.end(), {setup.python, setup.script, "--model", sizes.model, "--batch", std::to_string(sizes.batch),
                           "--length", std::to_string(sizes.length), "--vocab", std::to_string(sizes.vocab),
                           "--sentences", std::to_string(sizes.sentences), "--repeats", std::to_string(sizes.repeats),
                           "--expect-parameters", std::to_string(sizes.parameters)});
  if (settings.threads) argv.insert(argv.end(), {"--threads", std::to_string(*settings.threads)});

  std::string line;
  int status = 0;
  try {
    LineProcess child(argv);
    line = child.read_line();
    status = child.finish();
  } catch (const std::runtime_error&) {
    status = -1;  // it ended without a line: its own message is on stderr above
  }
  if (status != 0 || line.empty())
    throw std::runtime_error("the Python peer (" + setup.python + " " + setup.script + ", " + settings.label +
                             ") failed; its message is above");
  json figures;
  try {
    figures = json::parse(line);
    PeerFigures out{figures.at("train_ms").get<double>(), figures.at("greedy_ms").get<double>(),
                    figures.at("threads").get<int>(), figures.at("blas_core").get<std::string>()};
    if (figures.at("parameters").get<int64_t>() != sizes.parameters)
      throw std::runtime_error("the Python peer's " + sizes.model + " has " +
                               std::to_string(figures.at("parameters").get<int64_t>()) + " parameters, attnlab's " +
                               std::to_string(sizes.parameters));
    return out;
  } catch (const json::exception&) {
    throw std::runtime_error("the Python peer printed what is not its figures: " + line);
  }
}

}  // namespace attnlab::cli
