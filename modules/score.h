#pragma once
// A score function: how well each key matches each query, before any normalisation.
// Shapes: query [B, Tq, Dq], keys [B, Tk, Dk] -> scores [B, Tq, Tk].

#include <torch/torch.h>

namespace attnlab {

class ScoreImpl : public torch::nn::Module {
 public:
  /// The query-independent part of the score, computed once per key sequence.
  virtual torch::Tensor project_keys(const torch::Tensor& keys) { return keys; }
  /// Scores of every query against every (projected) key: [B, Tq, Tk].
  virtual torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& projected_keys) = 0;
};

}  // namespace attnlab
