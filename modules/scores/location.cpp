#include "modules/scores/location.h"

#include "modules/masks.h"

namespace attnlab {

LocationScoreImpl::LocationScoreImpl(const LocationScoreOptions& options_)
    : ScoreImpl(options_.heads()), options(options_) {
  TORCH_CHECK(options.query_dim() > 0, "location score: query dims must be positive, got ", options.query_dim());
  position_weights = register_module(
      "position_weights",
      HeadLinear(HeadLinearOptions(options.query_dim(), options.max_length()).heads(options.heads())));
}

torch::Tensor LocationScoreImpl::forward(const torch::Tensor& query, const torch::Tensor& keys) {
  const int64_t Tk = keys.size(1);
  TORCH_CHECK(Tk <= options.max_length(), "location score: ", Tk, " keys but max_length is ", options.max_length());
  auto key_positions = step_positions(keys).select(0, 0);    // [Tk]
  return position_weights(query).index_select(-1, key_positions);  // [B, Tq, Tk]
}

torch::Tensor LocationScoreImpl::score_window(const torch::Tensor& query, const torch::Tensor& /*window_keys*/,
                                              const torch::Tensor& positions) {
  // Only the rows of W for the window's positions, so the cost does not grow with max_length.
  // Positions outside [0, max_length) are padding of the window; the scope masks them.
  // Head h's rows sit at h x L + position in the heads' stacked tables [H x L, Dq] and [H x L].
  const int64_t H = heads(), L = options.max_length();
  auto head_offset = (torch::arange(H, positions.options()) * L).view({1, H, 1, 1});         // [1, H, 1, 1]
  auto index = (positions.clamp(0, L - 1).unflatten(0, {-1, H}) + head_offset).flatten(0, 1);  // [B, Tq, W]
  auto rows = torch::embedding(position_weights->stacked_weight().flatten(0, 1), index);      // [B, Tq, W, Dq]
  auto bias_table = position_weights->stacked_bias().flatten();                                 // [H x L]
  auto bias = bias_table.index_select(0, index.flatten()).view_as(index);                      // [B, Tq, W]
  return (rows * query.unsqueeze(2)).sum(-1) + bias;  // Σ_d [B, Tq, W, Dq] ⊙ [B, Tq, 1, Dq]: [B, Tq, W]
}

}  // namespace attnlab
