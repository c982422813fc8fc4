#pragma once
// Whether memory freed by LibTorch goes back to the system. glibc gives back every block larger
// than its mmap threshold (at most 32 MiB, raised as blocks are freed) the moment it is freed, so
// each training step maps its large tensors afresh and the kernel zeroes every page on first
// touch: a quarter of a Transformer step here, and two thirds of local_m's time at T = 1024
// (system time 22 s of 27). Keeping freed blocks for the next step is what PyTorch users get
// from jemalloc or tcmalloc; here it is two glibc settings.

#include <string>

namespace attnlab {

/// Keeps freed blocks up to 256 MiB in the process for reuse (glibc: they come from the heap, not
/// from mmap, and the heap's free top is not given back to the system), unless GLIBC_TUNABLES
/// already says how malloc should behave. Call once, first thing in main().
void keep_freed_memory();

/// GLIBC_TUNABLES with the same settings (the user's other tunables kept) for a child process, such
/// as the Python peer of `bench model --peer`; "" when malloc is as the user's GLIBC_TUNABLES say.
std::string kept_freed_memory_tunables();

/// Gives memory freed so far back to the system (benchmarks measuring one case's peak).
void release_freed_memory();

/// What this process keeps of freed memory and who decided, in one line (`attnlab doctor`).
std::string freed_memory_setting();

}  // namespace attnlab
