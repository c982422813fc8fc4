// attnlab export RUN_DIR --out FILE.pt: one self-contained TorchScript file of a trained run
// (training/export_file.h), loadable with torch::jit::load in C++ and torch.jit.load in Python.

#include <filesystem>

#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/experiment.h"
#include "training/export_file.h"

namespace attnlab::cli {

int export_command(int argc, char** argv) {
  cxxopts::Options options("attnlab export",
                           "Export a trained run as one TorchScript file: the model's methods (seq2seq: encode, "
                           "decode_step, decode_step_logits, reorder_state, greedy, beam_search; classifiers and "
                           "masked LMs: forward), its parameters under the C++ names, and its config, tokenizer and "
                           "labels as extra files.");
  options.add_options()("run_dir", "a run directory (holds config.json and checkpoints/)", cxxopts::value<std::string>())(
      "checkpoint", "best or latest", cxxopts::value<std::string>()->default_value("best"))(
      "out", "the file to write (e.g. model.pt)", cxxopts::value<std::string>());
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab export runs/bible_es_en/transformer/seed-1 --out bible.pt",
                            exit_code, "run_dir", "RUN_DIR");
  if (!args) return exit_code;
  if (!args->count("out")) {
    std::cerr << "attnlab export: missing --out FILE.pt (see attnlab export --help)\n";
    return kExitBadInput;
  }
  const std::string out = (*args)["out"].as<std::string>();
  try {
    export_run((*args)["run_dir"].as<std::string>(), (*args)["checkpoint"].as<std::string>(), out);
  } catch (const ExperimentError& e) {
    std::cerr << e.what() << "\n";
    return kExitBadInput;
  }
  std::cout << "wrote " << out << " (" << std::filesystem::file_size(out) << " bytes)\n";
  return kExitOk;
}

}  // namespace attnlab::cli
