#include "modules/recurrent_cells.h"

namespace attnlab {

torch::Tensor SplitInputWeights::leading_gates(const torch::Tensor& x) const { return torch::linear(x, leading, bias); }

SplitInputWeights split_input_weights(const torch::Tensor& weight_ih, const torch::Tensor& bias_ih, int64_t leading) {
  const int64_t inputs = weight_ih.size(1);
  TORCH_CHECK(leading > 0 && leading <= inputs, "split_input_weights: cannot split ", inputs, " input columns at ",
              leading);
  return {weight_ih.narrow(1, 0, leading), bias_ih,
          leading < inputs ? weight_ih.narrow(1, leading, inputs - leading) : torch::Tensor()};
}

namespace {

/// All input gates [B, G]: the precomputed part plus W_ih[:, X:] rest.
torch::Tensor all_input_gates(const SplitInputWeights& weights, const torch::Tensor& input_gates, const torch::Tensor& rest) {
  TORCH_CHECK(rest.defined() == weights.rest.defined(), "recurrent cell step: the rest of the input is ",
              rest.defined() ? "given" : "missing", " but the input weights were split ",
              weights.rest.defined() ? "before their end" : "at their end");
  return rest.defined() ? torch::addmm(input_gates, rest, weights.rest.t()) : input_gates;
}

}  // namespace

torch::Tensor gru_cell_step(const torch::nn::GRUCell& cell, const SplitInputWeights& weights,
                            const torch::Tensor& input_gates, const torch::Tensor& rest, const torch::Tensor& h) {
  auto input = all_input_gates(weights, input_gates, rest).chunk(3, 1);  // r, z, n: [B, H] each
  auto hidden = torch::linear(h, cell->weight_hh, cell->bias_hh).chunk(3, 1);
  auto reset = torch::sigmoid(input[0] + hidden[0]);
  auto update = torch::sigmoid(input[1] + hidden[1]);
  auto candidate = torch::tanh(input[2] + reset * hidden[2]);
  return candidate + update * (h - candidate);  // (1 - z) n + z h
}

std::tuple<torch::Tensor, torch::Tensor> lstm_cell_step(const torch::nn::LSTMCell& cell, const SplitInputWeights& weights,
                                                        const torch::Tensor& input_gates, const torch::Tensor& rest,
                                                        const torch::Tensor& h, const torch::Tensor& c) {
  auto gates = (all_input_gates(weights, input_gates, rest) + torch::linear(h, cell->weight_hh, cell->bias_hh))
                   .chunk(4, 1);  // i, f, g, o: [B, H] each
  auto c_next = torch::sigmoid(gates[1]) * c + torch::sigmoid(gates[0]) * torch::tanh(gates[2]);
  auto h_next = torch::sigmoid(gates[3]) * torch::tanh(c_next);
  return {h_next, c_next};
}

}  // namespace attnlab
