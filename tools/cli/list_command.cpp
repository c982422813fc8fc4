#include "data/data_registry.h"
#include "models/model_registry.h"
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
template <class Registry>
void print_family(const Registry& registry) {
  std::cout << registry.family() << ":\n";
  size_t width = 0;
  for (const auto& e : registry.entries()) width = std::max(width, e.name.size());
  for (const auto& e : registry.entries())
    std::cout << "  " << e.name << std::string(width - e.name.size() + 2, ' ') << e.description << "\n";
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
  print_family(task_registry());
  print_family(data_registry());
  print_family(tokenizer_registry());
  print_family(optimizer_registry());
  print_family(schedule_registry());
  return kExitOk;
}

}  // namespace attnlab::cli
