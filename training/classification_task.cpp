#include "training/classification_task.h"

#include <algorithm>
#include <numeric>

namespace attnlab {

DocumentInput document_input(const DocumentBatch& batch) {
  return {batch.words, batch.sentence_lengths, batch.sentence_counts, batch.flat_words, batch.flat_lengths};
}

std::pair<double, std::vector<double>> f1_scores(const torch::Tensor& predicted, const torch::Tensor& gold,
                                                 int64_t classes) {
  std::vector<double> f1(classes, 0.0);
  for (int64_t c = 0; c < classes; ++c) {
    auto p = predicted.eq(c), g = gold.eq(c);
    const double tp = (p & g).sum().item<double>(), fp = (p & ~g).sum().item<double>(),
                 fn = (~p & g).sum().item<double>();
    f1[c] = tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
  }
  return {std::accumulate(f1.begin(), f1.end(), 0.0) / static_cast<double>(classes), f1};
}

ClassificationTask::ClassificationTask(std::shared_ptr<DocumentData> data,
                                       std::shared_ptr<ClassifierImpl> model, EvalOptions eval)
    : data_(std::move(data)), model_(std::move(model)), eval_(std::move(eval)) {
  TORCH_CHECK(data_ && model_, "classification task: needs documents and a document classifier");
}

int64_t ClassificationTask::train_size() const { return static_cast<int64_t>(data_->split("train").size()); }

TrainLoss ClassificationTask::train_loss(const std::vector<int64_t>& examples, uint64_t /*draw_seed*/) {
  auto batch = make_document_batch(data_->split("train"), examples);
  auto out = model_->forward(document_input(batch));
  return {torch::nll_loss(out.log_probs, batch.labels), batch.flat_lengths.sum().item<int64_t>(),
          static_cast<int64_t>(examples.size())};
}

bool ClassificationTask::has_gold_sentences(const std::string& split) const {
  if (!model_->has_sentence_attention()) return false;
  const auto& documents = data_->split(split);
  return std::any_of(documents.begin(), documents.end(), [](const Document& d) { return d.key_sentence >= 0; });
}

std::vector<std::string> ClassificationTask::metric_names(const std::string& split) const {
  std::vector<std::string> names = {"loss", "accuracy", "macro_f1"};
  for (const auto& label : data_->labels) names.push_back("f1@" + label);
  if (has_gold_sentences(split)) names.push_back("sentence_attention_accuracy");
  return names;
}

std::vector<std::string> ClassificationTask::table_metrics(const std::string& split) const {
  if (!has_gold_sentences(split)) return {"accuracy", "macro_f1"};
  return {"accuracy", "macro_f1", "sentence_attention_accuracy"};  // "–" where a model has no sentence attention
}

Metrics ClassificationTask::evaluate(const std::string& split, Predictions* predictions) {
  const auto& documents = data_->split(split);
  TORCH_CHECK(!documents.empty(), "classification task: split \"", split, "\" is empty");
  torch::NoGradGuard no_grad;
  EvalModeGuard eval_mode(*model_);
  std::vector<int64_t> order(documents.size());
  std::iota(order.begin(), order.end(), 0);
  double nll = 0, attended_right = 0, with_gold = 0;
  std::vector<torch::Tensor> predicted, gold;
  for (size_t start = 0; start < order.size(); start += eval_.batch_size()) {
    throw_if_stopped();
    const size_t end = std::min(order.size(), start + static_cast<size_t>(eval_.batch_size()));
    auto batch = make_document_batch(documents, std::vector<int64_t>(order.begin() + start, order.begin() + end));
    auto out = model_->forward(document_input(batch));
    nll += torch::nll_loss(out.log_probs, batch.labels, {}, at::Reduction::Sum).item<double>();
    predicted.push_back(out.log_probs.argmax(-1));
    gold.push_back(batch.labels);
    const auto labels = predicted.back().contiguous();  // [B]
    const auto label_of = labels.accessor<int64_t, 1>();
    for (size_t i = start; predictions && i < end; ++i) {  // source: the document; hypothesis: its label
      const Document& document = documents[order[i]];
      const int64_t label = label_of[static_cast<int64_t>(i - start)];
      Prediction p;
      p.id = order[i];
      for (const auto& sentence : document.sentences) p.source += (p.source.empty() ? "" : " / ") + tokenizer().decode(sentence);
      p.reference = data_->labels[static_cast<size_t>(document.label)];
      p.hypothesis = data_->labels[static_cast<size_t>(label)];
      p.statistics["accuracy"] = ratio_statistics(label == document.label, 1);
      predictions->push_back(std::move(p));
    }
    if (out.sentence_weights.defined()) {
      auto known = batch.key_sentence.ge(0);  // [B]
      attended_right += (out.sentence_weights.argmax(-1).eq(batch.key_sentence) & known).sum().item<double>();
      with_gold += known.sum().item<double>();
    }
  }
  auto all_predicted = torch::cat(predicted), all_gold = torch::cat(gold);
  const auto classes = static_cast<int64_t>(data_->labels.size());
  auto [macro_f1, per_class] = f1_scores(all_predicted, all_gold, classes);
  Metrics m;
  m["loss"] = nll / static_cast<double>(documents.size());
  m["accuracy"] = all_predicted.eq(all_gold).to(torch::kDouble).mean().item<double>();
  m["macro_f1"] = macro_f1;
  for (int64_t c = 0; c < classes; ++c) m["f1@" + data_->labels[c]] = per_class[c];
  if (has_gold_sentences(split)) m["sentence_attention_accuracy"] = with_gold > 0 ? attended_right / with_gold : 0.0;
  return m;
}

}  // namespace attnlab
