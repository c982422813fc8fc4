#pragma once
// Sequence-to-sequence task: cross-entropy under teacher forcing for training; at
// evaluation, loss and perplexity (teacher forcing), token accuracy and exact match of
// greedy decoding (overall and per source-length bucket), and for models with attention
// the alignment accuracy: the share of target steps whose most-attended source position
// (under teacher forcing) is the gold one, and the attention entropy: -Σ w log w of each
// target step's weights (nats), averaged over target steps (0 for one-hot weights,
// log S for uniform ones).

#include "data/seq2seq_data.h"
#include "models/seq2seq_model.h"
#include "training/label_smoothing.h"
#include "training/task.h"
#include "training/train_options.h"

namespace attnlab {

struct Seq2SeqTaskOptions {
  /// ε of label smoothing in the training loss (Szegedy et al. 2016; Vaswani et al. 2017 use 0.1):
  /// the target distribution is (1 - ε) one-hot + ε uniform over the vocabulary. Evaluation
  /// reports the plain cross-entropy.
  TORCH_ARG(double, label_smoothing) = 0.0;
};
template <class Fields>
void visit_fields(Fields& f, Seq2SeqTaskOptions& o) {
  f("label_smoothing", o.label_smoothing(), in_range(0.0, 1.0));
}

class Seq2SeqTask : public Task {
 public:
  Seq2SeqTask(std::shared_ptr<Seq2SeqData> data, std::shared_ptr<Seq2SeqModelImpl> model, EvalOptions eval,
              Seq2SeqTaskOptions options = {});

  std::shared_ptr<torch::nn::Module> model() override { return model_; }
  Seq2SeqModelImpl& seq2seq_model() { return *model_; }
  const Tokenizer& tokenizer() const override { return *data_->tokenizer; }
  int64_t train_size() const override;
  TrainLoss train_loss(const std::vector<int64_t>& examples, uint64_t draw_seed) override;
  /// The longer of source and target (+ EOS) of each training example.
  std::vector<int64_t> train_lengths() const override;
  /// Per example of the final pass: the source and reference texts, the decoded hypothesis, and
  /// the statistics of exact_match, token_accuracy and (text) bleu and chrf.
  MetricSums measure(const std::string& split, EvaluationPass pass, EvaluationShare share,
                     Predictions* predictions) override;
  Metrics metrics_from(const std::string& split, EvaluationPass pass, const MetricSums& sums) const override;
  std::vector<std::string> splits() const override;
  std::vector<std::string> metric_names(const std::string& split) const override {
    return metric_names(split, decodes(EvaluationPass::kFinal));
  }
  std::vector<std::string> validation_metric_names(const std::string& split) const override {
    return metric_names(split, decodes(EvaluationPass::kValidation));
  }
  std::vector<std::string> table_metrics(const std::string& split) const override;
  /// Greedy decoding of the first examples, with the attention of each output token.
  std::vector<AttentionMap> attention_maps(const std::string& split, int64_t count) override;

 private:
  /// Names of the source-length buckets ("1-10", ..., "51+").
  std::vector<std::string> bucket_names() const;
  /// The bucket names that hold examples of `split` (the others have no figures).
  std::vector<std::string> filled_buckets(const std::string& split) const;
  int64_t bucket_of(int64_t source_length) const;
  std::vector<std::string> metric_names(const std::string& split, bool decode) const;
  /// Whether a pass decodes the model's own outputs (the final one always; validation with
  /// eval.training_validation "full").
  bool decodes(EvaluationPass pass) const {
    return pass == EvaluationPass::kFinal || eval_.training_validation() == "full";
  }
  /// Whether some example of `split` has gold word alignments (then AER applies).
  bool has_word_alignments(const std::string& split) const;
  /// The model's outputs for a batch, greedy or by beam search (eval.beam): [B, L] ids, the
  /// first EOS included, kPad after it.
  torch::Tensor decode_outputs(const Seq2SeqBatch& batch);
  /// Every layer and head of a model with several (Seq2SeqModelImpl::every_attention) as panels
  /// of each example's map; decoded [B, L] the greedy outputs the maps show.
  void add_layer_panels(const Seq2SeqBatch& batch, const torch::Tensor& decoded, std::vector<AttentionMap>& maps);

  std::shared_ptr<Seq2SeqData> data_;
  std::shared_ptr<Seq2SeqModelImpl> model_;
  EvalOptions eval_;
  Seq2SeqTaskOptions options_;
};

}  // namespace attnlab
