#pragma once
// attnlab bench: timing of the registered building blocks (see bench_command.cpp).

namespace attnlab::cli {

/// `attnlab bench attention [options]`: forward + backward time of every registered attention.
/// Returns 0 on success, 1 on failure while running, 2 on a bad command line.
int bench_command(int argc, char** argv);

}  // namespace attnlab::cli
