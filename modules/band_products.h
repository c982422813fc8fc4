#pragma once
// Banded products for windows that shift by one key per query (local_m under teacher forcing or
// self-attention): query t sees key rows t .. t + W - 1. Done as a few large matrix products
// over chunks of C queries (Longformer's sliding chunks) instead of W thin element-wise passes:
// each chunk multiplies its C queries by the R = C + W - 1 rows their windows span, and the band
// is read out of the [C, R] block by a skew (pad one row by C, view it as [C, C + W]). The block
// computes R / W times the band's products but at matrix-product speed, and every tensor stays
// linear in T: [B, T, R] at most.
// Legend: B batch, T queries, W window keys, D key dims, Dv value dims, C queries per chunk,
//         N = ceil(T / C) chunks, R = C + W - 1 key rows a chunk's windows span.

#include <torch/torch.h>

namespace attnlab {

/// Queries per chunk: larger chunks waste more products (R / W), smaller ones make more, smaller
/// matrix products (bench attention, B 32, D 256, W 21, T 1024 and 4096: 32 was as fast as 64 or
/// faster for local_m dot and multi_head local_m, 16 slower).
constexpr int64_t kBandChunk = 32;

/// Σ_d query[b, t, d] · key_rows[b, t + w, d]: query [B, T, D], key_rows [B, T + W - 1, D] -> [B, T, W].
torch::Tensor band_scores(const torch::Tensor& query, const torch::Tensor& key_rows, int64_t W,
                          int64_t chunk = kBandChunk);

/// Σ_w weights[b, t, w] · value_rows[b, t + w, :]: weights [B, T, W], value_rows [B, T + W - 1, Dv] -> [B, T, Dv].
torch::Tensor band_mix(const torch::Tensor& weights, const torch::Tensor& value_rows, int64_t chunk = kBandChunk);

}  // namespace attnlab
