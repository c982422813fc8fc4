#include "training/freed_memory.h"

#include <malloc.h>

#include <cstdlib>
#include <string>

namespace attnlab {

namespace {
// Blocks above this are mapped afresh at each allocation and page-faulted in: at 64 MiB, local_m at
// T = 4096 (B 32, D 256: 128 MiB tensors) ran 1.6x slower (2371 vs 1480 ms fwd+bwd, bench
// attention) and peaked at 1.7 GiB resident instead of 2.2 GiB. Larger kept blocks can fragment
// the heap: with 256 MiB, the per-slot local_m of 261dca3 (before the banded products) peaked at
// 10 GiB. 256 MiB covers a training step's largest tensors at the usual sizes (logits [B·T, V] of
// 32 x 32 x 8000 floats: 32 MiB) with room to spare.
constexpr int kKeptBlockBytes = 256 << 20;

// The heap's free top is never given back on its own (glibc: trim threshold -1, "disables trimming
// completely"). With a 256 MiB trim threshold the heap was trimmed whenever a step freed more than
// that at once, unless a live block happened to sit above the free space: local_m at T = 4096 took
// 1742 ms alone in its process and 1107 ms after T = 1024 had left such a block (by luck of the
// heap's layout); never trimming, 733-763 ms either way (bench attention, fwd + bwd). What is kept
// never exceeds the process's own peak, which the machine already provided.
constexpr int kNeverTrim = -1;

bool user_tunes_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables && std::string(tunables).find("glibc.malloc.") != std::string::npos;
}
}  // namespace

void keep_freed_memory() {
  if (user_tunes_malloc()) return;  // the user's choice
  mallopt(M_MMAP_THRESHOLD, kKeptBlockBytes);  // blocks up to this come from the heap and return to it
  mallopt(M_TRIM_THRESHOLD, kNeverTrim);
}

std::string kept_freed_memory_tunables() {
  if (user_tunes_malloc()) return "";
  const std::string bytes = std::to_string(kKeptBlockBytes);
  const char* others = std::getenv("GLIBC_TUNABLES");  // the user's other tunables stay
  return (others && *others ? std::string(others) + ":" : std::string()) + "glibc.malloc.mmap_threshold=" + bytes +
         ":glibc.malloc.trim_threshold=" + std::to_string(static_cast<size_t>(kNeverTrim));  // as mallopt reads -1
}

void release_freed_memory() { malloc_trim(0); }

std::string freed_memory_setting() {
  if (user_tunes_malloc()) return std::string("as GLIBC_TUNABLES=") + std::getenv("GLIBC_TUNABLES") + " says";
  return "blocks up to " + std::to_string(kKeptBlockBytes >> 20) +
         " MiB kept for reuse, the heap never trimmed (attnlab's setting; larger blocks for long sequences: README, Speed on a CPU)";
}

}  // namespace attnlab
