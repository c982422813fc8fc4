#pragma once
// Batches of example indices: fixed-size chunks of an order, or batches by a token budget.
//
// By a token budget, examples of similar length go together, so batches carry little padding
// and every step costs about the same.
// The shuffled `order` is cut into windows of `window` examples; each window is sorted by
// length and cut greedily into batches whose padded size (examples × longest) stays within
// `max_tokens`. An example longer than the budget is a batch of its own. The caller shuffles
// the batches (windows keep the randomness of `order`; the sort only groups lengths).

#include <cstdint>
#include <vector>

namespace attnlab {

/// Splits `order` (a permutation of [0, n)) into consecutive batches of `batch_size` indices.
std::vector<std::vector<int64_t>> chunk(const std::vector<int64_t>& order, int64_t batch_size);

/// lengths[i] is example i's size in tokens (e.g. the longer of source and target).
std::vector<std::vector<int64_t>> token_budget_batches(const std::vector<int64_t>& order,
                                                       const std::vector<int64_t>& lengths, int64_t max_tokens,
                                                       int64_t window);

}  // namespace attnlab
