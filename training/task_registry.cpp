#include "training/task_registry.h"

#include <optional>

#include "models/transformer_seq2seq.h"
#include "training/classification_task.h"
#include "training/experiment_options.h"
#include "training/masked_lm_task.h"
#include "training/memory_budget.h"
#include "training/seq2seq_task.h"

namespace attnlab {

namespace {

/// Training holds every parameter four times: weights, gradients and the optimizer's two moments.
constexpr int64_t kTrainingCopiesOfParameters = 4;

/// The model of /model, its construction errors (a check of LibTorch's, memory that cannot be
/// had) as a ConfigError at /model: they come before any training and name the field. A model
/// whose parameters could not be trained in the memory available is refused while it is built,
/// before its tensors are filled.
std::shared_ptr<torch::nn::Module> build_model(const ExperimentOptions& config, const ModelDims& dims) {
  const int64_t available = available_memory_bytes();
  std::optional<AllocationBudget> budget;
  if (available > 0) budget.emplace(available / kTrainingCopiesOfParameters);
  try {
    return model_registry().create(config.model(), dims);
  } catch (const ConfigError&) {
    throw;
  } catch (const AllocationOverBudget& e) {
    throw ConfigError("/model", "cannot be built: training it needs at least " +
                                    format_bytes(static_cast<double>(kTrainingCopiesOfParameters * e.needed_bytes())) +
                                    " (" + std::to_string(kTrainingCopiesOfParameters) + " x " +
                                    format_bytes(static_cast<double>(e.needed_bytes())) +
                                    " of parameters: weights, gradients, two optimizer moments), and this machine has " +
                                    format_bytes(static_cast<double>(available)) + " available");
  } catch (const std::bad_alloc&) {
    throw ConfigError("/model", "cannot be built: its parameters do not fit in this machine's memory");
  } catch (const c10::Error& e) {
    const std::string message = error_message(e);
    const auto tried = message.find("you tried to allocate");  // "... N bytes. Error code 12 (...)"
    if (tried != std::string::npos)
      throw ConfigError("/model", "cannot be built: its parameters do not fit in this machine's memory (" +
                                      message.substr(tried, message.find('.', tried) - tried) + ")");
    if (message.find("Storage size calculation overflowed") != std::string::npos)
      throw ConfigError("/model", "cannot be built: its sizes overflow a tensor's size");
    throw ConfigError("/model", "cannot be built: " + message);
  }
}

/// The Transformer's position tables must cover every split's sources and targets (+1: BOS or
/// EOS), or the first long example fails inside the model.
void check_position_tables(const TransformerSeq2SeqImpl& model, const Seq2SeqData& data) {
  const int64_t max_length = model.options.max_length();
  for (const auto& [split, examples] : data.splits) {
    for (size_t i = 0; i < examples.size(); ++i) {
      const int64_t longest = std::max<int64_t>(examples[i].source.size(), examples[i].target.size() + 1);
      if (longest > max_length)
        throw ConfigError("/model/max_length", "is " + std::to_string(max_length) + ", but " + split + " example " +
                                                   std::to_string(i + 1) + " needs " + std::to_string(longest) +
                                                   " positions (its source or target + 1)");
    }
  }
}

/// Every "location" score in the resolved /model (it learns one weight vector per key position up
/// to its max_length) must cover the keys it will see: the sources, and for the Transformer, whose
/// decoder also attends over the targets, the targets + 1.
void check_location_scores(const json& model, const std::string& pointer, int64_t longest_keys) {
  if (model.is_object()) {
    if (model.value("type", "") == "location" && model.contains("max_length") &&
        model.at("max_length").get<int64_t>() < longest_keys)
      throw ConfigError(pointer + "/max_length", "is " + model.at("max_length").dump() + ", but the data has " +
                                                     std::to_string(longest_keys) + " keys to score (its longest sequence)");
    for (const auto& item : model.items()) check_location_scores(item.value(), pointer_join(pointer, item.key()), longest_keys);
  } else if (model.is_array()) {
    for (size_t i = 0; i < model.size(); ++i) check_location_scores(model[i], pointer + "/" + std::to_string(i), longest_keys);
  }
}

int64_t longest_keys(const Seq2SeqData& data, bool targets_too) {
  int64_t longest = 0;
  for (const auto& [split, examples] : data.splits)
    for (const auto& example : examples)
      longest = std::max<int64_t>({longest, static_cast<int64_t>(example.source.size()),
                                   targets_too ? static_cast<int64_t>(example.target.size()) + 1 : 0});
  return longest;
}

std::unique_ptr<Task> make_seq2seq_task(const Seq2SeqTaskOptions& options, const ExperimentOptions& config,
                                        const DataContext& context) {
  auto data = std::dynamic_pointer_cast<Seq2SeqData>(data_registry().create(config.data(), context));
  if (!data)
    throw ConfigError("/data/type", "\"" + config.data().at("type").get<std::string>() +
                                        "\" is not sequence-to-sequence data");
  const int64_t vocab = data->tokenizer->vocab_size();
  auto model = std::dynamic_pointer_cast<Seq2SeqModelImpl>(build_model(config, ModelDims{vocab, vocab}));
  if (!model)
    throw ConfigError("/model/type", "\"" + config.model().at("type").get<std::string>() +
                                         "\" is not a sequence-to-sequence model");
  const auto transformer = std::dynamic_pointer_cast<TransformerSeq2SeqImpl>(model);
  if (transformer) check_position_tables(*transformer, *data);
  check_location_scores(config.model(), "/model", longest_keys(*data, transformer != nullptr));
  return std::make_unique<Seq2SeqTask>(std::move(data), std::move(model), config.eval(), options);
}

std::unique_ptr<Task> make_classification_task(const ExperimentOptions& config, const DataContext& context) {
  auto data = std::dynamic_pointer_cast<DocumentData>(data_registry().create(config.data(), context));
  if (!data)
    throw ConfigError("/data/type", "\"" + config.data().at("type").get<std::string>() + "\" is not document data");
  const int64_t vocab = data->tokenizer->vocab_size(), classes = static_cast<int64_t>(data->labels.size());
  auto model = std::dynamic_pointer_cast<ClassifierImpl>(
      build_model(config, ModelDims{vocab, 0, classes}));
  if (!model)
    throw ConfigError("/model/type", "\"" + config.model().at("type").get<std::string>() + "\" is not a classifier");
  return std::make_unique<ClassificationTask>(std::move(data), std::move(model), config.eval());
}

std::unique_ptr<Task> make_masked_lm_task(const MaskedLMTaskOptions& options, const ExperimentOptions& config,
                                          const DataContext& context) {
  auto data = std::dynamic_pointer_cast<MonolingualData>(data_registry().create(config.data(), context));
  if (!data)
    throw ConfigError("/data/type", "\"" + config.data().at("type").get<std::string>() + "\" is not monolingual text");
  auto model = std::dynamic_pointer_cast<BertMaskedLMImpl>(
      build_model(config, ModelDims{data->tokenizer->vocab_size(), 0}));
  if (!model)
    throw ConfigError("/model/type", "\"" + config.model().at("type").get<std::string>() + "\" is not a masked LM");
  if (model->encoder->options.max_length() < data->max_length)
    throw ConfigError("/model/max_length", "is " + std::to_string(model->encoder->options.max_length()) +
                                               ", shorter than the data's sequences (/data/max_length " +
                                               std::to_string(data->max_length) + ")");
  return std::make_unique<MaskedLMTask>(std::move(data), std::move(model), config.eval(), options);
}

}  // namespace

const TaskRegistry& task_registry() {
  static const TaskRegistry registry(
      "task", {
                  options_entry<std::unique_ptr<Task>, const ExperimentOptions&, const DataContext&>(
                      "seq2seq",
                      "sequence to sequence: teacher-forced cross-entropy; accuracy, exact match, alignment; BLEU, "
                      "chrF, AER on text",
                      Seq2SeqTaskOptions{},
                      [](const Seq2SeqTaskOptions& o, const ExperimentOptions& c, const DataContext& context) {
                        return make_seq2seq_task(o, c, context);
                      }),
                  options_entry<std::unique_ptr<Task>, const ExperimentOptions&, const DataContext&>(
                      "classification", "documents to classes: cross-entropy; accuracy, macro-F1, sentence attention",
                      NoOptions{}, [](const NoOptions&, const ExperimentOptions& c, const DataContext& context) {
                        return make_classification_task(c, context);
                      }),
                  options_entry<std::unique_ptr<Task>, const ExperimentOptions&, const DataContext&>(
                      "masked_lm",
                      "masked language model (BERT): cross-entropy at masked positions; masked and top-5 accuracy, "
                      "perplexity, beside the unigram baseline",
                      MaskedLMTaskOptions{},
                      [](const MaskedLMTaskOptions& o, const ExperimentOptions& c, const DataContext& context) {
                        return make_masked_lm_task(o, c, context);
                      }),
              });
  return registry;
}

}  // namespace attnlab
