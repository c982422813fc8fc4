#pragma once
// Shared by the subcommands that use a trained run (translate/decode, classify): load the
// run's best checkpoint and check the run is of the task kind the command needs.

#include <iostream>
#include <memory>
#include <string>

#include "training/runner.h"

namespace attnlab::cli {

/// The run's task, if it is a TaskKind (`owner` keeps it alive); otherwise one line on stderr
/// ("RUN_DIR: not a <kind> run", or why the run cannot be loaded) and nullptr: exit code 2.
template <class TaskKind>
TaskKind* load_trained_task_of_kind(const std::string& run_dir, const std::string& kind,
                                    std::unique_ptr<Task>& owner) {
  try {
    owner = load_trained_task(run_dir);
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
    return nullptr;
  }
  auto* task = dynamic_cast<TaskKind*>(owner.get());
  if (!task) std::cerr << run_dir << ": not a " << kind << " run\n";
  return task;
}

}  // namespace attnlab::cli
