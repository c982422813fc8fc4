#pragma once
// One step of torch::nn::GRUCell / LSTMCell whose input is [x; rest] with the x part of the input
// projection computed beforehand. A decoder's first layer reads [e(y_{t-1}); c_t] (or the fed
// attentional vector): under teacher forcing every e(y_{t-1}) is known before the loop, so
// W_ih[:, :X] x + b_ih is one matrix product over all T steps, and a step multiplies only its rest
// (forward, input gradient and weight gradient alike). Same parameters, same formulas as LibTorch's
// cells (gate order r, z, n for the GRU; i, f, g, o for the LSTM).
// Legend: B batch, X dims computed ahead, R rest dims, H hidden, G gates (3H GRU, 4H LSTM).

#include <torch/torch.h>

#include <tuple>

namespace attnlab {

/// A cell's input weights split at column X: W_ih = [leading | rest]. Taken once per batch, so the
/// gradients of all steps are summed on each part before flowing back into W_ih.
struct SplitInputWeights {
  torch::Tensor leading;  // [G, X]
  torch::Tensor bias;     // [G] b_ih, or undefined
  torch::Tensor rest;     // [G, R], or undefined when X is the whole input
  /// W_ih[:, :X] x + b_ih for x [..., X] -> [..., G].
  torch::Tensor leading_gates(const torch::Tensor& x) const;
};

SplitInputWeights split_input_weights(const torch::Tensor& weight_ih, const torch::Tensor& bias_ih, int64_t leading);

/// h' of torch::nn::GRUCell for the input [x; rest], given input_gates = W_ih[:, :X] x + b_ih [B, 3H];
/// rest [B, R] (undefined when X is the whole input), h [B, H].
torch::Tensor gru_cell_step(const torch::nn::GRUCell& cell, const SplitInputWeights& weights,
                            const torch::Tensor& input_gates, const torch::Tensor& rest, const torch::Tensor& h);

/// (h', c') of torch::nn::LSTMCell likewise; input_gates [B, 4H], h and c [B, H].
std::tuple<torch::Tensor, torch::Tensor> lstm_cell_step(const torch::nn::LSTMCell& cell, const SplitInputWeights& weights,
                                                        const torch::Tensor& input_gates, const torch::Tensor& rest,
                                                        const torch::Tensor& h, const torch::Tensor& c);

}  // namespace attnlab
