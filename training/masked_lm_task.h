#pragma once
// Masked language modelling (BERT): for training, cross-entropy at the selected positions
// only, masks drawn afresh per batch (data/masking.h); at evaluation, on masks drawn once per
// sequence from a fixed seed (the same for every variant, seed and evaluation batch size, so
// all are scored on the same positions):
//   loss               mean cross-entropy over the selected positions (nats)
//   masked_accuracy    share of selected positions whose top prediction is the original token
//   top5_accuracy      ... whose original token is among the 5 most likely
//   perplexity         exp(loss)
//   unigram_accuracy   the same share for always predicting the most frequent training token
//   unigram_perplexity exp of the mean -log p(token) under the training tokens' unigram
//                      frequencies (add-one smoothed over the vocabulary's real tokens)
// The unigram figures are the chance baseline each table shows beside the model's.
// Legend: B batch, T steps, V vocab, N selected positions.

#include <functional>
#include "data/masking.h"
#include "data/monolingual_text.h"
#include "models/bert.h"
#include "training/task.h"
#include "training/train_options.h"

namespace attnlab {

using MaskedLMTaskOptions = MaskingOptions;

class MaskedLMTask : public Task {
 public:
  MaskedLMTask(std::shared_ptr<MonolingualData> data, std::shared_ptr<BertMaskedLMImpl> model, EvalOptions eval,
               MaskedLMTaskOptions options = {});

  std::shared_ptr<torch::nn::Module> model() override { return model_; }
  BertMaskedLMImpl& masked_lm() { return *model_; }
  const Tokenizer& tokenizer() const override { return *data_->tokenizer; }
  int64_t max_length() const { return data_->max_length; }
  int64_t train_size() const override;
  TrainLoss train_loss(const std::vector<int64_t>& examples, uint64_t draw_seed) override;
  TrainLoss train_loss_of_rows(const std::vector<int64_t>& examples, uint64_t draw_seed, int64_t begin,
                               int64_t end) override;
  std::vector<int64_t> train_lengths() const override;
  MetricSums measure(const std::string& split, EvaluationPass pass, EvaluationShare share,
                     Predictions* predictions) override;
  Metrics metrics_from(const std::string& split, EvaluationPass pass, const MetricSums& sums) const override;
  std::vector<std::string> splits() const override { return data_->split_names(); }
  std::vector<std::string> metric_names(const std::string& split) const override;
  std::vector<std::string> table_metrics(const std::string& split) const override;
  /// Self-attention of the first sequences of `split` as evaluation masks them, over their first
  /// kMapTokens pieces: the last layer's head average, and every layer and head as panels.
  std::vector<AttentionMap> attention_maps(const std::string& split, int64_t count) override;
  static constexpr int64_t kMapTokens = 24;

 private:
  std::shared_ptr<MonolingualData> data_;
  std::shared_ptr<BertMaskedLMImpl> model_;
  EvalOptions eval_;
  MaskedLMTaskOptions options_;
  /// Each sequence of `split` as evaluation masks it (drawn on first use, then kept).
  const std::vector<TextSequence>& evaluation_inputs(const std::string& split);
  /// One prediction per sequence of a batch: top [N, k] and hit [N, k] over the selected positions.
  void record_predictions(const std::vector<TextSequence>& sequences, const std::vector<TextSequence>& inputs,
                          const std::vector<int64_t>& indices, const TextSequenceBatch& masked, const torch::Tensor& top,
                          const torch::Tensor& hit, Predictions* predictions) const;

  std::map<std::string, std::vector<TextSequence>> evaluation_inputs_;  // ids masked; word_start = selected
  torch::Tensor unigram_log_probs_;  // [V] log p(token) of the training tokens, add-one smoothed
  int64_t most_frequent_ = 0;        // the training split's most frequent real token
};

/// Mean cross-entropy over the selected positions: logits [N, V], targets [N]; 0 (with a
/// gradient of zeros) when N = 0.
torch::Tensor masked_lm_loss(const torch::Tensor& logits, const torch::Tensor& targets);

struct MaskCandidate {
  int64_t id;
  std::string piece;
  double probability;
};

/// A text as the model read it and the most likely fillings of each of its [MASK]s.
struct FilledText {
  std::vector<int64_t> ids;  // the text's pieces ([CLS] and [SEP] left out)
  struct Mask {
    int64_t position;                      // index into ids
    std::vector<MaskCandidate> candidates;  // most likely first
  };
  std::vector<Mask> masks;  // empty when the text has no [MASK]
};

/// The logits [N, V] at the selected positions ([B, T] bool) of ids and segments [B, T].
using MaskedLogits = std::function<torch::Tensor(const torch::Tensor& ids, const torch::Tensor& segments,
                                                 const torch::Tensor& selected)>;

/// The top-k fillings of each [MASK] in `text` (encoded by the model's tokenizer, wrapped in
/// [CLS] … [SEP]) by `logits` (a model, or an exported one). Throws std::invalid_argument when
/// the text is longer than max_length pieces.
FilledText fill_masks(const MaskedLogits& logits, const Tokenizer& tokenizer, const std::string& text, int64_t top_k,
                      int64_t max_length);
/// The logits of a model, in eval mode for the call.
MaskedLogits masked_logits_of(BertMaskedLMImpl& model);
/// fill_masks by masked_logits_of(model).
FilledText fill_masks(BertMaskedLMImpl& model, const Tokenizer& tokenizer, const std::string& text, int64_t top_k,
                      int64_t max_length);

}  // namespace attnlab
