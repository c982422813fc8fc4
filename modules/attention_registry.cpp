#include "modules/attention_registry.h"

#include "modules/scoped_attention.h"
#include "modules/scopes/global.h"
#include "modules/scopes/hard.h"
#include "modules/scopes/local.h"
#include "modules/scores/additive.h"

namespace attnlab {

namespace {

using Product = std::shared_ptr<AttentionImpl>;

/// A single-head entry: the spec's score under the scope `make_scope(scope options, dims)` makes.
template <class ScopeOptions, class MakeScope>
AttentionRegistry::Entry single_head_entry(const char* name, const char* description, ScopeOptions scope_defaults,
                                           MakeScope make_scope) {
  SingleHeadOptions<ScopeOptions> defaults{json{{"type", "dot"}}, scope_defaults};
  return options_entry<Product, AttentionDims>(
      name, description, defaults, [make_scope](const SingleHeadOptions<ScopeOptions>& o, AttentionDims dims) -> Product {
        return std::make_shared<ScopedAttentionImpl>(
            score_registry().create(o.score, ScoreDims{dims.query_dim, dims.key_dim}),
            make_scope(o.scope, ScopeDims{dims.query_dim}));
      });
}

std::shared_ptr<ScopeImpl> make_local(LocalScopeOptions o, ScopeDims dims) {
  return std::make_shared<LocalScopeImpl>(o.query_dim(dims.query_dim));
}

}  // namespace

const AttentionRegistry& attention_registry() {
  static const AttentionRegistry registry(
      "attention",
      {
          options_entry<Product, AttentionDims>(
              "none", "no attention: the decoder sees one fixed context, the encoder's final state",
              NoOptions{}, [](const NoOptions&, AttentionDims) { return Product(); }),
          options_entry<Product, AttentionDims>(
              "bahdanau", "global attention with the additive score v^T tanh(W q + U k) (Bahdanau et al. 2014)",
              AdditiveScoreOptions(0, 0), [](AdditiveScoreOptions o, AttentionDims dims) -> Product {
                o.query_dim(dims.query_dim).key_dim(dims.key_dim);
                return std::make_shared<ScopedAttentionImpl>(std::make_shared<AdditiveScoreImpl>(o),
                                                             std::make_shared<GlobalScopeImpl>());
              }),
          single_head_entry("global", "a score, softmax over every source position (Luong et al. 2015)", NoOptions{},
                            [](const NoOptions&, ScopeDims) -> std::shared_ptr<ScopeImpl> {
                              return std::make_shared<GlobalScopeImpl>();
                            }),
          single_head_entry("local_m", "a score over the 2D+1 positions around the step t (Luong et al. 2015)",
                            LocalScopeOptions(0, false), make_local),
          single_head_entry("local_p",
                            "a score over the 2D+1 positions around a predicted p_t, Gaussian-weighted "
                            "(Luong et al. 2015)",
                            LocalScopeOptions(0, true), make_local),
          single_head_entry("hard",
                            "one position, sampled (reinforce / gumbel_st) in training, argmax in evaluation "
                            "(Xu et al. 2015)",
                            HardScopeOptions{}, [](const HardScopeOptions& o, ScopeDims) -> std::shared_ptr<ScopeImpl> {
                              return std::make_shared<HardScopeImpl>(o);
                            }),
          options_entry<Product, AttentionDims>(
              "multi_head",
              "H heads of any score and scope over projected q, k, v, joined by an output projection "
              "(Vaswani et al. 2017)",
              MultiHeadSpec{}, [](MultiHeadSpec spec, AttentionDims dims) -> Product {
                spec.heads.query_dim(dims.query_dim).key_dim(dims.key_dim);
                check_head_split(dims.query_dim, spec.heads.heads());
                const int64_t head_dims = dims.query_dim / spec.heads.heads();
                return std::make_shared<MultiHeadAttentionImpl>(
                    spec.heads, score_registry().create(spec.score, ScoreDims{head_dims, head_dims}),
                    scope_registry().create(spec.scope, ScopeDims{head_dims}));
              }),
      });
  return registry;
}

}  // namespace attnlab
