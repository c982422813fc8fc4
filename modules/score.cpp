#include "modules/score.h"

namespace attnlab {

torch::Tensor ScoreImpl::score_window(const torch::Tensor& query, const torch::Tensor& window_keys,
                                      const torch::Tensor& positions) {
  TORCH_CHECK(query.dim() == 3 && window_keys.dim() == 4 && window_keys.size(0) == query.size(0) &&
                  window_keys.size(1) == query.size(1),
              "score_window: query [B, Tq, Dq] and window keys [B, Tq, W, Dk] do not match: ", query.sizes(), " and ",
              window_keys.sizes());
  // Each query becomes a sequence of one step against its window: [B, Tq, ...] -> [Tq x B, ...],
  // row t x B + b. Heads stay fastest (B is B x H with heads fastest), so per-head parameters
  // still meet their rows; the shape comes back from `positions`, so a trace bakes in no size.
  auto one_row_per_query = [](const torch::Tensor& t) { return t.transpose(0, 1).flatten(0, 1); };
  auto scores = forward(one_row_per_query(query).unsqueeze(1), one_row_per_query(window_keys));  // [Tq x B, 1, W]
  return scores.squeeze(1).view_as(positions.transpose(0, 1)).transpose(0, 1);                     // [B, Tq, W]
}

torch::Tensor ScoreImpl::score_shifted(const torch::Tensor& query, const torch::Tensor& key_rows,
                                       const torch::Tensor& positions) {
  const int64_t Tq = query.size(1), W = positions.size(2);
  TORCH_CHECK(key_rows.dim() == 3 && key_rows.size(1) == Tq + W - 1, "score_shifted: key rows must be [B, ",
              Tq + W - 1, ", Dk], got ", key_rows.sizes());
  std::vector<torch::Tensor> columns;  // W x [B, Tq, 1]: slot w of every window is rows w .. w + Tq - 1
  for (int64_t w = 0; w < W; ++w)
    columns.push_back(score_window(query, key_rows.narrow(1, w, Tq).unsqueeze(2), positions.narrow(2, w, 1)));
  return torch::cat(columns, 2);  // [B, Tq, W]
}

}  // namespace attnlab
