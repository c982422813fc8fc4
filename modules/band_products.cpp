#include "modules/band_products.h"

namespace attnlab {

namespace {

int64_t chunk_count(int64_t T, int64_t C) { return (T + C - 1) / C; }

/// rows [B, T + W - 1, X] -> [B, N, R, X]: chunk n holds rows nC .. nC + R - 1 (zero rows past the
/// end). Overlapping chunks: a view of the padded rows.
torch::Tensor chunk_rows(const torch::Tensor& rows, int64_t T, int64_t W, int64_t C) {
  const int64_t N = chunk_count(T, C), R = C + W - 1;
  auto padded = torch::constant_pad_nd(rows, {0, 0, 0, N * C + W - 1 - rows.size(1)});  // [B, NC + W - 1, X]
  return padded.unfold(1, R, C).transpose(2, 3);                                       // [B, N, R, X]
}

/// rows [B, T, X] -> [B, N, C, X], zero rows past T.
torch::Tensor chunk_queries(const torch::Tensor& rows, int64_t C) {
  const int64_t T = rows.size(1), N = chunk_count(T, C);
  return torch::constant_pad_nd(rows, {0, 0, 0, N * C - T}).view({rows.size(0), N, C, rows.size(2)});
}

void check_rows(const torch::Tensor& rows, int64_t T, int64_t W, const char* what) {
  TORCH_CHECK(rows.dim() == 3 && rows.size(1) == T + W - 1, "band: ", what, " must be [B, T + W - 1, *] = [B, ",
              T + W - 1, ", *], got ", rows.sizes());
}

}  // namespace

torch::Tensor band_scores(const torch::Tensor& query, const torch::Tensor& key_rows, int64_t W, int64_t C) {
  TORCH_CHECK(query.dim() == 3 && W >= 1 && C >= 1, "band_scores: query must be [B, T, D], got ", query.sizes());
  const int64_t B = query.size(0), T = query.size(1), N = chunk_count(T, C), R = C + W - 1;
  check_rows(key_rows, T, W, "key rows");
  auto block = torch::matmul(chunk_queries(query, C), chunk_rows(key_rows, T, W, C).transpose(2, 3));  // [B, N, C, R]
  // Skew: row i of the block, padded to C + W - 1 + 1 = R + 1 entries per row, holds (i, i + w) at column w.
  auto skewed = torch::constant_pad_nd(block.flatten(2), {0, C}).view({B, N, C, R + 1});  // [B, N, C, R + 1]
  return skewed.narrow(3, 0, W).reshape({B, N * C, W}).narrow(1, 0, T);                  // [B, T, W]
}

torch::Tensor band_mix(const torch::Tensor& weights, const torch::Tensor& value_rows, int64_t C) {
  TORCH_CHECK(weights.dim() == 3 && C >= 1, "band_mix: weights must be [B, T, W], got ", weights.sizes());
  const int64_t B = weights.size(0), T = weights.size(1), W = weights.size(2), N = chunk_count(T, C), R = C + W - 1;
  check_rows(value_rows, T, W, "value rows");
  // The skew undone: row i of [C, C + W] (weights, then C zeros) read with row length R puts
  // weight (i, w) at column i + w and zeros everywhere off the band.
  auto padded = torch::constant_pad_nd(chunk_queries(weights, C), {0, C});            // [B, N, C, C + W]
  auto block = padded.flatten(2).narrow(2, 0, C * R).view({B, N, C, R});              // [B, N, C, R]
  auto mixed = torch::matmul(block, chunk_rows(value_rows, T, W, C));                 // [B, N, C, Dv]
  return mixed.reshape({B, N * C, value_rows.size(2)}).narrow(1, 0, T);               // [B, T, Dv]
}

}  // namespace attnlab
