// attnlab classify RUN_DIR: classify documents from stdin with a trained classification run.
// Input: documents separated by blank lines, one sentence per line. Output: one line per
// document, "label<TAB>probability".

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "tools/cli/trained_run.h"
#include "training/classification_task.h"
#include "training/runner.h"

namespace attnlab::cli {

namespace {

void classify_batch(ClassificationTask& task, const std::vector<Document>& documents) {
  std::vector<int64_t> all(documents.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  auto out = task.classifier().forward(document_input(make_document_batch(documents, all)));
  auto best = out.log_probs.max(-1);
  auto labels = std::get<1>(best), log_probs = std::get<0>(best);
  for (size_t i = 0; i < documents.size(); ++i)
    std::cout << task.data().labels.at(labels[i].item<int64_t>()) << "\t" << std::exp(log_probs[i].item<double>())
              << "\n";
}

}  // namespace

int classify_command(int argc, char** argv) {
  cxxopts::Options options("attnlab classify",
                           "Classify documents from stdin with a trained classification run (its best checkpoint). "
                           "Documents are separated by blank lines, one sentence per line; prints "
                           "'label<TAB>probability' per document.");
  options.add_options()("run_dir", "a run directory (holds config.json and checkpoints/)", cxxopts::value<std::string>())(
      "batch-size", "documents classified at once", cxxopts::value<int64_t>()->default_value("64"));
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab classify runs/han_key_sentence/han/seed-1 < documents.txt",
                            exit_code, "run_dir", "RUN_DIR");
  if (!args) return exit_code;
  const int64_t batch_size = (*args)["batch-size"].as<int64_t>();
  if (batch_size < 1) {
    std::cerr << "attnlab classify: --batch-size must be >= 1\n";
    return kExitBadInput;
  }
  const std::string run_dir = (*args)["run_dir"].as<std::string>();
  std::unique_ptr<Task> task;
  auto* classification = load_trained_task_of_kind<ClassificationTask>(run_dir, "classification", task);
  if (!classification) return kExitBadInput;
  torch::NoGradGuard no_grad;
  classification->classifier().eval();
  const Tokenizer& tokenizer = *classification->data().tokenizer;

  std::vector<Document> pending;
  Document current;
  int64_t line_number = 0;
  auto end_document = [&] {
    if (!current.sentences.empty()) pending.push_back(std::move(current));
    current = Document();
    if (static_cast<int64_t>(pending.size()) == batch_size) {
      classify_batch(*classification, pending);
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
  if (!pending.empty()) classify_batch(*classification, pending);
  return kExitOk;
}

}  // namespace attnlab::cli
