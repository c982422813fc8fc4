// The one-pass Adam and AdamW against LibTorch's own, from the same parameters and gradients:
// every option (L2 or decoupled weight decay, amsgrad) over several steps, a parameter without a
// gradient, and a state saved by one and loaded by the other.

#include <gtest/gtest.h>

#include <sstream>

#include "training/fused_adam.h"

namespace attnlab {
namespace {

/// Parameters of a few shapes (one big enough to be split over threads).
std::vector<torch::Tensor> make_params() {
  torch::manual_seed(1);
  return {torch::randn({40000}).requires_grad_(), torch::randn({7, 5}).requires_grad_(), torch::randn({3}).requires_grad_()};
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

/// The same random gradient on both sets (the last parameter gets none at odd steps).
void set_gradients(std::vector<torch::Tensor>& a, std::vector<torch::Tensor>& b, int step) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (i + 1 == a.size() && step % 2 == 1) {
      a[i].mutable_grad() = torch::Tensor();
      b[i].mutable_grad() = torch::Tensor();
      continue;
    }
    auto g = torch::randn_like(a[i]);
    a[i].mutable_grad() = g.clone();
    b[i].mutable_grad() = g.clone();
  }
}

void expect_same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].sizes(), b[i].sizes());
    EXPECT_TRUE(torch::allclose(a[i], b[i], 0, 1e-6)) << what << ": parameter " << i << " differs by "
                                                      << (a[i] - b[i]).abs().max().item<double>();
  }
}

template <class Ours, class Theirs, class Options>
void compare(const Options& options, const std::string& what) {
  auto ours_params = make_params();
  auto theirs_params = copies(ours_params);
  Ours ours(ours_params, options);
  Theirs theirs(theirs_params, options);
  for (int step = 0; step < 6; ++step) {
    set_gradients(ours_params, theirs_params, step);
    ours.step();
    theirs.step();
  }
  expect_same(ours_params, theirs_params, what);
  // The parameters moved: the comparison is not between two unchanged copies.
  EXPECT_FALSE(torch::allclose(ours_params[0], make_params()[0])) << what;
}

TEST(FusedAdam, EqualsLibTorchsAdamForEveryOption) {
  using torch::optim::AdamOptions;
  compare<FusedAdam, torch::optim::Adam>(AdamOptions(1e-2), "adam");
  compare<FusedAdam, torch::optim::Adam>(AdamOptions(1e-2).weight_decay(0.05).betas({0.8, 0.99}).eps(1e-6), "adam, L2");
  compare<FusedAdam, torch::optim::Adam>(AdamOptions(1e-2).amsgrad(true), "adam, amsgrad");
}

TEST(FusedAdam, EqualsLibTorchsAdamWForEveryOption) {
  using torch::optim::AdamWOptions;
  compare<FusedAdamW, torch::optim::AdamW>(AdamWOptions(1e-2), "adamw");
  compare<FusedAdamW, torch::optim::AdamW>(AdamWOptions(1e-2).weight_decay(0.1).amsgrad(true), "adamw, amsgrad");
}

TEST(FusedAdam, StateSavedByLibTorchsAdamContinuesInOurs) {
  auto ours_params = make_params();
  auto theirs_params = copies(ours_params);
  const auto options = torch::optim::AdamOptions(1e-2);
  torch::optim::Adam first(theirs_params, options);
  for (int step = 0; step < 3; ++step) {
    set_gradients(ours_params, theirs_params, step);
    first.step();
  }
  std::stringstream saved;
  {
    torch::serialize::OutputArchive archive;
    first.save(archive);
    archive.save_to(saved);
  }
  for (size_t i = 0; i < ours_params.size(); ++i) ours_params[i].detach().copy_(theirs_params[i].detach());
  FusedAdam resumed(ours_params, options);
  torch::serialize::InputArchive archive;
  archive.load_from(saved);
  resumed.load(archive);
  for (int step = 3; step < 6; ++step) {
    set_gradients(ours_params, theirs_params, step);
    resumed.step();
    first.step();
  }
  expect_same(ours_params, theirs_params, "resumed");
}

}  // namespace
}  // namespace attnlab
