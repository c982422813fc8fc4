#include "training/train_options.h"

#include <algorithm>

namespace attnlab {

bool higher_is_better(const EarlyStoppingOptions& o) {
  if (o.mode() != "auto") return o.mode() == "max";
  const std::string& m = o.metric();
  return !(m == "loss" || m == "ppl" || m == "perplexity" || m == "aer" || m == "aer_diagonal");
}

void validate_options(const EvalOptions& o, const std::string& pointer) {
  if (!std::is_sorted(o.length_buckets().begin(), o.length_buckets().end()))
    throw ConfigError(pointer_join(pointer, "length_buckets"), "must be in increasing order");
  if (std::find(o.splits().begin(), o.splits().end(), o.report_split()) == o.splits().end())
    throw ConfigError(pointer_join(pointer, "report_split"),
                      "\"" + o.report_split() + "\" is not one of /eval/splits");
}

}  // namespace attnlab
