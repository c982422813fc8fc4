#include "training/threads.h"

#include <dlfcn.h>

#include <algorithm>
#include <thread>

#include <torch/torch.h>

namespace attnlab {

void set_thread_count(int64_t threads) {
  const int n = static_cast<int>(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  set_blas_thread_count(n);
}

int64_t max_thread_count() { return 4 * static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency())); }

std::optional<std::string> check_thread_count(int64_t threads) {
  if (threads >= 0 && threads <= max_thread_count()) return std::nullopt;
  return "must be in [0, " + std::to_string(max_thread_count()) + "] (0 = every core; at most 4 x this machine's " +
         std::to_string(max_thread_count() / 4) + " cores), got " + std::to_string(threads);
}

void set_blas_thread_count(int n) {
  // OpenBLAS is loaded by LibTorch; look its setter up rather than link against it, so a
  // build against another BLAS still works.
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set_blas(n);
}

}  // namespace attnlab
