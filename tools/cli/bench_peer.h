#pragma once
// The peer of `attnlab bench model --peer`: the same models written in Python PyTorch eager
// (tools/python/bench_peer.py), run as a child process, so attnlab's figures can be read as ratios
// to what a researcher gets from Python on the same machine in the same minute.

#include <memory>
#include <optional>
#include <string>

#include "tokenizers/subprocess.h"

namespace attnlab::cli {

/// How the peer is started.
struct PeerSetup {
  std::string python;  // an interpreter with torch (Debian's /usr/bin/python3)
  std::string script;  // tools/python/bench_peer.py
};

/// One way to run the peer: by default (as a user would: PyTorch's own thread count, the BLAS
/// kernels OpenBLAS picks by itself, glibc's malloc as it comes) or with attnlab's settings (its
/// threads and kernels, and optionally its kept freed memory, training/freed_memory.h).
struct PeerSettings {
  std::string label;                // "peer, default" / "peer, same settings" / "peer, same + malloc"
  std::optional<int> threads;       // torch.set_num_threads, or PyTorch's default
  std::optional<std::string> core;  // OPENBLAS_CORETYPE, or none (OpenBLAS's own choice)
  std::string malloc_tunables;      // GLIBC_TUNABLES to add, or "" (the environment's)
};

/// The sizes both sides run at.
struct PeerSizes {
  std::string model;  // "transformer" or "rnn_bahdanau"
  int64_t batch, length, vocab, sentences;
  int64_t parameters;  // attnlab's count; the peer refuses to run a model of another size
};

/// A peer started once and kept waiting, timing one run whenever asked, so that attnlab can run
/// its own and the peer's runs in turn (the machine drifts between minutes; turns see it alike).
class PeerProcess {
 public:
  /// Starts the peer and waits until its model is built; throws std::runtime_error with a
  /// one-line reason when it cannot run or its model is not attnlab's (another parameter count).
  PeerProcess(const PeerSetup& setup, PeerSettings settings, const PeerSizes& sizes);
  /// Milliseconds of one run: "train" (one training step) or "greedy" (every batch decoded).
  double time_ms(const std::string& what);

  const PeerSettings& settings() const { return settings_; }
  int threads() const { return threads_; }
  const std::string& blas_core() const { return blas_core_; }

 private:
  std::unique_ptr<LineProcess> child_;
  PeerSettings settings_;
  std::string description_;  // for messages: interpreter, script, settings
  int threads_ = 0;
  std::string blas_core_;
};

/// The default peer's settings: PyTorch's threads, and OPENBLAS_CORETYPE only if the user set it
/// (not when attnlab chose it for itself). With `core`, these kernels instead: the default peer of
/// a machine where OpenBLAS picks them by itself (Prescott: the generic fallback that issue 13's
/// AVX-512 Xeon got), read on a machine where it does not.
PeerSettings default_peer_settings(const std::optional<std::string>& core = std::nullopt);
/// How the equally configured peer's malloc treats freed memory.
enum class PeerMalloc {
  as_glibc_ships,  // "peer, same settings": freed tensors go back to the system, as by default
  kept_freed,      // "peer, same + malloc": attnlab's kept freed memory (training/freed_memory.h)
};
/// The peer given attnlab's threads and the BLAS kernels attnlab runs, and with
/// PeerMalloc::kept_freed also attnlab's kept freed memory. Without the latter, the ratio on this
/// machine measures in good part glibc handing the peer's freed tensors back to the system and
/// faulting them in again (the peer's RNN step: 0.4-1.5 s, a steady 0.4 s with it).
PeerSettings same_peer_settings(int threads, PeerMalloc malloc);

/// The default script path (in the source tree this binary was built from).
std::string default_peer_script();

}  // namespace attnlab::cli
