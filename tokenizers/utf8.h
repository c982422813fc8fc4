#pragma once
// UTF-8 <-> code points, and whitespace as Python's str.split() sees it (what sacreBLEU and
// most tokenizers of the field split on).

#include <string>

namespace attnlab {

/// Decodes UTF-8; an invalid byte becomes U+FFFD (one per byte), as a lenient reader does.
std::u32string utf8_to_code_points(const std::string& text);
std::string code_points_to_utf8(const std::u32string& text);

/// Whether `text` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF);
/// if not and `bad_offset` is given, it receives the offset of the first invalid byte.
bool is_valid_utf8(const std::string& text, size_t* bad_offset = nullptr);

/// Python's str.isspace(): ASCII whitespace, U+001C-U+001F, U+0085, U+00A0, U+1680,
/// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_unicode_space(char32_t c);

}  // namespace attnlab
