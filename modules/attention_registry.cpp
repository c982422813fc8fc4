#include "modules/attention_registry.h"

#include "modules/scoped_attention.h"

namespace attnlab {

namespace {

using Product = std::shared_ptr<AttentionImpl>;

/// The score a single-head attention uses when its spec names none.
const json kDefaultScore = json{{"type", "dot"}};

/// Options a single-head attention reads itself: its score. Its scope reads the rest.
struct ScoreChoice {
  /// A score from the score registry ("dot", "general", {"type": "additive", "hidden": 64}, ...).
  json score = kDefaultScore;
};
template <class Fields>
void visit_fields(Fields& f, ScoreChoice& o) {
  f.nested("score", o.score, score_registry());
}

/// The single-head attention of a scope: {"type": <scope>, "score": <score spec>, <scope options>}.
/// Generated from the scope's own entry, so a scope is registered once, in the scope registry.
AttentionRegistry::Entry single_head_entry(const ScopeRegistry::Entry& scope) {
  const std::vector<std::string> score_key = {"score"};
  auto resolve = [scope, score_key](const json& spec, const std::string& pointer, const std::vector<std::string>&) {
    ScoreChoice choice;
    json score_part = json::object();
    if (spec.contains("score")) score_part["score"] = spec.at("score");
    read_options(score_part, pointer, choice);
    // "score" first, then the scope's options: the order resolved configs (and run identities) had.
    json resolved = {{"score", choice.score}};
    resolved.update(scope.resolve(spec, pointer, score_key));  // the scope's options, "score" left to us
    return resolved;
  };
  auto create = [scope, score_key](const json& resolved, const std::vector<std::string>&,
                                   AttentionDims dims) -> Product {
    return std::make_shared<ScopedAttentionImpl>(
        score_registry().create(resolved.value("score", kDefaultScore), ScoreDims{dims.query_dim, dims.key_dim}),
        scope.create(resolved, score_key, ScopeDims{dims.query_dim}));
  };
  return {scope.name, "one head: " + scope.description + "; \"score\": any score (default dot)", resolve, create};
}

/// A name from the literature for one scope with one score, whose options sit beside the type:
/// {"type": "bahdanau", "hidden": 64} is the global scope over the additive score with hidden 64.
AttentionRegistry::Entry alias_entry(const std::string& name, const std::string& description,
                                     const std::string& scope_name, const std::string& score_name) {
  const auto& scope = scope_registry().entry_for(scope_name, "");
  const auto& score = score_registry().entry_for(score_name, "");
  auto resolve = [score](const json& spec, const std::string& pointer, const std::vector<std::string>&) {
    return score.resolve(spec, pointer, {});  // the score's options; the scope takes its defaults
  };
  auto create = [scope, score](const json& resolved, const std::vector<std::string>&, AttentionDims dims) -> Product {
    return std::make_shared<ScopedAttentionImpl>(score.create(resolved, {}, ScoreDims{dims.query_dim, dims.key_dim}),
                                                 scope.create(json::object(), {}, ScopeDims{dims.query_dim}));
  };
  return {name, description + " = " + scope_name + " scope, " + score_name + " score (its options beside the type)",
          resolve, create};
}

}  // namespace

const AttentionRegistry& attention_registry() {
  static const AttentionRegistry registry = [] {
    std::vector<AttentionRegistry::Entry> entries = {
        options_entry<Product, AttentionDims>(
            "none", "no attention: the decoder sees one fixed context, the encoder's final state", NoOptions{},
            [](const NoOptions&, AttentionDims) { return Product(); }),
        alias_entry("bahdanau", "Bahdanau et al. 2014", "global", "additive"),
    };
    for (const auto& scope : scope_registry().entries()) entries.push_back(single_head_entry(scope));
    entries.push_back(options_entry<Product, AttentionDims>(
        "multi_head",
        "H heads of any score and scope over projected q, k, v, joined by an output projection; each head has its "
        "own score and scope parameters (Vaswani et al. 2017)",
        MultiHeadSpec{}, [](MultiHeadSpec spec, AttentionDims dims) -> Product {
          spec.heads.query_dim(dims.query_dim).key_dim(dims.key_dim);
          check_head_split(dims.query_dim, spec.heads.heads());
          const int64_t H = spec.heads.heads(), head_dims = dims.query_dim / H;
          return std::make_shared<MultiHeadAttentionImpl>(
              spec.heads, score_registry().create(spec.score, ScoreDims{head_dims, head_dims, H}),
              scope_registry().create(spec.scope, ScopeDims{head_dims, H}));
        }));
    return AttentionRegistry("attention", std::move(entries));
  }();
  return registry;
}

}  // namespace attnlab
