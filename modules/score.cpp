#include "modules/score.h"

namespace attnlab {

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
