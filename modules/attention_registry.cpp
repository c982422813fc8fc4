#include "modules/attention_registry.h"

#include "modules/score_registry.h"
#include "modules/scored_attention.h"
#include "modules/scores/additive.h"

namespace attnlab {

const AttentionRegistry& attention_registry() {
  using Product = std::shared_ptr<AttentionImpl>;
  static const AttentionRegistry registry(
      "attention",
      {
          options_entry<Product, AttentionDims>(
              "none", "no attention: the decoder sees one fixed context, the encoder's final state",
              NoOptions{}, [](const NoOptions&, AttentionDims) { return Product(); }),
          options_entry<Product, AttentionDims>(
              "global", "softmax over every source position of a score from the score registry (Luong et al. 2015)",
              GlobalAttentionOptions{}, [](const GlobalAttentionOptions& o, AttentionDims dims) -> Product {
                return std::make_shared<ScoredAttentionImpl>(
                    score_registry().create(o.score(), ScoreDims{dims.query_dim, dims.key_dim}));
              }),
          options_entry<Product, AttentionDims>(
              "bahdanau", "global attention with the additive score v^T tanh(W q + U k) (Bahdanau et al. 2014)",
              AdditiveScoreOptions(0, 0), [](AdditiveScoreOptions o, AttentionDims dims) -> Product {
                o.query_dim(dims.query_dim).key_dim(dims.key_dim);
                return std::make_shared<ScoredAttentionImpl>(std::make_shared<AdditiveScoreImpl>(o));
              }),
      });
  return registry;
}

}  // namespace attnlab
