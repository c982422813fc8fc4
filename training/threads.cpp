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

void set_blas_thread_count(int n) {
  // OpenBLAS is loaded by LibTorch; look its setter up rather than link against it, so a
  // build against another BLAS still works.
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set_blas(n);
}

}  // namespace attnlab
