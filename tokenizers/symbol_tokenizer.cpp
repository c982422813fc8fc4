#include "tokenizers/symbol_tokenizer.h"

#include <sstream>

namespace attnlab {

std::vector<int64_t> SymbolTokenizer::encode(const std::string& text) const {
  std::istringstream words(text);
  std::vector<int64_t> ids;
  for (std::string word; words >> word;) ids.push_back(piece_id(word));
  return ids;
}

int64_t SymbolTokenizer::piece_id(const std::string& piece) const {
  for (int64_t id = 0; id < kNumSpecialTokens; ++id)
    if (piece == kSpecialTokenNames[id]) return id;
  if (piece.empty() || piece.find_first_not_of("0123456789") != std::string::npos || piece.size() >= 10) return kUnk;
  const int64_t symbol = std::stoll(piece);
  return symbol < options_.symbols() ? kNumSpecialTokens + symbol : kUnk;
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
