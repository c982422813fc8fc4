#include "tokenizers/tokenizer_registry.h"

#include "tokenizers/symbol_tokenizer.h"

namespace attnlab {

const TokenizerRegistry& tokenizer_registry() {
  using Product = std::shared_ptr<Tokenizer>;
  static const TokenizerRegistry registry(
      "tokenizer", {
                       options_entry<Product>("symbols",
                                              "synthetic-task symbols written as numbers 0..N-1, space separated",
                                              SymbolTokenizerOptions{}, [](const SymbolTokenizerOptions& o) {
                                                return std::make_shared<SymbolTokenizer>(o);
                                              }),
                   });
  return registry;
}

}  // namespace attnlab
