#include "training/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <vector>

#include <torch/torch.h>

namespace attnlab {

namespace {

// Set by select_fast_blas_kernels in the environment of the re-executed program, so that it is
// never re-executed twice and blas_kernels() can tell who set OPENBLAS_CORETYPE.
constexpr const char* kSelectedMarker = "ATTNLAB_BLAS_CORE_SELECTED";

// OpenBLAS's C API, looked up rather than linked: LibTorch loads the BLAS, and a build against
// another BLAS must still work (then every field stays empty and nothing is forced).
template <typename F>
F openblas_function(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// 2 = AVX-512 kernels, 1 = AVX2 kernels, 0 = anything older or unknown.
int core_rank(const std::string& core) {
  const std::string name = lower(core);
  if (name == "skylakex" || name == "cooperlake" || name == "sapphirerapids") return 2;
  if (name == "haswell" || name == "zen") return 1;
  return 0;
}

std::string best_core_for_processor() {
  __builtin_cpu_init();
  // GCC's checks include the operating system's support for the AVX / AVX-512 register state.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

BlasKernels blas_kernels() {
  BlasKernels k;
  using GetString = char* (*)();
  using GetInt = int (*)();
  auto config = openblas_function<GetString>("openblas_get_config");
  auto corename = openblas_function<GetString>("openblas_get_corename");
  auto parallel = openblas_function<GetInt>("openblas_get_parallel");
  k.library = config ? config() : "unknown BLAS";
  k.core = corename ? corename() : "";
  if (parallel) {
    const int mode = parallel();
    k.parallel = mode == 0 ? "sequential" : mode == 1 ? "pthreads" : mode == 2 ? "openmp" : "unknown";
  }
  k.best_core = best_core_for_processor();
  k.coretype_env = env_or_empty("OPENBLAS_CORETYPE");
  k.selected_by_attnlab = !k.coretype_env.empty() && env_or_empty(kSelectedMarker) == k.coretype_env;
  return k;
}

std::optional<std::string> blas_core_to_force(const BlasKernels& kernels) {
  if (kernels.core.empty() || kernels.best_core.empty()) return std::nullopt;  // not OpenBLAS, or an old processor
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return std::nullopt;       // the user's (or machine's) choice
  if (core_rank(kernels.core) >= core_rank(kernels.best_core)) return std::nullopt;
  return kernels.best_core;
}

void select_fast_blas_kernels(char** argv) {
  if (std::getenv(kSelectedMarker) != nullptr) return;  // re-executed once already
  const auto core = blas_core_to_force(blas_kernels());
  if (!core) return;
  setenv("OPENBLAS_CORETYPE", core->c_str(), 1);
  setenv(kSelectedMarker, core->c_str(), 1);
  execv("/proc/self/exe", argv);
  // Only reached when the re-execution failed: go on with the slow kernels, and say so.
  std::cerr << "attnlab: note: could not re-execute with OPENBLAS_CORETYPE=" << *core
            << " (OpenBLAS chose slow generic kernels); set it yourself for ~4x faster matrix products\n";
  unsetenv("OPENBLAS_CORETYPE");
}

double measure_gemm_gflops(int64_t n, int repeats) {
  torch::NoGradGuard no_grad;
  const auto a = torch::randn({n, n});
  const auto b = torch::randn({n, n});
  // Warm-up, for a tenth of a second and at least three products: pools started, pages touched,
  // and the other cores awake. On this VM the first ~8 products at 2 threads after the thread
  // count changed take 3-4 ms each at n = 256 (0.2 ms after): a single warm-up product left most
  // of a median of 5 in that transient (8.6 instead of ~160 GFLOP/s).
  auto c = torch::mm(a, b);
  const auto warm_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  for (int i = 0; i < 3 || std::chrono::steady_clock::now() < warm_until; ++i) torch::mm_out(c, a, b);
  std::vector<double> seconds;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    const auto start = std::chrono::steady_clock::now();
    torch::mm_out(c, a, b);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  return flops / seconds[seconds.size() / 2] / 1e9;
}

}  // namespace attnlab
