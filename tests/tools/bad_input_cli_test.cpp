// Bad input, as a hostile user gives it (issue 15): each class gets one line naming the file and
// the JSON pointer, exit code 2, and nothing written.

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tools/cli_support.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::attnlab_cli;
using test_util::kTinyExperiment;
using test_util::quote;
using test_util::TempDir;
using test_util::write_text;

/// kTinyExperiment's text with `threads: 1` replaced by `replacement` (text, so that what a JSON
/// library would not write — repeated keys, deep nesting, 1e400 — can be written).
std::string tiny_with(const std::string& replacement) {
  std::string text = kTinyExperiment;
  const std::string threads = "\"threads\": 1";
  const auto at = text.find(threads);
  EXPECT_NE(at, std::string::npos);
  return text.replace(at, threads.size(), replacement);
}

TEST(EndToEnd, MalformedExperimentFilesGiveOneLineWithThePointerAndWriteNothing) {
  TempDir dir;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {tiny_with("\"threads\": 1, \"threads\": 2"), "/threads: key repeated in one object"},
      {tiny_with("\"threads\": 1, \"description\": " + deep), "/description" + [] {
         std::string zeros;
         for (int i = 0; i < 63; ++i) zeros += "/0";  // the top-level object is the first of 64 levels
         return zeros;
       }() + ": nested deeper than 64 levels"},
      {tiny_with("\"threads\": 1e400"), "/threads: number overflow parsing '1e400'"},
      {tiny_with("\"threads\": 100000"), "/threads: must be in [0, "},
      {tiny_with("\"threads\": 4294967297"), "/threads: must be in [0, "},
      {tiny_with("\"threads\": 18446744073709551615"), "/threads: too large: 18446744073709551615 (at most 9223372036854775807)"},
  };
  const std::string file = dir.file("x.json"), out = dir.file("runs");
  for (const auto& [text, expected] : cases) {
    write_text(file, text);
    for (const std::string& command : {"run --out " + quote(out), std::string("validate")}) {
      SCOPED_TRACE(command + ": " + expected);
      auto result = attnlab_cli(command + " " + quote(file), dir);
      EXPECT_EQ(result.exit_code, 2);
      EXPECT_EQ(result.err.rfind(file + ": " + expected, 0), 0u) << result.err.substr(0, 300);
      ASSERT_FALSE(result.err.empty());
      EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "one line";
      EXPECT_EQ(result.out, "");
      EXPECT_FALSE(fs::exists(out));
    }
  }
}

TEST(EndToEnd, DirectoriesAndHugeCountsAreRefusedInOneLine) {
  TempDir dir;
  write_text(dir.file("tiny.json"), kTinyExperiment);
  auto directory = attnlab_cli("validate " + quote(dir.path().string()), dir);
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_EQ(directory.err, dir.path().string() + ": is a directory, not a JSON file\n");

  const std::string out = dir.file("runs");
  auto seeds = attnlab_cli("run --out " + quote(out) + " --seeds 4611686018427387904 " + quote(dir.file("tiny.json")), dir);
  EXPECT_EQ(seeds.exit_code, 2);
  EXPECT_EQ(seeds.err, "attnlab run: --seeds must be in [1, 1000], got 4611686018427387904\n");
  EXPECT_FALSE(fs::exists(out));

  auto overflow = attnlab_cli("validate --set /train/max_steps=1e400 " + quote(dir.file("tiny.json")), dir);
  EXPECT_EQ(overflow.exit_code, 2);
  EXPECT_EQ(overflow.err, "--set /train/max_steps: number overflow parsing '1e400'\n");
}

TEST(EndToEnd, SetValuesMayHoldCommas) {
  TempDir dir;
  write_text(dir.file("tiny.json"), kTinyExperiment);
  auto result = attnlab_cli("validate --set /data/test_lengths=[3,7] --set=/eval/length_buckets=[4,6] " +
                           quote(dir.file("tiny.json")),
                       dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json resolved = json::parse(result.out);
  ASSERT_EQ(resolved.at("variants").size(), 2u);
  for (const auto& variant : resolved.at("variants")) {
    EXPECT_EQ(variant.at("data").at("test_lengths"), json({3, 7}));
    EXPECT_EQ(variant.at("eval").at("length_buckets"), json({4, 6}));
  }
}

}  // namespace
}  // namespace attnlab
