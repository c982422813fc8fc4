#pragma once
// Shared by the subcommands that use a trained run (translate/decode, classify, fill-mask): load
// the run's best checkpoint, or its exported file (--model), and check it is of the kind the
// command needs.

#include <cxxopts.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "training/export_file.h"
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

/// An exported file (attnlab export) of `kind`; otherwise one line on stderr and nullopt: exit 2.
inline std::optional<ExportedRun> load_export_of_kind(const std::string& path, const std::string& kind) {
  try {
    auto run = load_exported_run(path);
    if (run.kind() == kind) return run;
    std::cerr << path << ": an export of a " << run.kind() << " model, not of a " << kind << " model\n";
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
  }
  return std::nullopt;
}

/// RUN_DIR or --model, exactly one: false (with one line on stderr) otherwise.
inline bool one_model_source(const cxxopts::ParseResult& args, const std::string& program) {
  const bool run_dir = args.count("run_dir") > 0, model = args.count("model") > 0;
  if (run_dir != model) return true;
  std::cerr << program << (run_dir ? ": give RUN_DIR or --model, not both" : ": missing RUN_DIR (or --model FILE.pt)")
            << " (see " << program << " --help)\n";
  return false;
}

}  // namespace attnlab::cli
