// Strict reading of options: every error class names the JSON pointer of the field.

#include <gtest/gtest.h>

#include "core/options.h"
#include "modules/attention_registry.h"

namespace attnlab {
namespace {

struct ToyOptions {
  TORCH_ARG(int64_t, window) = 3;
  TORCH_ARG(double, rate) = 0.5;
  TORCH_ARG(std::string, cell) = "gru";
  TORCH_ARG(std::vector<int64_t>, lengths) = std::vector<int64_t>{1, 2};
};
template <class Fields>
void visit_fields(Fields& f, ToyOptions& o) {
  f("window", o.window(), at_least(1));
  f("rate", o.rate(), in_range(0.0, 1.0));
  f("cell", o.cell(), one_of({"gru", "lstm"}));
  f("lengths", o.lengths(), each_at_least(1, 2));
}

std::string error_of(const json& j) {
  ToyOptions o;
  try {
    read_options(j, "/model", o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Options, DefaultsStayWhenKeysAreAbsent) {
  ToyOptions o;
  read_options(json::object(), "/model", o);
  EXPECT_EQ(o.window(), 3);
  EXPECT_EQ(o.cell(), "gru");
  EXPECT_EQ(write_options(o), json::parse(R"({"window": 3, "rate": 0.5, "cell": "gru", "lengths": [1, 2]})"));
}

TEST(Options, ReadsGivenValues) {
  ToyOptions o;
  read_options(json::parse(R"({"window": 7, "rate": 1, "cell": "lstm", "lengths": [4, 9]})"), "/model", o);
  EXPECT_EQ(o.window(), 7);
  EXPECT_DOUBLE_EQ(o.rate(), 1.0);  // an integer is a fine number
  EXPECT_EQ(o.cell(), "lstm");
  EXPECT_EQ(o.lengths(), (std::vector<int64_t>{4, 9}));
}

TEST(Options, UnknownKeyNamesItAndTheKnownOnes) {
  EXPECT_EQ(error_of(json::parse(R"({"windw": 2})")), "/model/windw: unknown key; known: window, rate, cell, lengths");
}

TEST(Options, WrongTypeNamesExpectedAndActual) {
  EXPECT_EQ(error_of(json::parse(R"({"window": "2"})")), "/model/window: expected an integer, got a string \"2\"");
  EXPECT_EQ(error_of(json::parse(R"({"window": 2.5})")), "/model/window: expected an integer, got a number 2.5");
  EXPECT_EQ(error_of(json::parse(R"({"lengths": [1, "x"]})")),
            "/model/lengths/1: expected an integer, got a string \"x\"");
}

TEST(Options, OutOfRangeNamesTheBoundAndTheValue) {
  EXPECT_EQ(error_of(json::parse(R"({"window": 0})")), "/model/window: must be >= 1, got 0");
  EXPECT_EQ(error_of(json::parse(R"({"rate": 1.5})")), "/model/rate: must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of(json::parse(R"({"cell": "rnn"})")), "/model/cell: unknown \"rnn\"; known: gru, lstm");
  EXPECT_EQ(error_of(json::parse(R"({"lengths": [3]})")), "/model/lengths: must hold at least 2 values, got 1");
}

TEST(Options, NotAnObject) { EXPECT_EQ(error_of(json(3)), "/model: expected an object, got an integer 3"); }

TEST(Options, PointerEscapesSlashAndTilde) { EXPECT_EQ(pointer_join("/a", "b/c~d"), "/a/b~1c~0d"); }

TEST(Registry, UnknownNameListsKnownNames) {
  try {
    attention_registry().resolve(json::parse(R"({"type": "bahdanu"})"), "/model/attention");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.pointer(), "/model/attention/type");
    EXPECT_EQ(std::string(e.what()), "/model/attention/type: unknown \"bahdanu\"; known: none, bahdanau, global, local_m, local_p, hard, multi_head");
  }
}

TEST(Registry, ResolvesNameShorthandAndFillsDefaults) {
  EXPECT_EQ(attention_registry().resolve("bahdanau", "/a"), json::parse(R"({"type": "bahdanau", "hidden": 128})"));
  EXPECT_EQ(attention_registry().resolve(json::parse(R"({"type": "none"})"), "/a"), json::parse(R"({"type": "none"})"));
}

TEST(Registry, OptionsOfTheTypeAreCheckedStrictly) {
  try {
    attention_registry().resolve(json::parse(R"({"type": "none", "hidden": 3})"), "/model/attention");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/model/attention/hidden: unknown key; known: type");
  }
  try {
    attention_registry().resolve(json::parse(R"({"hidden": 3})"), "/model/attention");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/model/attention/type: missing; known: none, bahdanau, global, local_m, local_p, hard, multi_head");
  }
}

TEST(ErrorMessages, ControlCharactersOfTheInputAreEscapedSoTheLineStaysOne) {
  EXPECT_EQ(escape_control_characters("a\nb\r\tc\x1b[2J\x7f é"), "a\\nb\\r\\tc\\x1b[2J\\x7f é");
  const ConfigError error("/variants/x\ny", "unknown key");
  EXPECT_STREQ(error.what(), "/variants/x\\ny: unknown key");
  EXPECT_EQ(error.pointer(), "/variants/x\\ny");
}

TEST(ErrorMessages, NlohmannsTagIsLeftOut) {
  try {
    json::parse("{").at("x");
    FAIL();
  } catch (const json::exception& e) {
    EXPECT_EQ(error_message(e).rfind("parse error at line 1, column 2: syntax error", 0), 0u) << error_message(e);
  }
  try {
    json::object().at("x");
    FAIL();
  } catch (const json::exception& e) {
    EXPECT_EQ(error_message(e), "key 'x' not found");
  }
}

}  // namespace
}  // namespace attnlab
