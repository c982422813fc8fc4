#include "training/optimizers.h"

#include "training/fused_adam.h"

namespace attnlab {

namespace {

struct AdamSpec {
  TORCH_ARG(double, lr) = 1e-3;
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.999;
  TORCH_ARG(double, eps) = 1e-8;
  TORCH_ARG(double, weight_decay) = 0.0;
};
template <class Fields>
void visit_fields(Fields& f, AdamSpec& o) {
  f("lr", o.lr(), greater_than(0.0));
  f("beta1", o.beta1(), in_range(0.0, 1.0));
  f("beta2", o.beta2(), in_range(0.0, 1.0));
  f("eps", o.eps(), greater_than(0.0));
  f("weight_decay", o.weight_decay(), at_least(0.0));
}

struct SgdSpec {
  TORCH_ARG(double, lr) = 0.1;
  TORCH_ARG(double, momentum) = 0.9;
  TORCH_ARG(bool, nesterov) = false;
  TORCH_ARG(double, weight_decay) = 0.0;
};
template <class Fields>
void visit_fields(Fields& f, SgdSpec& o) {
  f("lr", o.lr(), greater_than(0.0));
  f("momentum", o.momentum(), in_range(0.0, 1.0));
  f("nesterov", o.nesterov());
  f("weight_decay", o.weight_decay(), at_least(0.0));
}

using Product = std::unique_ptr<torch::optim::Optimizer>;
using Params = std::vector<torch::Tensor>;

}  // namespace

const OptimizerRegistry& optimizer_registry() {
  static const OptimizerRegistry registry(
      "optimizer",
      {
          options_entry<Product, Params>("adam", "Adam (Kingma & Ba 2015), L2 weight decay added to the gradient",
                                         AdamSpec{}, [](const AdamSpec& o, Params params) -> Product {
                                           return std::make_unique<FusedAdam>(
                                               params, torch::optim::AdamOptions(o.lr())
                                                           .betas({o.beta1(), o.beta2()})
                                                           .eps(o.eps())
                                                           .weight_decay(o.weight_decay()));
                                         }),
          options_entry<Product, Params>("adamw", "AdamW (Loshchilov & Hutter 2019), decoupled weight decay",
                                         AdamSpec().weight_decay(0.01), [](const AdamSpec& o, Params params) -> Product {
                                           return std::make_unique<FusedAdamW>(
                                               params, torch::optim::AdamWOptions(o.lr())
                                                           .betas({o.beta1(), o.beta2()})
                                                           .eps(o.eps())
                                                           .weight_decay(o.weight_decay()));
                                         }),
          options_entry<Product, Params>("sgd", "stochastic gradient descent with (Nesterov) momentum", SgdSpec{},
                                         [](const SgdSpec& o, Params params) -> Product {
                                           return std::make_unique<torch::optim::SGD>(
                                               params, torch::optim::SGDOptions(o.lr())
                                                           .momentum(o.momentum())
                                                           .nesterov(o.nesterov())
                                                           .weight_decay(o.weight_decay()));
                                         }),
      });
  return registry;
}

double base_learning_rate(const json& resolved_optimizer) { return resolved_optimizer.at("lr").get<double>(); }

}  // namespace attnlab
