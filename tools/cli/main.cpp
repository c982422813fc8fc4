// attnlab: compare attention mechanisms from JSON experiment files.

#include <cstring>
#include <iostream>
#include <string>

#include "core/options.h"
#include "tools/cli/bench_command.h"
#include "tools/cli/commands.h"
#include "training/blas_kernels.h"
#include "training/freed_memory.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Command kCommands[] = {
    {"run", attnlab::cli::run_command, "train and evaluate every variant x seed of an experiment, print the table"},
    {"report", attnlab::cli::report_command, "write an experiment's comparison report (HTML: statistics, cost, curves, attention)"},
    {"validate", attnlab::cli::validate_command, "check an experiment file and print each variant's resolved config"},
    {"eval", attnlab::cli::eval_command, "re-evaluate a trained run from its best checkpoint"},
    {"translate", attnlab::cli::decode_command, "translate source lines from stdin with a trained run (beam search)"},
    {"decode", attnlab::cli::decode_command, "the same as translate"},
    {"classify", attnlab::cli::classify_command, "classify documents from stdin with a trained classification run"},
    {"fill-mask", attnlab::cli::fill_mask_command, "fill in the [MASK]s of texts with a trained masked-LM run"},
    {"export", attnlab::cli::export_command, "export a trained run as one TorchScript file (C++ and Python, decoding included)"},
    {"tokenizer", attnlab::cli::tokenizer_command, "train a tokenizer on text files; encode / decode stdin with one"},
    {"list", attnlab::cli::list_command, "list every registered name by family"},
    {"train-run", attnlab::cli::train_run_command, "train one run directory from its config.json (a worker of run --jobs)"},
    {"doctor", attnlab::cli::doctor_command, "the BLAS kernels and threads attnlab runs with, and the measured GEMM speed"},
    {"bench", attnlab::cli::bench_command, "benchmarks: attention (forward + backward by length), model (train and decode speed, memory)"},
};

void usage(std::ostream& out) {
  out << "usage: attnlab <command> [options]   (attnlab <command> --help for more)\n\ncommands:\n";
  for (const auto& c : kCommands) out << "  " << c.name << std::string(11 - std::strlen(c.name), ' ') << c.summary << "\n";
  out << "\nExample:\n  attnlab run experiments/quickstart.json\n";
}

}  // namespace

int main(int argc, char** argv) {
  attnlab::select_fast_blas_kernels(argv);  // may re-execute this program: before any tensor is made
  attnlab::keep_freed_memory();
  if (argc < 2) {
    usage(std::cerr);
    return attnlab::cli::kExitBadInput;
  }
  const std::string name = argv[1];
  if (name == "--version" || name == "version") {
    std::cout << "attnlab " << ATTNLAB_VERSION << "\n";
    return attnlab::cli::kExitOk;
  }
  if (name == "-h" || name == "--help" || name == "help") {
    usage(std::cout);
    return attnlab::cli::kExitOk;
  }
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    // The subcommand sees "attnlab <command>" as its program name.
    std::string program = std::string("attnlab ") + c.name;
    argv[1] = program.data();
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const std::exception& e) {
      std::cerr << "attnlab " << c.name << ": error: " << attnlab::error_message(e) << "\n";
      return attnlab::cli::kExitFailure;
    }
  }
  std::cerr << "attnlab: unknown command \"" << name << "\"\n";
  usage(std::cerr);
  return attnlab::cli::kExitBadInput;
}
