// The malloc settings handed to a child process (the Python peer of `bench model --peer`): attnlab's
// own, the user's other tunables kept, and none when the user already tuned malloc.

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

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

const std::string kAttnlabs = "glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=268435456";

TEST(FreedMemory, ChildGetsTheSameMallocSettings) {
  TunablesForTest unset(nullptr);
  EXPECT_EQ(kept_freed_memory_tunables(), kAttnlabs);  // 256 MiB kept, as keep_freed_memory() sets
}

TEST(FreedMemory, UsersOtherTunablesStay) {
  TunablesForTest other("glibc.cpu.x86_shstk=off");
  EXPECT_EQ(kept_freed_memory_tunables(), "glibc.cpu.x86_shstk=off:" + kAttnlabs);
}

TEST(FreedMemory, UsersMallocTuningWins) {
  TunablesForTest users("glibc.malloc.arena_max=2");
  EXPECT_EQ(kept_freed_memory_tunables(), "");  // the child inherits the user's GLIBC_TUNABLES as it is
}

}  // namespace
}  // namespace attnlab
