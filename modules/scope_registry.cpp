#include "modules/scope_registry.h"

#include "modules/scopes/global.h"
#include "modules/scopes/hard.h"
#include "modules/scopes/local.h"

namespace attnlab {

namespace {
using Product = std::shared_ptr<ScopeImpl>;

ScopeRegistry::Entry local_entry(const char* name, const char* description, bool predictive) {
  return options_entry<Product, ScopeDims>(name, description, LocalScopeOptions(0, predictive),
                                           [](LocalScopeOptions o, ScopeDims dims) -> Product {
                                             return std::make_shared<LocalScopeImpl>(
                                                 o.query_dim(dims.query_dim).heads(dims.heads));
                                           });
}
}  // namespace

const ScopeRegistry& scope_registry() {
  static const ScopeRegistry registry(
      "scope",
      {
          options_entry<Product, ScopeDims>("global", "softmax over every unmasked key", NoOptions{},
                                            [](const NoOptions&, ScopeDims) -> Product {
                                              return std::make_shared<GlobalScopeImpl>();
                                            }),
          local_entry("local_m",
                      "only the 2D+1 keys around the query's own position t, D = \"window\" (a half-width) "
                      "(Luong et al. 2015)",
                      false),
          local_entry("local_p",
                      "only the 2D+1 keys around a predicted position p = S sigmoid(v^T tanh(W h)), "
                      "Gaussian-weighted, sigma = D/2, D = \"window\" (a half-width) (Luong et al. 2015)",
                      true),
          options_entry<Product, ScopeDims>(
              "hard", "one key: sampled in training (reinforce or gumbel_st), argmax in evaluation (Xu et al. 2015)",
              HardScopeOptions{},
              [](const HardScopeOptions& o, ScopeDims) -> Product { return std::make_shared<HardScopeImpl>(o); }),
      });
  return registry;
}

}  // namespace attnlab
