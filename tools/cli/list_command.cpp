#include "data/data_registry.h"
#include "models/model_registry.h"
#include "models/rnn_seq2seq.h"
#include "modules/attention_registry.h"
#include "modules/scope_registry.h"
#include "modules/score_registry.h"
#include "tokenizers/tokenizer_registry.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/optimizers.h"
#include "training/schedules.h"
#include "training/task_registry.h"

namespace attnlab::cli {

namespace {
void print_names(const std::string& heading, const std::vector<std::pair<std::string, std::string>>& names) {
  std::cout << heading << ":\n";
  size_t width = 0;
  for (const auto& [name, description] : names) width = std::max(width, name.size());
  for (const auto& [name, description] : names)
    std::cout << "  " << name << std::string(width - name.size() + 2, ' ') << description << "\n";
}

template <class Registry>
void print_family(const Registry& registry) {
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& e : registry.entries()) names.emplace_back(e.name, e.description);
  print_names(registry.family(), names);
}

void print_decoder_styles() {
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& s : decoder_styles()) names.emplace_back(s.name, s.description);
  print_names("decoder style (rnn_seq2seq \"decoder\": how the decoder is wired around any attention)", names);
}
}  // namespace

int list_command(int argc, char** argv) {
  cxxopts::Options options("attnlab list", "List every registered name by family, with a one-line description.");
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab list", exit_code);
  if (!args) return exit_code;
  print_family(attention_registry());
  print_family(score_registry());
  print_family(scope_registry());
  print_family(model_registry());
  print_decoder_styles();
  print_family(task_registry());
  print_family(data_registry());
  print_family(tokenizer_registry());
  print_family(optimizer_registry());
  print_family(schedule_registry());
  return kExitOk;
}

}  // namespace attnlab::cli
