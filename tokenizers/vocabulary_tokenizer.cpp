#include "tokenizers/vocabulary_tokenizer.h"

#include <algorithm>

#include "tokenizers/utf8.h"

namespace attnlab {

bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                       (c >= 0x7B && c <= 0x7E);
  return c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 || c == 0xBB || c == 0xBF ||
         (c >= 0x2010 && c <= 0x205E) || (c >= 0x3001 && c <= 0x303F);
}

void VocabularyTokenizer::build(const std::vector<std::string>& sentences, const VocabularyOptions& options) {
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& sentence : sentences)
    for (const auto& p : split(sentence)) ++counts[p.text];
  std::vector<std::pair<std::string, int64_t>> ranked;
  for (auto& [text, count] : counts)
    if (count >= options.min_count()) ranked.emplace_back(text, count);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (options.max_size() > 0 && static_cast<int64_t>(ranked.size()) > options.max_size())
    ranked.resize(static_cast<size_t>(options.max_size()));
  std::vector<std::string> pieces;
  for (auto& entry : ranked) pieces.push_back(std::move(entry.first));
  set_learned_pieces(std::move(pieces));
}

void VocabularyTokenizer::set_learned_pieces(std::vector<std::string> pieces) {
  pieces_ = std::move(pieces);
  ids_.clear();
  for (int64_t id = 0; id < kNumSpecialTokens; ++id) ids_[kSpecialTokenNames[id]] = id;
  for (size_t i = 0; i < pieces_.size(); ++i) ids_.emplace(pieces_[i], kNumSpecialTokens + static_cast<int64_t>(i));
}

std::vector<int64_t> VocabularyTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const auto& p : split(text)) ids.push_back(piece_id(p.text));
  return ids;
}

std::vector<std::string> VocabularyTokenizer::encode_pieces(const std::string& text) const {
  std::vector<std::string> pieces;  // as encode() sees them: unknown ones are [UNK]
  for (auto& p : split(text)) pieces.push_back(ids_.count(p.text) ? std::move(p.text) : kSpecialTokenNames[kUnk]);
  return pieces;
}

std::vector<int64_t> VocabularyTokenizer::word_of_piece(const std::string& text) const {
  std::vector<int64_t> words;
  for (const auto& p : split(text)) words.push_back(p.word);
  return words;
}

std::string VocabularyTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> pieces;
  for (int64_t id : ids)
    if (id >= kNumSpecialTokens && id < vocab_size()) pieces.push_back(pieces_[static_cast<size_t>(id - kNumSpecialTokens)]);
  return join(pieces);
}

std::string VocabularyTokenizer::piece(int64_t id) const {
  if (id >= 0 && id < kNumSpecialTokens) return kSpecialTokenNames[id];
  if (id >= kNumSpecialTokens && id < vocab_size()) return pieces_[static_cast<size_t>(id - kNumSpecialTokens)];
  return kSpecialTokenNames[kUnk];
}

int64_t VocabularyTokenizer::piece_id(const std::string& piece) const {
  auto found = ids_.find(piece);
  return found == ids_.end() ? kUnk : found->second;
}

namespace {
/// The special token name ("[MASK]") that starts at points[i] and ends at whitespace or the
/// end of the text, or "".
std::u32string special_token_word_at(const std::u32string& points, size_t i) {
  if (points[i] != U'[') return {};
  for (const auto& name : kSpecialTokenNames) {
    const std::u32string n = utf8_to_code_points(name);
    if (points.compare(i, n.size(), n) == 0 && (i + n.size() == points.size() || is_unicode_space(points[i + n.size()])))
      return n;
  }
  return {};
}
}  // namespace

std::vector<TextPiece> WordTokenizer::split(const std::string& text) const {
  std::vector<TextPiece> pieces;
  std::u32string current;
  int64_t word = -1;
  bool in_word = false;
  auto add = [&](const std::u32string& text) {  // "##" on every piece after a word's first
    const bool continues = !pieces.empty() && pieces.back().word == word;
    pieces.push_back({(continues ? "##" : "") + code_points_to_utf8(text), word});
  };
  auto flush = [&] {
    if (!current.empty()) add(current);
    current.clear();
  };
  const std::u32string points = utf8_to_code_points(text);
  for (size_t i = 0; i < points.size(); ++i) {
    const char32_t c = points[i];
    if (is_unicode_space(c)) {
      flush();
      in_word = false;
      continue;
    }
    if (!in_word) {
      // A special token's name written as a word of its own ("the [MASK] of") is that token.
      if (const auto name = special_token_word_at(points, i); !name.empty()) {
        pieces.push_back({code_points_to_utf8(name), ++word});
        i += name.size() - 1;
        continue;
      }
      ++word, in_word = true;
    }
    if (is_punctuation(c)) {
      flush();
      add(std::u32string(1, c));
    } else {
      current.push_back(c);
    }
  }
  flush();
  return pieces;
}

std::string WordTokenizer::join(const std::vector<std::string>& pieces) const {
  std::string text;
  for (const auto& p : pieces) {
    if (p.rfind("##", 0) == 0 && !text.empty()) {
      text += p.substr(2);
    } else {
      if (!text.empty()) text += ' ';
      text += p.rfind("##", 0) == 0 ? p.substr(2) : p;
    }
  }
  return text;
}

std::vector<TextPiece> CharTokenizer::split(const std::string& text) const {
  std::vector<TextPiece> pieces;
  int64_t word = -1;
  bool in_word = false, pending_space = false;
  for (char32_t c : utf8_to_code_points(text)) {
    if (is_unicode_space(c)) {
      if (in_word) pending_space = true;  // one space piece, and only between words
      in_word = false;
      continue;
    }
    if (!in_word) {
      if (pending_space) pieces.push_back({" ", -1});
      ++word, in_word = true, pending_space = false;
    }
    pieces.push_back({code_points_to_utf8(std::u32string(1, c)), word});
  }
  return pieces;
}

std::string CharTokenizer::join(const std::vector<std::string>& pieces) const {
  std::string text;
  for (const auto& p : pieces) text += p;
  return text;
}

}  // namespace attnlab
