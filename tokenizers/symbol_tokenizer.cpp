#include "tokenizers/symbol_tokenizer.h"

#include <sstream>

namespace attnlab {

std::vector<int64_t> SymbolTokenizer::encode(const std::string& text) const {
  std::istringstream words(text);
  std::vector<int64_t> ids;
  for (std::string word; words >> word;) {
    int64_t id = kUnk;
    if (word.find_first_not_of("0123456789") == std::string::npos && word.size() < 10) {
      const int64_t symbol = std::stoll(word);
      if (symbol < options_.symbols()) id = kNumSpecialTokens + symbol;
    }
    ids.push_back(id);
  }
  return ids;
}

std::string SymbolTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string text;
  for (int64_t id : ids) {
    if (id < kNumSpecialTokens || id >= vocab_size()) continue;
    text += (text.empty() ? "" : " ") + piece(id);
  }
  return text;
}

std::string SymbolTokenizer::piece(int64_t id) const {
  if (id >= 0 && id < kNumSpecialTokens) return kSpecialTokenNames[id];
  if (id >= kNumSpecialTokens && id < vocab_size()) return std::to_string(id - kNumSpecialTokens);
  return "[UNK]";
}

}  // namespace attnlab
