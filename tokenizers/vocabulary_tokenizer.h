#pragma once
// Tokenizers whose pieces are whole units of the text, with a vocabulary counted on training
// text: `word` (whitespace + punctuation split) and `char` (Unicode characters). They share
// the vocabulary (special tokens first, then pieces by falling count, ties in byte order) and
// differ in how text splits into pieces and how pieces join back.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/options.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

struct VocabularyOptions {
  /// Pieces seen fewer times in the training text are [UNK].
  TORCH_ARG(int64_t, min_count) = 1;
  /// At most this many pieces besides the special tokens (the most frequent; 0: no limit).
  TORCH_ARG(int64_t, max_size) = 30000;
};

template <class Fields>
void visit_fields(Fields& f, VocabularyOptions& o) {
  f("min_count", o.min_count(), at_least(1));
  f("max_size", o.max_size(), at_least(0));
}

/// One piece of a text and the whitespace-separated word it belongs to (-1: none).
struct TextPiece {
  std::string text;
  int64_t word;
};

class VocabularyTokenizer : public Tokenizer {
 public:
  /// Counts the pieces of `sentences` (split as this tokenizer splits) and keeps the vocabulary.
  void build(const std::vector<std::string>& sentences, const VocabularyOptions& options);
  /// The pieces after the special tokens, in id order (what save files hold).
  const std::vector<std::string>& learned_pieces() const { return pieces_; }
  void set_learned_pieces(std::vector<std::string> pieces);

  std::vector<int64_t> encode(const std::string& text) const override;
  std::vector<std::string> encode_pieces(const std::string& text) const override;
  std::vector<int64_t> word_of_piece(const std::string& text) const override;
  /// Special tokens are left out.
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::string piece(int64_t id) const override;
  int64_t piece_id(const std::string& piece) const override;
  int64_t vocab_size() const override { return kNumSpecialTokens + static_cast<int64_t>(pieces_.size()); }

 protected:
  virtual std::vector<TextPiece> split(const std::string& text) const = 0;
  virtual std::string join(const std::vector<std::string>& pieces) const = 0;

 private:
  std::vector<std::string> pieces_;
  std::unordered_map<std::string, int64_t> ids_;
};

/// Words: whitespace splits, and every punctuation character is a piece of its own; a piece
/// that continues a whitespace-separated word is marked "##" (as BERT's WordPiece does):
/// "Dios, y" -> "Dios" "##," "y". decode() glues "##" pieces on and puts one space elsewhere,
/// so it gives back the text up to runs of whitespace. A special token's name standing as a
/// word of its own ("the [MASK] of") is that token.
class WordTokenizer : public VocabularyTokenizer {
 protected:
  std::vector<TextPiece> split(const std::string& text) const override;
  std::string join(const std::vector<std::string>& pieces) const override;
};

/// Unicode characters; any whitespace is one " " piece between words.
class CharTokenizer : public VocabularyTokenizer {
 protected:
  std::vector<TextPiece> split(const std::string& text) const override;
  std::string join(const std::vector<std::string>& pieces) const override;
};

/// Whether a code point is punctuation for the word tokenizer: ASCII punctuation, Latin-1's
/// (¡ ¿ « » · …), general punctuation U+2010-U+205E and CJK punctuation U+3001-U+303F.
bool is_punctuation(char32_t c);

}  // namespace attnlab
