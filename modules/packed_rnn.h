#pragma once
// Batch-first RNNs (torch::nn::GRU / LSTM) over padded sequences, packed so that padding is
// never read (a backward direction starts at each sequence's own last step). Export-safe,
// unlike LibTorch's pack_padded_sequence(enforce_sorted=false) + pad_packed_sequence path,
// which reads the batch size and the length into integers that a trace freezes
// (../shared/notes/torchscript.md): here the initial state is explicit, the inverse order is
// an argsort, and the outputs are scattered back to the input's steps.
// Legend: B batch, T steps, I input dims, O output dims (units x directions), N layers x directions.

#include <torch/torch.h>

namespace attnlab {

struct PackedRnnOutput {
  torch::Tensor outputs;  // [B, T, O], zeros at padded steps
  torch::Tensor h_n;      // [N, B, units]
  torch::Tensor c_n;      // [N, B, units] (LSTM), else undefined
};

/// x [B, T, I] with lengths [B] (each >= 1) through the RNN from zero initial states.
PackedRnnOutput run_packed(torch::nn::GRU& gru, const torch::Tensor& x, const torch::Tensor& lengths);
PackedRnnOutput run_packed(torch::nn::LSTM& lstm, const torch::Tensor& x, const torch::Tensor& lengths);

}  // namespace attnlab
