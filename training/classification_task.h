#pragma once
// Document classification: cross-entropy for training; at evaluation loss, accuracy,
// macro-F1 (the mean over classes of 2TP / (2TP + FP + FN)), F1 per class ("f1@<label>"),
// and for hierarchical models with a gold key sentence the sentence-attention accuracy:
// the share of documents whose most-attended sentence is the gold one.
// Legend: B documents, N sentences, C classes.

#include "data/document_data.h"
#include "models/classifier.h"
#include "training/task.h"
#include "training/train_options.h"

namespace attnlab {

class ClassificationTask : public Task {
 public:
  ClassificationTask(std::shared_ptr<DocumentData> data, std::shared_ptr<ClassifierImpl> model,
                     EvalOptions eval);

  std::shared_ptr<torch::nn::Module> model() override { return model_; }
  const Tokenizer& tokenizer() const override { return *data_->tokenizer; }
  int64_t train_size() const override;
  TrainLoss train_loss(const std::vector<int64_t>& examples, uint64_t draw_seed) override;
  MetricSums measure(const std::string& split, EvaluationPass pass, EvaluationShare share,
                     Predictions* predictions) override;
  Metrics metrics_from(const std::string& split, EvaluationPass pass, const MetricSums& sums) const override;
  std::vector<std::string> splits() const override { return data_->split_names(); }
  std::vector<std::string> metric_names(const std::string& split) const override;
  std::vector<std::string> table_metrics(const std::string& split) const override;

  ClassifierImpl& classifier() { return *model_; }
  const DocumentData& data() const { return *data_; }

 private:
  bool has_gold_sentences(const std::string& split) const;

  std::shared_ptr<DocumentData> data_;
  std::shared_ptr<ClassifierImpl> model_;
  EvalOptions eval_;
};

/// The model's input from a batch of documents.
DocumentInput document_input(const DocumentBatch& batch);

/// The C × C confusion counts of predicted and gold labels ([N] each), gold-major: cell g·C + p
/// counts the documents of gold label g predicted as p.
std::vector<double> confusion_counts(const torch::Tensor& predicted, const torch::Tensor& gold, int64_t classes);
/// Macro-F1 and F1 per class from confusion counts (confusion_counts' layout).
std::pair<double, std::vector<double>> f1_scores(const std::vector<double>& confusion, int64_t classes);

}  // namespace attnlab
