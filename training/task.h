#pragma once
// A task is one kind of work (sequence-to-sequence, classification, masked LM): it owns
// its data and model, and supplies the training loss of a batch and the metrics of a
// split. The Trainer supplies everything else, the same for every task.

#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "tokenizers/tokenizer.h"
#include "training/attention_map.h"
#include "training/predictions.h"

namespace attnlab {

using Metrics = std::map<std::string, double>;

/// Thrown by an evaluation whose stop flag was set (Ctrl-C): a long decoding pass ends within a batch.
struct EvaluationStopped : std::runtime_error {
  EvaluationStopped() : std::runtime_error("evaluation stopped") {}
};

/// Eval mode for a scope: the model's training mode comes back when the scope ends, also when
/// an evaluation throws.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(torch::nn::Module& model) : model_(model), was_training_(model.is_training()) {
    model_.eval();
  }
  ~EvalModeGuard() {
    if (was_training_) model_.train();
  }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  torch::nn::Module& model_;
  bool was_training_;
};

struct TrainLoss {
  torch::Tensor loss;      // scalar: a mean over the batch's loss_count items
  int64_t tokens;          // tokens the loss covers (for tokens/s)
  /// What the mean is over (target tokens, documents, masked tokens): the weight of this loss
  /// when data-parallel ranks combine their shares of one micro-batch.
  int64_t loss_count = 0;
};

/// The final evaluation, or the periodic validation during training, where a task may leave
/// out costly metrics (seq2seq: decoding, with eval.training_validation "teacher_forced").
enum class EvaluationPass { kFinal, kValidation };

/// Which evaluation batches one rank measures: in data-parallel evaluation rank r takes batches
/// r, r + W, r + 2W, ... of the batches one process would make, so that every example is
/// measured in the same batch as by one process, and the ranks' shares are balanced even when
/// batches are sorted by length.
struct EvaluationShare {
  int64_t rank = 0, world_size = 1;
  bool takes(size_t batch) const { return static_cast<int64_t>(batch % static_cast<size_t>(world_size)) == rank; }
};

/// Sums over examples from which a split's metrics follow (sufficient statistics: token and
/// example counts, summed losses, BLEU's n-gram matches, chrF's character n-gram counts, ...),
/// so that shares of a split combine by adding them. Every share of a split has the same names
/// and lengths, also a share with no examples.
using MetricSums = std::map<std::string, std::vector<double>>;

class Task {
 public:
  virtual ~Task() = default;
  virtual std::shared_ptr<torch::nn::Module> model() = 0;
  /// The tokenizer of the task's data (what turns text into the model's ids).
  virtual const Tokenizer& tokenizer() const = 0;
  /// Number of training examples; batches are lists of indices into them.
  virtual int64_t train_size() const = 0;
  /// The loss of one training micro-batch. `draw_seed` seeds whatever the task draws at random in
  /// building it (masked LM: which tokens are masked); the Trainer derives it from the run's
  /// seed, the step and the micro-batch, so a resumed run draws exactly as an uninterrupted one
  /// and every variant of an experiment sees the same draws for a seed.
  virtual TrainLoss train_loss(const std::vector<int64_t>& examples, uint64_t draw_seed) = 0;
  /// The loss of rows [begin, end) of a micro-batch: one rank's share of it in data-parallel
  /// training. By default train_loss of those examples; a task whose draws depend on the whole
  /// micro-batch (masked LM) draws for all of it, so that the shares together are the one batch.
  virtual TrainLoss train_loss_of_rows(const std::vector<int64_t>& examples, uint64_t draw_seed, int64_t begin,
                                       int64_t end) {
    return train_loss(std::vector<int64_t>(examples.begin() + begin, examples.begin() + end), draw_seed);
  }
  /// Each training example's size in tokens, for batching by a token budget; empty if the
  /// task does not batch that way.
  virtual std::vector<int64_t> train_lengths() const { return {}; }
  /// The sums over the examples of `share` (in eval mode) from which metrics_from() computes
  /// the split's metrics. With `predictions`, also each measured example's outcome and the
  /// statistics of its metrics (training/predictions.h), at least for the table's accuracy-like
  /// metrics, BLEU and chrF.
  virtual MetricSums measure(const std::string& split, EvaluationPass pass, EvaluationShare share,
                             Predictions* predictions) = 0;
  /// The metrics of a split from its sums (the sums of every share added); "loss" is always among
  /// them.
  virtual Metrics metrics_from(const std::string& split, EvaluationPass pass, const MetricSums& sums) const = 0;
  /// The final metrics of a split, measured by this process alone.
  Metrics evaluate(const std::string& split, Predictions* predictions = nullptr) {
    return metrics_from(split, EvaluationPass::kFinal, measure(split, EvaluationPass::kFinal, {}, predictions));
  }
  /// The periodic validation's metrics of a split, measured by this process alone.
  Metrics validate(const std::string& split) {
    return metrics_from(split, EvaluationPass::kValidation, measure(split, EvaluationPass::kValidation, {}, nullptr));
  }
  /// Names of the splits evaluate() takes.
  virtual std::vector<std::string> splits() const = 0;
  /// Exactly the metric names evaluate(split) returns, known before training.
  virtual std::vector<std::string> metric_names(const std::string& split) const = 0;
  /// Exactly the metric names validate(split) returns (what early stopping may use).
  virtual std::vector<std::string> validation_metric_names(const std::string& split) const {
    return metric_names(split);
  }
  /// The metrics of `split` the comparison table shows, in order.
  virtual std::vector<std::string> table_metrics(const std::string& split) const = 0;
  /// Attention maps of the first `count` examples of `split` (none for models without attention).
  virtual std::vector<AttentionMap> attention_maps(const std::string& /*split*/, int64_t /*count*/) { return {}; }

  /// Evaluations check `stop` between batches and throw EvaluationStopped once it is set.
  void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }

 protected:
  void throw_if_stopped() const {
    if (stop_ && stop_->load()) throw EvaluationStopped();
  }

 private:
  const std::atomic<bool>* stop_ = nullptr;
};

}  // namespace attnlab
