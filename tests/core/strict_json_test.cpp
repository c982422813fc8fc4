// The strict JSON reader: what nlohmann accepts silently or reports without a place is refused
// with the pointer where it happened; everything else parses as nlohmann parses it.
#include <gtest/gtest.h>

#include "core/strict_json.h"

namespace attnlab {
namespace {

/// "POINTER: MESSAGE" of the ConfigError parse_strict_json throws, or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse_strict_json(text);
  } catch (const ConfigError& e) {
    return e.pointer() + ": " + e.message();
  }
  return "";
}

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(StrictJson, ParsesWhatNlohmannParses) {
  const std::string text = R"({"b": [1, -2, 3.5, {"c": null, "d": [true, "x"]}], "a": {"e": 18446744073709551615}})";
  const json parsed = parse_strict_json(text);
  EXPECT_EQ(parsed, json::parse(text));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed.begin().key(), "b");  // the order written is kept
  EXPECT_EQ(parse_strict_json("7"), json(7));
}

TEST(StrictJson, RefusesARepeatedKeyWithItsPointer) {
  EXPECT_EQ(error_of(R"({"a": 1, "a": 2})"), "/a: key repeated in one object");
  EXPECT_EQ(error_of(R"({"m": {"x": 1}, "v": [0, {"k": 1, "y": 2, "k": 3}]})"), "/v/1/k: key repeated in one object");
  EXPECT_EQ(error_of(R"({"a/b~": [{"q": 1, "q": 1}]})"), "/a~1b~0/0/q: key repeated in one object");
  // The same key in two objects is fine.
  EXPECT_EQ(error_of(R"({"a": {"x": 1}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 2}]})"), "");
}

TEST(StrictJson, LimitsTheNestingDepth) {
  EXPECT_EQ(error_of(nested_arrays(kMaxJsonDepth)), "");
  const std::string too_deep = error_of(nested_arrays(kMaxJsonDepth + 1));
  EXPECT_EQ(too_deep.substr(too_deep.find(": ")), ": nested deeper than 64 levels");
  EXPECT_EQ(too_deep.find("/0/0/"), 0u);
  // 100k levels (once a stack overflow): refused at level 65, before any recursion.
  const std::string deep = "{\"a\": " + nested_arrays(100000) + "}";
  const std::string error = error_of(deep);
  ASSERT_FALSE(error.empty());
  EXPECT_EQ(error.rfind("/a/0/0", 0), 0u) << error.substr(0, 80);
  EXPECT_NE(error.find("nested deeper than 64 levels"), std::string::npos);
}

TEST(StrictJson, RefusesNumbersBeyondADoubleWithTheirPointer) {
  EXPECT_EQ(error_of(R"({"train": {"lr": 1e400}})"), "/train/lr: number overflow parsing '1e400'");
  EXPECT_EQ(error_of(R"({"x": [1, 2, -1e999]})"), "/x/2: number overflow parsing '-1e999'");
  EXPECT_EQ(error_of(R"({"x": [[1], 1e308]})"), "");
}

TEST(StrictJson, SyntaxErrorsKeepTheirPlaceWithoutTheExceptionTag) {
  try {
    parse_strict_json("{\"a\": 1,\n \"b\": }");
    FAIL() << "parsed";
  } catch (const JsonSyntaxError& e) {
    EXPECT_EQ(e.pointer(), "");
    EXPECT_EQ(std::string(e.message()).find("[json.exception"), std::string::npos) << e.message();
    EXPECT_NE(std::string(e.message()).find("line 2, column"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace attnlab
