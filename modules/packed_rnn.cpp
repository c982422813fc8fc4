#include "modules/packed_rnn.h"

#include "modules/masks.h"

namespace attnlab {

namespace rnn_utils = torch::nn::utils::rnn;

namespace {

// One body for both cells: `lstm` says which of the two is non-null.
PackedRnnOutput run_packed(torch::nn::GRU* gru, torch::nn::LSTM* lstm, const torch::Tensor& x,
                           const torch::Tensor& lengths) {
  TORCH_CHECK(x.dim() == 3 && lengths.dim() == 1 && x.size(0) == lengths.size(0),
              "run_packed: x must be [B, T, I] with lengths [B]; got ", x.sizes(), " and ", lengths.sizes());
  const bool bidirectional = gru ? (*gru)->options.bidirectional() : (*lstm)->options.bidirectional();
  const int64_t layers = gru ? (*gru)->options.num_layers() : (*lstm)->options.num_layers();
  const int64_t units = gru ? (*gru)->options.hidden_size() : (*lstm)->options.hidden_size();
  const int64_t N = layers * (bidirectional ? 2 : 1);

  auto sorted = lengths.sort(/*dim=*/-1, /*descending=*/true);
  auto order = std::get<1>(sorted);  // [B] longest first
  auto data = torch::_pack_padded_sequence(x.index_select(0, order), std::get<0>(sorted).to(torch::kCPU),
                                           /*batch_first=*/true);
  rnn_utils::PackedSequence packed(std::get<0>(data), std::get<1>(data), order, order.argsort());
  // Zeros [N, B, units] built from x, so the batch size is not a constant.
  auto h0 = torch::zeros_like(x.select(2, 0).select(1, 0)).view({1, -1, 1}).repeat({N, 1, units});

  PackedRnnOutput out;
  auto packed_out = [&] {
    if (gru) {
      auto result = (*gru)->forward_with_packed_input(packed, h0);
      out.h_n = std::get<1>(result);
      return std::get<0>(result);
    }
    auto result = (*lstm)->forward_with_packed_input(packed, std::make_tuple(h0, h0.clone()));
    std::tie(out.h_n, out.c_n) = std::get<1>(result);
    return std::get<0>(result);
  }();
  // total_length 0: as long as the longest sequence; rows back in the input's order.
  auto padded = std::get<0>(torch::_pad_packed_sequence(packed_out.data(), packed_out.batch_sizes(),
                                                        /*batch_first=*/true, 0.0, /*total_length=*/0))
                    .index_select(0, packed_out.unsorted_indices());  // [B, longest, O]
  // Back to the T steps of x (padding past the longest sequence stays zero).
  const int64_t O = padded.size(2);
  auto steps = step_positions(padded).unsqueeze(-1).expand({-1, -1, O});                      // [B, longest, O]
  auto zeros = torch::zeros_like(x.select(2, 0), padded.options()).unsqueeze(-1).repeat({1, 1, O});  // [B, T, O]
  out.outputs = zeros.scatter(1, steps, padded);  // [B, T, O]
  return out;
}

}  // namespace

PackedRnnOutput run_packed(torch::nn::GRU& gru, const torch::Tensor& x, const torch::Tensor& lengths) {
  return run_packed(&gru, nullptr, x, lengths);
}

PackedRnnOutput run_packed(torch::nn::LSTM& lstm, const torch::Tensor& x, const torch::Tensor& lengths) {
  return run_packed(nullptr, &lstm, x, lengths);
}

}  // namespace attnlab
