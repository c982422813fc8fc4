#include "data/batching.h"

#include <algorithm>

namespace attnlab {

std::vector<std::vector<int64_t>> chunk(const std::vector<int64_t>& order, int64_t batch_size) {
  std::vector<std::vector<int64_t>> batches;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    const size_t end = std::min(order.size(), start + static_cast<size_t>(batch_size));
    batches.emplace_back(order.begin() + start, order.begin() + end);
  }
  return batches;
}

std::vector<std::vector<int64_t>> token_budget_batches(const std::vector<int64_t>& order,
                                                       const std::vector<int64_t>& lengths, int64_t max_tokens,
                                                       int64_t window) {
  std::vector<std::vector<int64_t>> batches;
  window = std::max<int64_t>(window, 1);
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(window)) {
    std::vector<int64_t> bucket(order.begin() + static_cast<std::ptrdiff_t>(start),
                                order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window)));
    std::stable_sort(bucket.begin(), bucket.end(), [&](int64_t a, int64_t b) { return lengths[a] < lengths[b]; });
    std::vector<int64_t> batch;
    int64_t longest = 0;
    for (int64_t example : bucket) {
      const int64_t longer = std::max(longest, lengths[example]);
      if (!batch.empty() && longer * static_cast<int64_t>(batch.size() + 1) > max_tokens) {
        batches.push_back(std::move(batch));
        batch.clear();
        longest = 0;
      }
      batch.push_back(example);
      longest = std::max(longest, lengths[example]);
    }
    if (!batch.empty()) batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace attnlab
