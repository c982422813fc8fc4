// Cell steps from precomputed input gates against LibTorch's own GRUCell and LSTMCell on the whole
// input [x; rest]: values and every gradient (inputs, state, all four parameters), in double.

#include <gtest/gtest.h>

#include "modules/recurrent_cells.h"

namespace attnlab {
namespace {

constexpr int64_t kBatch = 3, kLeading = 4, kRest = 5, kHidden = 6;

/// Every parameter gradient of `module`, then the gradients of `tensors`; all cleared afterwards.
std::vector<torch::Tensor> take_gradients(torch::nn::Module& module, const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> out;
  for (auto& p : module.parameters()) {
    out.push_back(p.grad().clone());
    p.mutable_grad() = torch::Tensor();
  }
  for (auto t : tensors) {
    out.push_back(t.grad().clone());
    t.mutable_grad() = torch::Tensor();
  }
  return out;
}

void expect_all_close(const std::vector<torch::Tensor>& ours, const std::vector<torch::Tensor>& reference) {
  ASSERT_EQ(ours.size(), reference.size());
  ASSERT_FALSE(ours.empty());
  for (size_t i = 0; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].sizes(), reference[i].sizes()) << "tensor " << i;
    EXPECT_TRUE(torch::allclose(ours[i], reference[i], 1e-12, 1e-12)) << "tensor " << i;
  }
}

struct Inputs {
  torch::Tensor x, rest, h, c;
};
Inputs random_inputs(int64_t rest_dims) {
  auto make = [](int64_t dims) { return torch::randn({kBatch, dims}, torch::kDouble).requires_grad_(true); };
  return {make(kLeading), rest_dims > 0 ? make(rest_dims) : torch::Tensor(), make(kHidden), make(kHidden)};
}
torch::Tensor whole_input(const Inputs& in) { return in.rest.defined() ? torch::cat({in.x, in.rest}, 1) : in.x; }
/// The inputs that get a gradient: x, h, c (LSTM only) and the rest (when there is one).
std::vector<torch::Tensor> leaves(const Inputs& in, bool lstm) {
  std::vector<torch::Tensor> out{in.x, in.h};
  if (lstm) out.push_back(in.c);
  if (in.rest.defined()) out.push_back(in.rest);
  return out;
}

void check_gru(int64_t rest_dims) {
  torch::manual_seed(7);
  torch::nn::GRUCell cell(kLeading + rest_dims, kHidden);
  cell->to(torch::kDouble);
  auto in = random_inputs(rest_dims);
  const auto readout = torch::randn({kBatch, kHidden}, torch::kDouble);  // a loss that weighs every unit

  auto reference = cell->forward(whole_input(in), in.h);
  (reference * readout).sum().backward();
  auto reference_grads = take_gradients(*cell, leaves(in, false));

  auto weights = split_input_weights(cell->weight_ih, cell->bias_ih, kLeading);
  auto ours = gru_cell_step(cell, weights, weights.leading_gates(in.x), in.rest, in.h);
  (ours * readout).sum().backward();
  ASSERT_EQ(ours.sizes(), reference.sizes());
  EXPECT_TRUE(torch::allclose(ours, reference, 1e-12, 1e-12));
  expect_all_close(take_gradients(*cell, leaves(in, false)), reference_grads);
}

TEST(RecurrentCells, GruStepFromInputGatesIsTorchGruCell) { check_gru(kRest); }
TEST(RecurrentCells, GruStepWithTheWholeInputAheadIsTorchGruCell) { check_gru(0); }

void check_lstm(int64_t rest_dims) {
  torch::manual_seed(11);
  torch::nn::LSTMCell cell(kLeading + rest_dims, kHidden);
  cell->to(torch::kDouble);
  auto in = random_inputs(rest_dims);
  const auto readout_h = torch::randn({kBatch, kHidden}, torch::kDouble);
  const auto readout_c = torch::randn({kBatch, kHidden}, torch::kDouble);

  auto [h_ref, c_ref] = cell->forward(whole_input(in), std::make_tuple(in.h, in.c));
  ((h_ref * readout_h).sum() + (c_ref * readout_c).sum()).backward();
  auto reference_grads = take_gradients(*cell, leaves(in, true));

  auto weights = split_input_weights(cell->weight_ih, cell->bias_ih, kLeading);
  auto [h, c] = lstm_cell_step(cell, weights, weights.leading_gates(in.x), in.rest, in.h, in.c);
  ((h * readout_h).sum() + (c * readout_c).sum()).backward();
  ASSERT_EQ(h.sizes(), h_ref.sizes());
  ASSERT_EQ(c.sizes(), c_ref.sizes());
  EXPECT_TRUE(torch::allclose(h, h_ref, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(c, c_ref, 1e-12, 1e-12));
  expect_all_close(take_gradients(*cell, leaves(in, true)), reference_grads);
}

TEST(RecurrentCells, LstmStepFromInputGatesIsTorchLstmCell) { check_lstm(kRest); }
TEST(RecurrentCells, LstmStepWithTheWholeInputAheadIsTorchLstmCell) { check_lstm(0); }

TEST(RecurrentCells, LeadingGatesOfManyStepsAreEachStepsGates) {
  // Teacher forcing projects [B, T, X] at once; step t's slice is what the step alone would give.
  torch::manual_seed(3);
  torch::nn::GRUCell cell(kLeading + kRest, kHidden);
  auto weights = split_input_weights(cell->weight_ih, cell->bias_ih, kLeading);
  auto x = torch::randn({kBatch, 4, kLeading});
  auto all = weights.leading_gates(x);
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{kBatch, 4, 3 * kHidden}));
  for (int64_t t = 0; t < 4; ++t) EXPECT_TRUE(torch::allclose(all.select(1, t), weights.leading_gates(x.select(1, t)), 1e-6, 1e-6));
}

TEST(RecurrentCells, RestMustMatchTheSplit) {
  torch::nn::GRUCell cell(kLeading + kRest, kHidden);
  auto weights = split_input_weights(cell->weight_ih, cell->bias_ih, kLeading);
  auto gates = weights.leading_gates(torch::zeros({kBatch, kLeading}));
  EXPECT_THROW(gru_cell_step(cell, weights, gates, torch::Tensor(), torch::zeros({kBatch, kHidden})), c10::Error);
  EXPECT_THROW(split_input_weights(cell->weight_ih, cell->bias_ih, kLeading + kRest + 1), c10::Error);
}

}  // namespace
}  // namespace attnlab
