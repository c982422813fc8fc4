#pragma once
// The `train` and `eval` sections of an experiment.

#include "core/options.h"
#include "training/optimizers.h"
#include "training/schedules.h"

namespace attnlab {

struct EarlyStoppingOptions {
  /// Validation metric that picks the best checkpoint and stops training early.
  TORCH_ARG(std::string, metric) = "loss";
  /// "min", "max", or "auto" (min for loss and ppl, max for the rest).
  TORCH_ARG(std::string, mode) = "auto";
  /// Evaluations without improvement before stopping; 0 = never stop early.
  TORCH_ARG(int64_t, patience) = 0;
};
template <class Fields>
void visit_fields(Fields& f, EarlyStoppingOptions& o) {
  f("metric", o.metric());
  f("mode", o.mode(), one_of({"auto", "min", "max"}));
  f("patience", o.patience(), at_least(0));
}
/// Whether a larger value of the metric is better, with mode "auto" resolved.
bool higher_is_better(const EarlyStoppingOptions& o);

/// train.non_finite "skip": this many non-finite steps in a row stop the run all the same.
inline constexpr int64_t kMaxSkippedInARow = 100;

struct TrainOptions {
  TORCH_ARG(json, optimizer) = json{{"type", "adam"}};
  TORCH_ARG(json, schedule) = json{{"type", "constant"}};
  /// Examples per micro-batch.
  TORCH_ARG(int64_t, batch_size) = 64;
  /// If > 0, micro-batches by token budget instead (tasks that know their examples' lengths):
  /// examples of similar length together, at most this many padded tokens (data/batching.h).
  TORCH_ARG(int64_t, batch_tokens) = 0;
  /// Optimizer steps in all.
  TORCH_ARG(int64_t, max_steps) = 1000;
  /// Micro-batches whose gradients add up to one optimizer step.
  TORCH_ARG(int64_t, grad_accumulation) = 1;
  /// Clip the gradient's global L2 norm to this; 0 = no clipping.
  TORCH_ARG(double, clip_norm) = 1.0;
  /// Evaluate on the validation split (and write the latest checkpoint) every N steps.
  TORCH_ARG(int64_t, eval_every) = 200;
  /// Log the training loss every N steps.
  TORCH_ARG(int64_t, log_every) = 50;
  TORCH_ARG(EarlyStoppingOptions, early_stopping) = {};
  /// A step whose loss or gradient norm is not finite: "stop" the run there (the checkpoints
  /// keep the last finite weights), or "skip" its update and go on (fairseq-style; counted as
  /// skipped_steps in metrics.jsonl; kMaxSkippedInARow in a row stop the run).
  TORCH_ARG(std::string, non_finite) = "stop";
};
template <class Fields>
void visit_fields(Fields& f, TrainOptions& o) {
  f.nested("optimizer", o.optimizer(), optimizer_registry());
  f.nested("schedule", o.schedule(), schedule_registry());
  f("batch_size", o.batch_size(), at_least(1));
  f("batch_tokens", o.batch_tokens(), at_least(0));
  f("max_steps", o.max_steps(), at_least(1));
  f("grad_accumulation", o.grad_accumulation(), at_least(1));
  f("clip_norm", o.clip_norm(), at_least(0.0));
  f("eval_every", o.eval_every(), at_least(1));
  f("log_every", o.log_every(), at_least(1));
  f.object("early_stopping", o.early_stopping());
  f("non_finite", o.non_finite(), one_of({"stop", "skip"}));
}

struct EvalOptions {
  /// Splits evaluated with the best checkpoint at the end of a run.
  TORCH_ARG(std::vector<std::string>, splits) = std::vector<std::string>{"valid", "test"};
  /// The split whose metrics the comparison table shows.
  TORCH_ARG(std::string, report_split) = "test";
  /// Upper edges of the source-length buckets metrics are also given for.
  TORCH_ARG(std::vector<int64_t>, length_buckets) = std::vector<int64_t>{10, 20, 30, 40, 50};
  /// Decoding stops after ratio x source length + extra tokens.
  TORCH_ARG(double, max_length_ratio) = 2.0;
  TORCH_ARG(int64_t, max_length_extra) = 10;
  /// Decoding of the model's own outputs for the metrics: greedy (1) or beam search of this size.
  TORCH_ARG(int64_t, beam) = 1;
  /// What the validation during training computes: "full" (every metric, decoding included)
  /// or "teacher_forced" (loss, ppl, aer, attention metrics: no decoding, much cheaper on long
  /// text); the evaluation of the best checkpoint at the end is always full.
  TORCH_ARG(std::string, training_validation) = "full";
  /// GNMT length penalty α of the beam search (0: none).
  TORCH_ARG(double, length_penalty) = 0.6;
  /// Examples per evaluation batch.
  TORCH_ARG(int64_t, batch_size) = 128;
  /// Attention maps (JSON + SVG heatmap) written for the first N examples of the report split.
  TORCH_ARG(int64_t, attention_maps) = 3;
};
template <class Fields>
void visit_fields(Fields& f, EvalOptions& o) {
  f("splits", o.splits());
  f("report_split", o.report_split());
  f("length_buckets", o.length_buckets(), each_at_least(1, 0));
  f("max_length_ratio", o.max_length_ratio(), greater_than(0.0));
  f("max_length_extra", o.max_length_extra(), at_least(0));
  f("beam", o.beam(), at_least(1));
  f("training_validation", o.training_validation(), one_of({"full", "teacher_forced"}));
  f("length_penalty", o.length_penalty(), at_least(0.0));
  f("batch_size", o.batch_size(), at_least(1));
  f("attention_maps", o.attention_maps(), at_least(0));
}
void validate_options(const EvalOptions& o, const std::string& pointer);

}  // namespace attnlab
