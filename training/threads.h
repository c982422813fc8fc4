#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace attnlab {
/// Sets the CPU threads of LibTorch's intra-op pool and of the BLAS it calls (OpenBLAS
/// keeps a pool of its own, which otherwise spins on every core: with two single-thread
/// runs side by side it doubled their system time here). 0 = every core.
void set_thread_count(int64_t threads);
/// Threads a run may ask for: 4 x this machine's cores (more only oversubscribes; 100000 made
/// OpenMP spend minutes starting threads).
int64_t max_thread_count();
/// The check of a "threads" option: 0 (every core) .. max_thread_count().
std::optional<std::string> check_thread_count(int64_t threads);
/// Sets the BLAS's threads alone (benchmarks comparing thread arrangements); n >= 1.
void set_blas_thread_count(int n);
}  // namespace attnlab
