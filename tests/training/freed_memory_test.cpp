// The malloc settings handed to a child process (the Python peer of `bench model --peer`): attnlab's
// own, the user's other tunables kept, and none when the user already tuned malloc.

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "training/freed_memory.h"

namespace attnlab {
namespace {

/// Sets GLIBC_TUNABLES (or unsets it) for one test and puts the old value back.
class TunablesForTest {
 public:
  explicit TunablesForTest(const char* value) {
    if (const char* old = std::getenv("GLIBC_TUNABLES")) old_ = old;
    if (value) setenv("GLIBC_TUNABLES", value, 1);
    else unsetenv("GLIBC_TUNABLES");
  }
  ~TunablesForTest() {
    if (old_) setenv("GLIBC_TUNABLES", old_->c_str(), 1);
    else unsetenv("GLIBC_TUNABLES");
  }

 private:
  std::optional<std::string> old_;
};

const std::string kAttnlabs = "glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=18446744073709551615";

TEST(FreedMemory, ChildGetsTheSameMallocSettings) {
  TunablesForTest unset(nullptr);
  EXPECT_EQ(kept_freed_memory_tunables(), kAttnlabs);  // 256 MiB blocks, never trimmed, as keep_freed_memory() sets
}

TEST(FreedMemory, UsersOtherTunablesStay) {
  TunablesForTest other("glibc.cpu.x86_shstk=off");
  EXPECT_EQ(kept_freed_memory_tunables(), "glibc.cpu.x86_shstk=off:" + kAttnlabs);
}

TEST(FreedMemory, UsersMallocTuningWins) {
  TunablesForTest users("glibc.malloc.arena_max=2");
  EXPECT_EQ(kept_freed_memory_tunables(), "");  // the child inherits the user's GLIBC_TUNABLES as it is
}

/// Bytes of the main heap (not mmapped), as glibc counts them.
size_t heap_bytes() { return mallinfo2().arena; }

// What the setting is for: a step that frees more than 256 MiB of heap at once keeps it for the
// next step (the old trim threshold of 256 MiB gave all of it back), and benchmarks can still give
// it back when they measure one case's peak.
TEST(FreedMemory, HeapKeptAfterALargeFreeUntilReleased) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::string(tunables).find("glibc.malloc.") != std::string::npos)
    GTEST_SKIP() << "malloc is as GLIBC_TUNABLES says";
  keep_freed_memory();
  constexpr size_t kBlock = 100 << 20, kBlocks = 3;  // below the 256 MiB mmap threshold, 300 MiB in all
  std::vector<void*> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    ASSERT_NE(blocks.back(), nullptr);
    asm volatile("" : : "g"(blocks.back()) : "memory");  // the allocation is not optimised away
  }
  const size_t in_use = heap_bytes();
  ASSERT_GE(in_use, kBlocks * kBlock);  // from the heap, not mmapped
  for (void* block : blocks) std::free(block);
  EXPECT_GE(heap_bytes(), kBlocks * kBlock);  // kept
  release_freed_memory();
  EXPECT_LE(heap_bytes() + kBlocks * kBlock, in_use);  // given back
}

}  // namespace
}  // namespace attnlab
