// attnlab classify RUN_DIR | --model FILE.pt: classify documents from stdin with a trained classification run or its export.
// Input: documents separated by blank lines, one sentence per line. Output: one line per
// document, "label<TAB>probability".

#include <cmath>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "tools/cli/trained_run.h"
#include "training/classification_task.h"
#include "training/runner.h"

namespace attnlab::cli {

namespace {

/// Class log-probabilities [B, C] of a batch of documents.
using Classify = std::function<torch::Tensor(const DocumentInput&)>;

void classify_batch(const Classify& classify, const std::vector<std::string>& labels,
                    const std::vector<Document>& documents) {
  std::vector<int64_t> all(documents.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  auto best = classify(document_input(make_document_batch(documents, all))).max(-1);
  auto classes = std::get<1>(best), log_probs = std::get<0>(best);
  for (size_t i = 0; i < documents.size(); ++i)
    std::cout << labels.at(classes[i].item<int64_t>()) << "\t" << std::exp(log_probs[i].item<double>()) << "\n";
}

}  // namespace

int classify_command(int argc, char** argv) {
  cxxopts::Options options("attnlab classify",
                           "Classify documents from stdin with a trained classification run (its best checkpoint) or its "
                           "export (--model FILE.pt, from attnlab export). "
                           "Documents are separated by blank lines, one sentence per line; prints "
                           "'label<TAB>probability' per document.");
  options.add_options()("run_dir", "a run directory (holds config.json and checkpoints/)", cxxopts::value<std::string>())(
      "model", "an exported file (attnlab export) instead of RUN_DIR", cxxopts::value<std::string>())(
      "batch-size", "documents classified at once", cxxopts::value<int64_t>()->default_value("64"));
  options.parse_positional({"run_dir"});
  options.positional_help("RUN_DIR | --model FILE.pt");
  int exit_code = kExitOk;
  auto args =
      parse_or_exit(options, argc, argv, "attnlab classify runs/han_key_sentence/han/seed-1 < documents.txt", exit_code);
  if (!args) return exit_code;
  if (!one_model_source(*args, "attnlab classify")) return kExitBadInput;
  const int64_t batch_size = (*args)["batch-size"].as<int64_t>();
  if (batch_size < 1) {
    std::cerr << "attnlab classify: --batch-size must be >= 1\n";
    return kExitBadInput;
  }
  // The classifier: a run's best checkpoint, or an exported file.
  std::unique_ptr<Task> task;
  std::optional<ExportedRun> exported;
  Classify classify;
  const Tokenizer* tokenizer_of_model = nullptr;
  const std::vector<std::string>* labels = nullptr;
  if (args->count("model")) {
    exported = load_export_of_kind((*args)["model"].as<std::string>(), "classifier");
    if (!exported) return kExitBadInput;
    tokenizer_of_model = exported->tokenizer.get();
    labels = &exported->labels;
    classify = [&](const DocumentInput& in) {
      return exported->module.forward({in.words, in.sentence_lengths, in.sentence_counts, in.flat_words, in.flat_lengths})
          .toTuple()
          ->elements()[0]
          .toTensor();
    };
  } else {
    auto* classification =
        load_trained_task_of_kind<ClassificationTask>((*args)["run_dir"].as<std::string>(), "classification", task);
    if (!classification) return kExitBadInput;
    classification->classifier().eval();
    tokenizer_of_model = classification->data().tokenizer.get();
    labels = &classification->data().labels;
    classify = [classification](const DocumentInput& in) { return classification->classifier().forward(in).log_probs; };
  }
  torch::NoGradGuard no_grad;
  const Tokenizer& tokenizer = *tokenizer_of_model;

  std::vector<Document> pending;
  Document current;
  int64_t line_number = 0;
  auto end_document = [&] {
    if (!current.sentences.empty()) pending.push_back(std::move(current));
    current = Document();
    if (static_cast<int64_t>(pending.size()) == batch_size) {
      classify_batch(classify, *labels, pending);
      pending.clear();
    }
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      end_document();
      continue;
    }
    auto ids = tokenizer.encode(line);
    if (ids.empty()) {
      std::cerr << "stdin:" << line_number << ": no token in this sentence\n";
      return kExitBadInput;
    }
    current.sentences.push_back(std::move(ids));
  }
  end_document();
  if (!pending.empty()) classify_batch(classify, *labels, pending);
  return kExitOk;
}

}  // namespace attnlab::cli
