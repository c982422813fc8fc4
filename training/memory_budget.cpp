#include "training/memory_budget.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <c10/core/CPUAllocator.h>

namespace attnlab {

namespace {

/// LibTorch's CPU allocator with a count of the bytes alive and a ceiling. Installed by
/// AllocationBudget; the count lives in a shared_ptr so that tensors outliving the budget (a built
/// model's parameters) can still be freed through it.
class CountingAllocator : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t bytes) const override {
    const auto live = counter_->load();
    if (live + static_cast<int64_t>(bytes) > budget_) throw AllocationOverBudget(live, static_cast<int64_t>(bytes), budget_);
    c10::DataPtr inner = inner_->allocate(bytes);
    counter_->fetch_add(static_cast<int64_t>(bytes));
    void* data = inner.get();
    const c10::Device device = inner.device();
    auto* context = new Counted{std::move(inner), static_cast<int64_t>(bytes), counter_};
    return {data, context, &free_counted, device};
  }
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }

  void start(c10::Allocator* inner, int64_t budget) {
    inner_ = inner;
    budget_ = budget;
    counter_ = std::make_shared<std::atomic<int64_t>>(0);
  }
  int64_t live() const { return counter_ ? counter_->load() : 0; }

 private:
  struct Counted {
    c10::DataPtr inner;  // frees the memory through the allocator that made it
    int64_t bytes;
    std::shared_ptr<std::atomic<int64_t>> counter;
  };
  static void free_counted(void* context) {
    auto* counted = static_cast<Counted*>(context);
    counted->counter->fetch_sub(counted->bytes);
    delete counted;
  }

  c10::Allocator* inner_ = nullptr;
  int64_t budget_ = 0;
  std::shared_ptr<std::atomic<int64_t>> counter_;
};

CountingAllocator& counting_allocator() {
  static CountingAllocator* allocator = new CountingAllocator();  // LibTorch may hold it to the end
  return *allocator;
}

// SetCPUAllocator replaces the allocator only at a priority at least the current one's.
constexpr uint8_t kPriority = 200;
c10::Allocator* replaced = nullptr;

}  // namespace

int64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 || bytes >= 100 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

AllocationOverBudget::AllocationOverBudget(int64_t live_bytes, int64_t requested_bytes, int64_t budget_bytes)
    : needed_(live_bytes + requested_bytes),
      message_("a tensor of " + format_bytes(static_cast<double>(requested_bytes)) + " would bring the tensors alive to " +
               format_bytes(static_cast<double>(needed_)) + ", over the budget of " +
               format_bytes(static_cast<double>(budget_bytes))) {}

AllocationBudget::AllocationBudget(int64_t budget_bytes) {
  TORCH_CHECK(replaced == nullptr, "AllocationBudget: one budget at a time");
  replaced = c10::GetCPUAllocator();
  counting_allocator().start(replaced, budget_bytes);
  c10::SetCPUAllocator(&counting_allocator(), kPriority);
}

AllocationBudget::~AllocationBudget() {
  c10::SetCPUAllocator(replaced, kPriority);
  replaced = nullptr;
}

int64_t AllocationBudget::live_bytes() const { return counting_allocator().live(); }

}  // namespace attnlab
