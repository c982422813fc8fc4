#include "training/task_registry.h"

#include "training/experiment_options.h"
#include "training/seq2seq_task.h"

namespace attnlab {

namespace {

std::unique_ptr<Task> make_seq2seq_task(const ExperimentOptions& config) {
  auto data = seq2seq_data_registry().create(config.data());
  const int64_t vocab = data->tokenizer->vocab_size();
  auto model = std::dynamic_pointer_cast<Seq2SeqModelImpl>(
      model_registry().create(config.model(), ModelDims{vocab, vocab}));
  if (!model)
    throw ConfigError("/model/type", "\"" + config.model().at("type").get<std::string>() +
                                         "\" is not a sequence-to-sequence model");
  return std::make_unique<Seq2SeqTask>(std::move(data), std::move(model), config.eval());
}

}  // namespace

const TaskRegistry& task_registry() {
  static const TaskRegistry registry(
      "task", {
                  options_entry<std::unique_ptr<Task>, const ExperimentOptions&>(
                      "seq2seq", "sequence to sequence: teacher-forced cross-entropy; accuracy, exact match, alignment",
                      NoOptions{}, [](const NoOptions&, const ExperimentOptions& c) { return make_seq2seq_task(c); }),
              });
  return registry;
}

}  // namespace attnlab
