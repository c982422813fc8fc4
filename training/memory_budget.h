#pragma once
// How much memory a model may take, checked while it is built: a model whose parameters cannot be
// trained in this machine's memory is refused before its tensors are filled (Linux hands out
// memory lazily, so a too-big model would otherwise be built, then swap or be killed mid-run).

#include <cstdint>
#include <new>
#include <string>

namespace attnlab {

/// Bytes the machine can still give without swapping (MemAvailable of /proc/meminfo; 0 if unknown).
int64_t available_memory_bytes();

/// An allocation refused by AllocationBudget, before it was made.
class AllocationOverBudget : public std::bad_alloc {
 public:
  AllocationOverBudget(int64_t live_bytes, int64_t requested_bytes, int64_t budget_bytes);
  const char* what() const noexcept override { return message_.c_str(); }
  /// Bytes the tensors alive would have taken with this one: a lower bound on what was wanted.
  int64_t needed_bytes() const { return needed_; }

 private:
  int64_t needed_;
  std::string message_;
};

/// While alive, LibTorch's CPU tensors made on any thread are counted, and one that would bring
/// the bytes alive (counted since the budget began) above `budget_bytes` throws
/// AllocationOverBudget instead of being made. Not nested: one budget at a time.
class AllocationBudget {
 public:
  explicit AllocationBudget(int64_t budget_bytes);
  ~AllocationBudget();
  AllocationBudget(const AllocationBudget&) = delete;
  AllocationBudget& operator=(const AllocationBudget&) = delete;
  /// Bytes of the counted tensors still alive.
  int64_t live_bytes() const;
};

/// "1.5 GiB", "320 MiB", "12 KiB", "7 B".
std::string format_bytes(double bytes);

}  // namespace attnlab
