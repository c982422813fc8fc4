// attnlab fill-mask RUN_DIR | --model FILE.pt ["TEXT"]: the most likely fillings of every [MASK]
// in a text, by a trained masked-LM run (its best checkpoint) or its export. Without TEXT, one
// text per line of stdin.
// Output per text:
//   the text
//   the text with each [MASK] filled by its most likely piece
//   one line per [MASK]: "[MASK] n<TAB>piece probability<TAB>…" (most likely first)

#include <iomanip>
#include <iostream>
#include <optional>
#include <string>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "tools/cli/trained_run.h"
#include "training/masked_lm_task.h"

namespace attnlab::cli {

namespace {

/// What fills masks: the logits at selected positions, the tokenizer, the longest sequence.
struct Filler {
  MaskedLogits logits;
  const Tokenizer* tokenizer;
  int64_t max_length;
};

/// Prints one text's fillings; false (with a line on stderr) if it cannot be filled.
bool fill_one(const Filler& filler, const std::string& text, int64_t top_k, const std::string& where) {
  FilledText filled;
  const Tokenizer& tokenizer = *filler.tokenizer;
  try {
    filled = fill_masks(filler.logits, tokenizer, text, top_k, filler.max_length);
  } catch (const std::invalid_argument& e) {
    std::cerr << where << ": too long: " << e.what() << "\n";
    return false;
  }
  if (filled.masks.empty()) {
    std::cerr << where << ": no [MASK] in the text\n";
    return false;
  }
  auto best = filled.ids;
  for (const auto& mask : filled.masks) best[static_cast<size_t>(mask.position)] = mask.candidates.front().id;
  std::cout << text << "\n" << tokenizer.decode(best) << "\n";
  for (size_t m = 0; m < filled.masks.size(); ++m) {
    std::cout << "[MASK] " << m + 1;
    for (const auto& c : filled.masks[m].candidates)
      std::cout << "\t" << c.piece << " " << std::fixed << std::setprecision(4) << c.probability;
    std::cout << "\n";
  }
  std::cout.flush();
  return true;
}

}  // namespace

int fill_mask_command(int argc, char** argv) {
  cxxopts::Options options("attnlab fill-mask",
                           "The most likely fillings of every [MASK] in a text, by a trained masked-LM run (its best "
                           "checkpoint) or its export (--model FILE.pt, from attnlab export). Without TEXT, one text per line of stdin. Prints the text, the text with "
                           "each [MASK] filled by its most likely piece, then per [MASK] the top-k pieces with "
                           "their probabilities.");
  options.add_options()("run_dir", "a run directory (holds config.json and checkpoints/)",
                        cxxopts::value<std::string>())("model", "an exported file (attnlab export) instead of RUN_DIR",
                                     cxxopts::value<std::string>())("text", "a text with one or more [MASK]",
                                                       cxxopts::value<std::string>())(
      "top-k", "fillings shown per [MASK]", cxxopts::value<int64_t>()->default_value("5"));
  options.parse_positional({"run_dir", "text"});
  options.positional_help("RUN_DIR | --model FILE.pt [TEXT]");
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv,
                            "attnlab fill-mask runs/bert_bible_long/global/seed-1 \"In the beginning God created the "
                            "[MASK] and the earth.\"",
                            exit_code);
  if (!args) return exit_code;
  // With --model, a lone positional argument is the text.
  std::optional<std::string> text;
  if (args->count("text")) text = (*args)["text"].as<std::string>();
  if (args->count("model") && args->count("run_dir") && !text) text = (*args)["run_dir"].as<std::string>();
  else if (!one_model_source(*args, "attnlab fill-mask")) return kExitBadInput;
  const int64_t top_k = (*args)["top-k"].as<int64_t>();
  if (top_k < 1) {
    std::cerr << "attnlab fill-mask: --top-k must be >= 1\n";
    return kExitBadInput;
  }
  std::unique_ptr<Task> owner;
  std::optional<ExportedRun> exported;
  Filler filler;
  if (args->count("model")) {
    exported = load_export_of_kind((*args)["model"].as<std::string>(), "masked_lm");
    if (!exported) return kExitBadInput;
    filler = {[&](const torch::Tensor& ids, const torch::Tensor& segments, const torch::Tensor& selected) {
                return exported->module.forward({ids, segments}).toTensor().index({selected});  // [N, V]
              },
              exported->tokenizer.get(), exported->config.at("model").at("max_length").get<int64_t>()};
  } else {
    auto* task = load_trained_task_of_kind<MaskedLMTask>((*args)["run_dir"].as<std::string>(), "masked-LM", owner);
    if (!task) return kExitBadInput;
    filler = {masked_logits_of(task->masked_lm()), &task->tokenizer(), task->max_length()};
  }
  if (text) return fill_one(filler, *text, top_k, "TEXT") ? kExitOk : kExitBadInput;
  std::string line;
  int64_t line_number = 0;
  bool all_filled = true;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    all_filled &= fill_one(filler, line, top_k, "stdin:" + std::to_string(line_number));
  }
  return all_filled ? kExitOk : kExitBadInput;
}

}  // namespace attnlab::cli
