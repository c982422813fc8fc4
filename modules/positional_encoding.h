#pragma once
// Positions added to token embeddings (Vaswani et al. 2017):
//   sinusoidal: PE(pos, 2i) = sin(pos / 10000^(2i/D)), PE(pos, 2i+1) = cos(pos / 10000^(2i/D))
//   learned:    one trained vector per position (up to max_length).
// Legend: B batch, T steps, D model dims.

#include "core/options.h"

#include <torch/torch.h>

namespace attnlab {

struct PositionalEncodingOptions {
  explicit PositionalEncodingOptions(int64_t dims) : dims_(dims) {}
  /// D (set by the model).
  TORCH_ARG(int64_t, dims);
  /// "sinusoidal" or "learned".
  TORCH_ARG(std::string, kind) = "sinusoidal";
  /// The longest sequence it can encode.
  TORCH_ARG(int64_t, max_length) = 1024;
  /// sinusoidal: the table is multiplied by this (models whose embeddings start small scale it
  /// down, so that positions do not swamp the tokens).
  TORCH_ARG(double, scale) = 1.0;
};

/// The sinusoidal table [length, dims] (dims may be odd: the last sine has no cosine).
torch::Tensor sinusoidal_table(int64_t length, int64_t dims);

class PositionalEncodingImpl : public torch::nn::Module {
 public:
  explicit PositionalEncodingImpl(const PositionalEncodingOptions& options);
  /// x [B, T, D] at positions offset .. offset+T-1 -> x + PE [B, T, D].
  torch::Tensor forward(const torch::Tensor& x, int64_t offset = 0);
  /// x [B, T, D] at `positions` ([T] or [B, T], int64) -> x + PE [B, T, D]; positions must be
  /// below max_length (export-safe: no size is read into an integer).
  torch::Tensor forward_at(const torch::Tensor& x, const torch::Tensor& positions);

  PositionalEncodingOptions options;
  torch::Tensor table;  // [max_length, D]: a buffer (sinusoidal) or a parameter (learned)
};
TORCH_MODULE(PositionalEncoding);

}  // namespace attnlab
