#include "training/freed_memory.h"

#include <malloc.h>

#include <cstdlib>
#include <string>

namespace attnlab {

namespace {
// Larger kept blocks fragment the heap: at 256 MiB, local_m at T = 4096 (128 MiB tensors) peaked at
// 10 GiB resident instead of 1.9 GiB at 64 MiB (where it is as slow as with glibc's defaults).
// 64 MiB covers a training step's largest tensors at the usual sizes (logits [B·T, V] of
// 32 x 32 x 8000 floats: 32 MiB).
constexpr int kKeptBlockBytes = 64 << 20;
}  // namespace

void keep_freed_memory() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::string(tunables).find("glibc.malloc.") != std::string::npos) return;  // the user's choice
  mallopt(M_MMAP_THRESHOLD, kKeptBlockBytes);  // blocks up to this come from the heap and return to it
  mallopt(M_TRIM_THRESHOLD, kKeptBlockBytes);  // the heap's free top is given back above this
}

void release_freed_memory() { malloc_trim(0); }

}  // namespace attnlab
