#include "modules/score_registry.h"

#include "modules/scores/additive.h"
#include "modules/scores/dot.h"
#include "modules/scores/location.h"

namespace attnlab {

namespace {

using Product = std::shared_ptr<ScoreImpl>;

ScoreRegistry::Entry dot_entry(const char* name, const char* description, bool scaled, bool bilinear) {
  return options_entry<Product, ScoreDims>(name, description, DotScoreOptions(0, 0),
                                           [scaled, bilinear](DotScoreOptions o, ScoreDims dims) -> Product {
                                             o.query_dim(dims.query_dim).key_dim(dims.key_dim);
                                             return std::make_shared<DotScoreImpl>(o.scaled(scaled).bilinear(bilinear));
                                           });
}

ScoreRegistry::Entry additive_entry(const char* name, const char* description) {
  return options_entry<Product, ScoreDims>(name, description, AdditiveScoreOptions(0, 0),
                                           [](AdditiveScoreOptions o, ScoreDims dims) -> Product {
                                             o.query_dim(dims.query_dim).key_dim(dims.key_dim);
                                             return std::make_shared<AdditiveScoreImpl>(o);
                                           });
}

}  // namespace

const ScoreRegistry& score_registry() {
  static const ScoreRegistry registry(
      "score",
      {
          dot_entry("dot", "q^T k (Luong et al. 2015); query and keys of one size", false, false),
          dot_entry("scaled_dot", "q^T k / sqrt(d) (Vaswani et al. 2017)", true, false),
          dot_entry("general", "q^T W k (Luong et al. 2015)", false, true),
          additive_entry("additive", "v^T tanh(W q + U k) (Bahdanau et al. 2014)"),
          additive_entry("concat", "Luong's name for additive: v^T tanh(W [q; k])"),
          options_entry<Product, ScoreDims>(
              "location", "W q: scores from the query alone, one weight row per source position (Luong et al. 2015)",
              LocationScoreOptions(0), [](LocationScoreOptions o, ScoreDims dims) -> Product {
                return std::make_shared<LocationScoreImpl>(o.query_dim(dims.query_dim));
              }),
      });
  return registry;
}

}  // namespace attnlab
