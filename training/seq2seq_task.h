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
#include "training/task.h"
#include "training/train_options.h"

namespace attnlab {

class Seq2SeqTask : public Task {
 public:
  Seq2SeqTask(std::shared_ptr<Seq2SeqData> data, std::shared_ptr<Seq2SeqModelImpl> model, EvalOptions eval);

  std::shared_ptr<torch::nn::Module> model() override { return model_; }
  int64_t train_size() const override;
  TrainLoss train_loss(const std::vector<int64_t>& examples) override;
  Metrics evaluate(const std::string& split) override;
  std::vector<std::string> splits() const override;
  std::vector<std::string> metric_names(const std::string& split) const override;
  std::vector<std::string> table_metrics(const std::string& split) const override;
  /// Greedy decoding of the first examples, with the attention of each output token.
  std::vector<AttentionMap> attention_maps(const std::string& split, int64_t count) override;

 private:
  /// Names of the source-length buckets ("1-10", ..., "51+").
  std::vector<std::string> bucket_names() const;
  /// The bucket names that hold examples of `split` (the others have no figures).
  std::vector<std::string> filled_buckets(const std::string& split) const;
  int64_t bucket_of(int64_t source_length) const;

  std::shared_ptr<Seq2SeqData> data_;
  std::shared_ptr<Seq2SeqModelImpl> model_;
  EvalOptions eval_;
};

}  // namespace attnlab
