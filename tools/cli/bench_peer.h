#pragma once
// The peer of `attnlab bench model --peer`: the same models written in Python PyTorch eager
// (tools/python/bench_peer.py), run as a child process, so attnlab's figures can be read as ratios
// to what a researcher gets from Python on the same machine in the same minute.

#include <optional>
#include <string>

namespace attnlab::cli {

/// How the peer is started.
struct PeerSetup {
  std::string python;  // an interpreter with torch (Debian's /usr/bin/python3)
  std::string script;  // tools/python/bench_peer.py
};

/// One way to run the peer: by default (as a user would: PyTorch's own thread count, the BLAS
/// kernels OpenBLAS picks by itself) or with attnlab's settings (its threads and kernels).
struct PeerSettings {
  std::string label;                // "peer, default" / "peer, same settings"
  std::optional<int> threads;       // torch.set_num_threads, or PyTorch's default
  std::optional<std::string> core;  // OPENBLAS_CORETYPE, or none (OpenBLAS's own choice)
};

/// The sizes both sides run at.
struct PeerSizes {
  std::string model;  // "transformer" or "rnn_bahdanau"
  int64_t batch, length, vocab, sentences;
  int repeats;
  int64_t parameters;  // attnlab's count; the peer refuses to run a model of another size
};

struct PeerFigures {
  double train_ms = 0, greedy_ms = 0;  // per training step, per `sentences` greedy sentences
  int threads = 0;
  std::string blas_core;
};

/// Runs the peer once; throws std::runtime_error with a one-line reason when it cannot run or
/// its model is not attnlab's (another parameter count).
PeerFigures run_peer(const PeerSetup& setup, const PeerSettings& settings, const PeerSizes& sizes);

/// The default peer's settings: PyTorch's threads, and OPENBLAS_CORETYPE only if the user set it
/// (not when attnlab chose it for itself).
PeerSettings default_peer_settings();
/// The peer given attnlab's threads and the BLAS kernels attnlab runs.
PeerSettings same_peer_settings(int threads);

/// The default script path (in the source tree this binary was built from).
std::string default_peer_script();

}  // namespace attnlab::cli
