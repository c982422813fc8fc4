#include "tools/cli/bench_command.h"

#include <cstring>
#include <iostream>
#include <string>

#include "tools/cli/commands.h"

namespace attnlab::cli {

namespace {

struct Benchmark {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Benchmark kBenchmarks[] = {
    {"attention", bench_attention_command, "forward + backward time of every registered attention by length"},
    {"model", bench_model_command,
     "training tokens/s, decoding sentences/s (greedy, beam) and peak memory of the Transformer and the RNN"},
    {"export", bench_export_command, "time of exported TorchScript modules against the eager C++ models (ratio)"},
    {"data-parallel", bench_data_parallel_command,
     "training tokens/s of one process against data-parallel ranks on this machine; scaling estimated on paper"},
};

void usage(std::ostream& out) {
  out << "Benchmarks that print figures.\nUsage:\n  attnlab bench <benchmark> [options]   "
         "(attnlab bench <benchmark> --help for more)\n\nbenchmarks:\n";
  for (const auto& b : kBenchmarks) out << "  " << b.name << std::string(15 - std::strlen(b.name), ' ') << b.summary << "\n";
  out << "Example:\n  attnlab bench model --threads 2\n";
}

}  // namespace

int bench_command(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "attnlab bench: missing the benchmark: attention, model, export or data-parallel (see attnlab bench --help)\n";
    return kExitBadInput;
  }
  const std::string name = argv[1];
  if (name == "-h" || name == "--help") {
    usage(std::cout);
    return kExitOk;
  }
  for (const auto& b : kBenchmarks) {
    if (name != b.name) continue;
    std::string program = std::string("attnlab bench ") + b.name;
    argv[1] = program.data();
    return b.run(argc - 1, argv + 1);
  }
  std::cerr << "attnlab bench: unknown benchmark \"" << name << "\"; known: attention, model, export, data-parallel (see attnlab bench --help)\n";
  return kExitBadInput;
}

}  // namespace attnlab::cli
