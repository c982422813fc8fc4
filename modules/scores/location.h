#pragma once
// Location-based score (Luong et al. 2015): scores come from the query alone,
// a = softmax(W q), one learned weight row per source position.
// Legend: B batch (B x H rows when built for H heads), H heads, Tq query steps, Tk key steps
//         (Tk <= max_length), W window keys, L = max_length.

#include "core/options.h"
#include "modules/head_linear.h"
#include "modules/score.h"

namespace attnlab {

struct LocationScoreOptions {
  explicit LocationScoreOptions(int64_t query_dim) : query_dim_(query_dim) {}
  /// Size of the query vectors (set by the model).
  TORCH_ARG(int64_t, query_dim);
  /// The longest key sequence it can score (W has one row per position).
  TORCH_ARG(int64_t, max_length) = 128;
  /// H: heads it serves, each with its own parameters (set by multi_head; 1 elsewhere).
  TORCH_ARG(int64_t, heads) = 1;
};

template <class Fields>
void visit_fields(Fields& f, LocationScoreOptions& o) {
  f("max_length", o.max_length(), at_least(1));
}

class LocationScoreImpl : public ScoreImpl {
 public:
  explicit LocationScoreImpl(const LocationScoreOptions& options);
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& keys) override;
  torch::Tensor score_window(const torch::Tensor& query, const torch::Tensor& window_keys,
                             const torch::Tensor& positions) override;

  LocationScoreOptions options;
  HeadLinear position_weights{nullptr};  // W: [max_length, Dq] per head
};

}  // namespace attnlab
