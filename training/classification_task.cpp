#include "training/classification_task.h"

#include <algorithm>
#include <numeric>

#include "data/batching.h"

namespace attnlab {

DocumentInput document_input(const DocumentBatch& batch) {
  return {batch.words, batch.sentence_lengths, batch.sentence_counts, batch.flat_words, batch.flat_lengths};
}

std::vector<double> confusion_counts(const torch::Tensor& predicted, const torch::Tensor& gold, int64_t classes) {
  auto cells = (gold * classes + predicted).contiguous();  // [N] gold-major cell of each document
  auto counts = torch::bincount(cells, {}, classes * classes).to(torch::kDouble).contiguous();  // [C·C]
  return std::vector<double>(counts.data_ptr<double>(), counts.data_ptr<double>() + counts.numel());
}

std::pair<double, std::vector<double>> f1_scores(const std::vector<double>& confusion, int64_t classes) {
  TORCH_CHECK(static_cast<int64_t>(confusion.size()) == classes * classes, "f1_scores: a confusion matrix of ",
              classes, "² cells takes ", classes * classes, " counts, got ", confusion.size());
  const auto cell = [&](int64_t gold, int64_t predicted) { return confusion[static_cast<size_t>(gold * classes + predicted)]; };
  std::vector<double> f1(classes, 0.0);
  for (int64_t c = 0; c < classes; ++c) {
    double fp = 0, fn = 0;
    for (int64_t other = 0; other < classes; ++other) {
      if (other == c) continue;
      fp += cell(other, c);
      fn += cell(c, other);
    }
    const double tp = cell(c, c);
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

// The sums of a share (MetricSums): "loss" {Σ −log p(gold label), documents}; "confusion" the
// C × C counts of (gold, predicted) labels, gold-major; "sentence_attention" {documents whose
// most-attended sentence is the gold key sentence, documents with one}.
MetricSums ClassificationTask::measure(const std::string& split, EvaluationPass /*pass*/, EvaluationShare share,
                                       Predictions* predictions) {
  const auto& documents = data_->split(split);
  TORCH_CHECK(!documents.empty(), "classification task: split \"", split, "\" is empty");
  torch::NoGradGuard no_grad;
  EvalModeGuard eval_mode(*model_);
  const auto classes = static_cast<int64_t>(data_->labels.size());
  MetricSums sums = {{"loss", {0, 0}},
                     {"confusion", std::vector<double>(static_cast<size_t>(classes * classes), 0.0)},
                     {"sentence_attention", {0, 0}}};
  std::vector<int64_t> order(documents.size());
  std::iota(order.begin(), order.end(), 0);
  const auto batches = chunk(order, eval_.batch_size());
  for (size_t batch_index = 0; batch_index < batches.size(); ++batch_index) {
    if (!share.takes(batch_index)) continue;
    throw_if_stopped();
    const auto& indices = batches[batch_index];
    auto batch = make_document_batch(documents, indices);
    auto out = model_->forward(document_input(batch));
    sums["loss"][0] += torch::nll_loss(out.log_probs, batch.labels, {}, at::Reduction::Sum).item<double>();
    sums["loss"][1] += static_cast<double>(indices.size());
    const auto labels = out.log_probs.argmax(-1).contiguous();  // [B]
    const auto counts = confusion_counts(labels, batch.labels, classes);
    for (size_t cell = 0; cell < counts.size(); ++cell) sums["confusion"][cell] += counts[cell];
    const auto label_of = labels.accessor<int64_t, 1>();
    for (size_t i = 0; predictions && i < indices.size(); ++i) {  // source: the document; hypothesis: its label
      const Document& document = documents[indices[i]];
      const int64_t label = label_of[static_cast<int64_t>(i)];
      Prediction p;
      p.id = indices[i];
      for (const auto& sentence : document.sentences) p.source += (p.source.empty() ? "" : " / ") + tokenizer().decode(sentence);
      p.reference = data_->labels[static_cast<size_t>(document.label)];
      p.hypothesis = data_->labels[static_cast<size_t>(label)];
      p.statistics["accuracy"] = ratio_statistics(label == document.label, 1);
      predictions->push_back(std::move(p));
    }
    if (out.sentence_weights.defined()) {
      auto known = batch.key_sentence.ge(0);  // [B]
      sums["sentence_attention"][0] +=
          (out.sentence_weights.argmax(-1).eq(batch.key_sentence) & known).sum().item<double>();
      sums["sentence_attention"][1] += known.sum().item<double>();
    }
  }
  return sums;
}

Metrics ClassificationTask::metrics_from(const std::string& split, EvaluationPass /*pass*/, const MetricSums& sums) const {
  const auto classes = static_cast<int64_t>(data_->labels.size());
  const auto& confusion = sums.at("confusion");
  auto [macro_f1, per_class] = f1_scores(confusion, classes);
  double right = 0;
  for (int64_t c = 0; c < classes; ++c) right += confusion.at(static_cast<size_t>(c * classes + c));
  const double documents = sums.at("loss").at(1);
  Metrics m;
  m["loss"] = sums.at("loss").at(0) / documents;
  m["accuracy"] = right / documents;
  m["macro_f1"] = macro_f1;
  for (int64_t c = 0; c < classes; ++c) m["f1@" + data_->labels[c]] = per_class[c];
  if (has_gold_sentences(split)) {
    const auto& sentence = sums.at("sentence_attention");
    m["sentence_attention_accuracy"] = sentence.at(1) > 0 ? sentence.at(0) / sentence.at(1) : 0.0;
  }
  return m;
}

}  // namespace attnlab
