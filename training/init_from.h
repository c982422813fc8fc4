#pragma once
// Starting a model from a trained run (fine-tuning): the parameters and buffers of one part of
// the model, e.g. BERT's "encoder", copied from the run's best checkpoint; everything else
// (the new head) keeps its fresh initialisation.

#include <string>

#include <torch/torch.h>

#include "core/options.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

struct InitOptions {
  /// A trained run directory (OUT/EXPERIMENT/VARIANT/seed-N) whose weights start this run; "" = none.
  TORCH_ARG(std::string, from) = "";
  /// The part copied: "encoder" (every parameter and buffer under encoder.).
  TORCH_ARG(std::string, part) = "encoder";
};

template <class Fields>
void visit_fields(Fields& f, InitOptions& o) {
  f("from", o.from());
  f("part", o.part(), one_of({"encoder"}));
}

/// Copies `init.part` of the run `init.from` into `model`, where the names and shapes must
/// match one for one, and checks that `tokenizer` (the new data's) has the run's vocabulary,
/// piece for piece. Throws ConfigError at /init/from naming the run and the first missing or
/// mismatching tensor with both shapes (or the first differing piece). Returns the number of
/// tensors copied.
int64_t init_from_run(torch::nn::Module& model, const Tokenizer& tokenizer, const InitOptions& init);

}  // namespace attnlab
