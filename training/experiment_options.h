#pragma once
// One variant of an experiment, fully resolved: what the runner builds and trains.

#include "core/options.h"
#include "data/data_registry.h"
#include "models/model_registry.h"
#include "training/init_from.h"
#include "training/task_registry.h"
#include "training/threads.h"
#include "training/train_options.h"

namespace attnlab {

/// Version of the resolved config written to every run directory.
/// 2: a bidirectional encoder has hidden/2 units per direction (1: hidden per direction).
/// 3: attention is score x scope x heads; eval.attention_maps.
/// 4: init (fine-tuning); the Transformer's encoder layers are one stack (encoder.layer_N).
inline constexpr int kConfigSchemaVersion = 4;

struct ExperimentOptions {
  /// Names the run directory runs/<name>/; default: the file's name without .json.
  TORCH_ARG(std::string, name) = "";
  TORCH_ARG(std::string, description) = "";
  TORCH_ARG(json, task) = "seq2seq";
  TORCH_ARG(json, data) = json();   // required
  TORCH_ARG(json, model) = json();  // required
  TORCH_ARG(TrainOptions, train) = {};
  TORCH_ARG(EvalOptions, eval) = {};
  /// Start from a trained run's weights (fine-tuning): {"from": RUN_DIR, "part": "encoder"}.
  TORCH_ARG(InitOptions, init) = {};
  /// Seeds of model initialisation, dropout and batch order: one run per seed.
  TORCH_ARG(std::vector<int64_t>, seeds) = std::vector<int64_t>{1};
  /// CPU threads; 0 = every core.
  TORCH_ARG(int64_t, threads) = 0;
};

template <class Fields>
void visit_fields(Fields& f, ExperimentOptions& o) {
  f("name", o.name());
  f("description", o.description());
  f.nested("task", o.task(), task_registry());
  f.require("data");
  f.nested("data", o.data(), data_registry());
  f.require("model");
  f.nested("model", o.model(), model_registry());
  f.object("train", o.train());
  f.object("eval", o.eval());
  f.object("init", o.init());
  f("seeds", o.seeds(), each_at_least(0, 1));
  f("threads", o.threads(), check_thread_count);
}

}  // namespace attnlab
