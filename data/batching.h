#pragma once
// Batches of training examples by a token budget: examples of similar length go together, so
// batches carry little padding and every step costs about the same.
//
// The shuffled `order` is cut into windows of `window` examples; each window is sorted by
// length and cut greedily into batches whose padded size (examples × longest) stays within
// `max_tokens`. An example longer than the budget is a batch of its own. The caller shuffles
// the batches (windows keep the randomness of `order`; the sort only groups lengths).

#include <cstdint>
#include <vector>

namespace attnlab {

/// lengths[i] is example i's size in tokens (e.g. the longer of source and target).
std::vector<std::vector<int64_t>> token_budget_batches(const std::vector<int64_t>& order,
                                                       const std::vector<int64_t>& lengths, int64_t max_tokens,
                                                       int64_t window);

}  // namespace attnlab
