#include <gtest/gtest.h>

#include "tokenizers/utf8.h"

namespace attnlab {
namespace {

TEST(Utf8, RoundTripsEveryEncodedLength) {
  const std::string text = "a\u00e9\u00f1 \u65e5\u672c \U0001F600";
  const auto code_points = utf8_to_code_points(text);
  EXPECT_EQ(code_points, (std::u32string{U'a', 0xE9, 0xF1, U' ', 0x65E5, 0x672C, U' ', 0x1F600}));
  EXPECT_EQ(code_points_to_utf8(code_points), text);
  EXPECT_TRUE(is_valid_utf8(text));
}

TEST(Utf8, InvalidBytesAreFoundAndReplaced) {
  size_t offset = 0;
  EXPECT_FALSE(is_valid_utf8("ok\xff" "x", &offset));
  EXPECT_EQ(offset, 2u);
  EXPECT_FALSE(is_valid_utf8("\xc3", &offset));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf", &offset));      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80", &offset));  // a surrogate
  EXPECT_EQ(utf8_to_code_points("a\xff" "b"), (std::u32string{U'a', 0xFFFD, U'b'}));
}

TEST(Utf8, WhitespaceIsPythons) {
  for (char32_t c : {U' ', U'\t', U'\n', char32_t{0x1F}, char32_t{0xA0}, char32_t{0x2009}, char32_t{0x3000}})
    EXPECT_TRUE(is_unicode_space(c)) << static_cast<uint32_t>(c);
  for (char32_t c : {U'a', char32_t{0x200B}, char32_t{0xFEFF}}) EXPECT_FALSE(is_unicode_space(c)) << static_cast<uint32_t>(c);
}

}  // namespace
}  // namespace attnlab
