#include "training/freed_memory.h"

#include <malloc.h>

#include <cstdlib>
#include <string>

namespace attnlab {

void keep_freed_memory() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::string(tunables).find("glibc.malloc.") != std::string::npos) return;  // the user's choice
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // blocks up to 1 GiB come from the heap and return to it
  mallopt(M_TRIM_THRESHOLD, 1 << 30);  // the heap is given back only above 1 GiB of free top
}

void release_freed_memory() { malloc_trim(0); }

}  // namespace attnlab
