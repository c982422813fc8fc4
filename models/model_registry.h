#pragma once
// The model family.

#include <memory>

#include "core/registry.h"

namespace attnlab {

/// What the data tells a model it builds.
struct ModelDims {
  int64_t source_vocab;
  int64_t target_vocab;
  int64_t classes = 0;  // classification models: number of classes
};

using ModelRegistry = Registry<std::shared_ptr<torch::nn::Module>, ModelDims>;
const ModelRegistry& model_registry();

}  // namespace attnlab
