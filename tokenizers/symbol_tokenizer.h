#pragma once
// The vocabulary of the synthetic tasks: N symbols written as the numbers 0..N-1,
// separated by spaces ("3 1 4"), at ids kNumSpecialTokens..kNumSpecialTokens+N-1.

#include <memory>

#include "core/options.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

struct SymbolTokenizerOptions {
  /// Number of symbols.
  TORCH_ARG(int64_t, symbols) = 10;
};

template <class Fields>
void visit_fields(Fields& f, SymbolTokenizerOptions& o) {
  f("symbols", o.symbols(), at_least(1));
}

class SymbolTokenizer : public Tokenizer {
 public:
  explicit SymbolTokenizer(SymbolTokenizerOptions options) : options_(options) {}
  /// Unknown words (not a number in range) become [UNK].
  std::vector<int64_t> encode(const std::string& text) const override;
  /// Special tokens are left out, as a detokenizer would.
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::string piece(int64_t id) const override;
  int64_t piece_id(const std::string& piece) const override;
  int64_t vocab_size() const override { return kNumSpecialTokens + options_.symbols(); }

 private:
  SymbolTokenizerOptions options_;
};

}  // namespace attnlab
