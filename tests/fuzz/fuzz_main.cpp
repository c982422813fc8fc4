// libFuzzer's entry points for the targets of fuzz_targets.h; tools/fuzz.sh builds and runs this.
//   ATTNLAB_FUZZ_TARGET=NAME attnlab_fuzz [libFuzzer flags] CORPUS...   fuzz one target
//   attnlab_fuzz --write-seeds NAME DIR                                  the target's seeds as files
//   attnlab_fuzz --list                                                  the targets

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include "tests/fuzz/fuzz_targets.h"

namespace {
const attnlab::fuzz::FuzzTarget* target = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using namespace attnlab::fuzz;
  const int n = *argc;
  char** args = *argv;
  if (n >= 2 && std::strcmp(args[1], "--list") == 0) {
    for (const auto& t : fuzz_targets()) std::cout << t.name << "\t" << t.reads << "\n";
    std::exit(0);
  }
  try {
    if (n >= 4 && std::strcmp(args[1], "--write-seeds") == 0) {
      int i = 0;
      for (const auto& seed : fuzz_target(args[2]).seeds())
        std::ofstream(std::string(args[3]) + "/seed-" + std::to_string(i++), std::ios::binary) << seed;
      std::exit(0);
    }
    const char* name = std::getenv("ATTNLAB_FUZZ_TARGET");
    if (!name) throw std::invalid_argument("set ATTNLAB_FUZZ_TARGET to a target (attnlab_fuzz --list)");
    target = &fuzz_target(name);
  } catch (const std::exception& e) {
    std::cerr << "attnlab_fuzz: " << e.what() << "\n";
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  target->run(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
