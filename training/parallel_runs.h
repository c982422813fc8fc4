#pragma once
// Trains several run directories at once, each in a worker process of its own
// (RunnerOptions::worker + the directory), at most RunnerOptions::jobs at a time.
// Small models use one core poorly, so two single-thread runs on two cores finish
// about twice as fast as one two-thread run after another. A stop request is passed
// on to the workers as SIGINT (they write a checkpoint and exit 130).
// With RunnerOptions::data_parallel N > 1, each run is N worker processes, the ranks of one
// data-parallel run on 127.0.0.1 (a free port each run); `jobs` counts runs, not processes.

#include <string>
#include <vector>

#include "training/runner.h"

namespace attnlab {

/// Throws std::runtime_error naming the runs whose worker failed.
RunStatus run_in_parallel(const std::vector<std::string>& run_dirs, const RunnerOptions& options);

}  // namespace attnlab
