// attnlab doctor: which matrix-product kernels and threads this machine gives attnlab, and how
// fast a float GEMM runs with them (the peak that model FLOP/s are measured against).

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "tools/cli/bench_support.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/blas_kernels.h"
#include "training/freed_memory.h"
#include "training/threads.h"

namespace attnlab::cli {

namespace {

std::string kernels_origin(const BlasKernels& k) {
  if (k.core.empty()) return "not OpenBLAS: attnlab cannot tell or change its kernels";
  if (k.selected_by_attnlab)
    return "OPENBLAS_CORETYPE=" + k.coretype_env + ", set by attnlab: OpenBLAS fell back to generic kernels";
  if (!k.coretype_env.empty()) return "OPENBLAS_CORETYPE=" + k.coretype_env + " from the environment, left as it is";
  return "chosen by OpenBLAS";
}

std::string env_text(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "(unset)";
}

void row(const std::string& name, const std::string& value) { std::cout << padded(name, 16) << value << "\n"; }

}  // namespace

int doctor_command(int argc, char** argv) {
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cxxopts::Options options("attnlab doctor",
                           "Print the BLAS kernels, thread and memory settings attnlab runs with and the measured float "
                           "GEMM speed (n x n matrices, median of --repeats) at 1 thread and at --threads.");
  options.add_options()("size", "matrix size n", cxxopts::value<int64_t>()->default_value("1024"))(
      "repeats", "products timed per thread count", cxxopts::value<int>()->default_value("5"))(
      "threads", "the second thread count measured", cxxopts::value<int>()->default_value(std::to_string(hardware)));
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab doctor --size 1024", exit_code);
  if (!args) return exit_code;
  const int64_t size = (*args)["size"].as<int64_t>();
  const int repeats = (*args)["repeats"].as<int>();
  const int threads = (*args)["threads"].as<int>();
  if (size < 1 || size > 8192 || repeats < 1 || repeats > 1000 || threads < 1 || threads > 1024) {
    std::cerr << "attnlab doctor: --size must be in 1..8192, --repeats in 1..1000, --threads in 1..1024\n";
    return kExitBadInput;
  }

  const BlasKernels k = blas_kernels();
  row("BLAS", k.library);
  row("kernels", (k.core.empty() ? std::string("?") : k.core) + " (" + kernels_origin(k) + ")");
  row("processor", k.best_core.empty() ? "no AVX2: generic kernels are the right ones"
                                       : "supports the " + k.best_core + " kernels (cpuid)");
  const std::string pool = k.parallel == "openmp"     ? " (shares LibTorch's OpenMP pool)"
                           : k.parallel == "pthreads" ? " (a pool of its own beside LibTorch's: tools/setup.sh "
                                                        "switches to the OpenMP build, ~2.5x faster at 2 threads)"
                                                      : "";
  row("BLAS threading", (k.parallel.empty() ? "?" : k.parallel) + pool);
  row("cores", std::to_string(hardware));
  row("OMP_WAIT_POLICY", env_text("OMP_WAIT_POLICY"));
  row("freed memory", freed_memory_setting());
  for (const int n : {1, threads}) {
    set_thread_count(n);
    row("GEMM " + std::to_string(n) + (n == 1 ? " thread" : " threads"),
        fixed(measure_gemm_gflops(size, repeats), 1) + " GFLOP/s (float, " + std::to_string(size) + "^3)");
    if (threads == 1) break;
  }
  return kExitOk;
}

}  // namespace attnlab::cli
