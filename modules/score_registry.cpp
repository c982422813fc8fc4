#include "modules/score_registry.h"

#include <type_traits>

#include "modules/scores/additive.h"
#include "modules/scores/cosine.h"
#include "modules/scores/dot.h"
#include "modules/scores/location.h"

namespace attnlab {

namespace {

using Product = std::shared_ptr<ScoreImpl>;

template <class Options, class = void>
struct TakesKeyDim : std::false_type {};
template <class Options>
struct TakesKeyDim<Options, std::void_t<decltype(std::declval<Options&>().key_dim(int64_t{}))>> : std::true_type {};

/// An entry for score `Impl`, read from `Options` (starting from `defaults`), built for the dims
/// and heads the attention asks for.
template <class Impl, class Options>
ScoreRegistry::Entry score_entry(const char* name, const char* description, Options defaults) {
  return options_entry<Product, ScoreDims>(name, description, defaults, [](Options o, ScoreDims dims) -> Product {
    o.query_dim(dims.query_dim).heads(dims.heads);
    if constexpr (TakesKeyDim<Options>::value) o.key_dim(dims.key_dim);
    return std::make_shared<Impl>(o);
  });
}

}  // namespace

const ScoreRegistry& score_registry() {
  static const ScoreRegistry registry(
      "score",
      {
          score_entry<DotScoreImpl>("dot", "q^T k (Luong et al. 2015); query and keys of one size",
                                    DotScoreOptions(0, 0)),
          score_entry<DotScoreImpl>("scaled_dot", "q^T k / sqrt(d) (Vaswani et al. 2017)",
                                    DotScoreOptions(0, 0).scaled(true)),
          score_entry<DotScoreImpl>("general", "q^T W k (Luong et al. 2015)", DotScoreOptions(0, 0).bilinear(true)),
          score_entry<AdditiveScoreImpl>("additive", "v^T tanh(W q + U k) (Bahdanau et al. 2014)",
                                         AdditiveScoreOptions(0, 0)),
          score_entry<AdditiveScoreImpl>("concat", "Luong's name for additive: v^T tanh(W [q; k])",
                                         AdditiveScoreOptions(0, 0)),
          score_entry<CosineScoreImpl>("cosine", "s q^T k / (|q| |k|), s learned per head or fixed (Henry et al. 2020)",
                                       CosineScoreOptions(0, 0)),
          score_entry<LocationScoreImpl>(
              "location", "W q: scores from the query alone, one weight row per source position (Luong et al. 2015)",
              LocationScoreOptions(0)),
      });
  return registry;
}

}  // namespace attnlab
