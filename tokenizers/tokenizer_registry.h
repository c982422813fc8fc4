#pragma once
// The tokenizer family.

#include <memory>

#include "modules/registry.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

using TokenizerRegistry = Registry<std::shared_ptr<Tokenizer>>;
const TokenizerRegistry& tokenizer_registry();

}  // namespace attnlab
