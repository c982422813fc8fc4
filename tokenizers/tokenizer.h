#pragma once
// The Tokenizer interface: text <-> ids, with the special tokens at their fixed ids.

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizers/special_tokens.h"

namespace attnlab {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  /// The text of one id (special tokens by their names).
  virtual std::string piece(int64_t id) const = 0;
  virtual int64_t vocab_size() const = 0;
};

}  // namespace attnlab
