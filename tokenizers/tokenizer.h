#pragma once
// The Tokenizer interface: text <-> ids, with the special tokens at their fixed ids.

#include <cstdint>
#include <string>
#include <vector>

#include "core/special_tokens.h"

namespace attnlab {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  /// The pieces encode() gives, as text (SentencePiece's "▁word" form for SentencePiece).
  virtual std::vector<std::string> encode_pieces(const std::string& text) const {
    std::vector<std::string> pieces;
    for (int64_t id : encode(text)) pieces.push_back(piece(id));
    return pieces;
  }
  /// For each piece of encode(text), the index of the whitespace-separated word of `text` it
  /// comes from (-1 for a piece of no word). By default a piece is a word.
  virtual std::vector<int64_t> word_of_piece(const std::string& text) const {
    std::vector<int64_t> words(encode(text).size());
    for (size_t i = 0; i < words.size(); ++i) words[i] = static_cast<int64_t>(i);
    return words;
  }
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  /// The text of one id (special tokens by their names).
  virtual std::string piece(int64_t id) const = 0;
  /// The id of a piece's text (piece() inverted); kUnk for a piece not in the vocabulary.
  virtual int64_t piece_id(const std::string& piece) const = 0;
  virtual int64_t vocab_size() const = 0;
};

}  // namespace attnlab
