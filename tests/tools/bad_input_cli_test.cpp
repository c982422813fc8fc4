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
using test_util::read_text;
using test_util::TempDir;
using test_util::write_numeral_corpus;
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

TEST(EndToEnd, ModelsThatCannotBeBuiltOrHoldTheDataAreRefusedAtValidateWithThePointer) {
  TempDir dir;
  const std::string file = dir.file("x.json"), out = dir.file("runs");
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"type", "transformer"}, {"dims", 16}, {"feed_forward", 16}, {"encoder_attention", {{"type", "multi_head"}, {"heads", 3}}}},
       "/model: cannot be built: multi_head: 3 heads do not divide 16 dims (variant \"default\")"},
      {{{"type", "transformer"}, {"dims", 100000}, {"feed_forward", 100000}},
       "/model: cannot be built: training it needs at least "},
      {{{"type", "transformer"}, {"dims", 16}, {"feed_forward", 16}, {"max_length", 10}},
       "/model/max_length: is 10, but test example 1 needs "},
      {{{"type", "rnn_seq2seq"}, {"hidden", 8}, {"attention", {{"type", "global"}, {"score", {{"type", "location"}, {"max_length", 8}}}}}},
       "/model/attention/score/max_length: is 8, but the data has 16 keys to score (its longest sequence)"},
  };
  for (const auto& [model, expected] : cases) {
    SCOPED_TRACE(expected);
    json experiment = {{"data", {{"type", "reverse"}, {"train_size", 50}, {"valid_size", 5}, {"test_size", 5},
                                 {"train_lengths", {2, 5}}, {"test_lengths", {12, 16}}}},
                       {"model", model}};
    write_text(file, experiment.dump());
    for (const std::string& command : {"run --out " + quote(out), std::string("validate")}) {
      auto result = attnlab_cli(command + " " + quote(file), dir);
      EXPECT_EQ(result.exit_code, 2) << command;
      EXPECT_EQ(result.err.rfind(file + ": " + expected, 0), 0u) << result.err;
      EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
      EXPECT_FALSE(fs::exists(out / fs::path("x") / "default")) << command;
    }
  }
}

TEST(EndToEnd, AnExperimentRefusedAfterItsTokenizerWasTrainedLeavesNothingBehind) {
  TempDir dir;
  write_numeral_corpus(dir);
  // Variant "ok" trains and caches a word tokenizer; variant "bad" then fails at validate time.
  const json experiment = {
      {"name", "numerals"},
      {"data", {{"type", "parallel_text"}, {"train", dir.file("train.tsv")}, {"valid", dir.file("valid.tsv")},
                {"test", dir.file("test.tsv")}, {"tokenizer", {{"type", "word"}}}}},
      {"model", {{"type", "rnn_seq2seq"}, {"embedding", 8}, {"hidden", 16}}},
      {"variants", {{"ok", json::object()},
                    {"bad", {{"model", {{"attention", {{"type", "global"}, {"score", {{"type", "location"}, {"max_length", 2}}}}}}}}}}}};
  write_text(dir.file("numerals.json"), experiment.dump());
  const fs::path out = dir.file("runs");
  auto fresh = attnlab_cli("run --out " + quote(out.string()) + " " + quote(dir.file("numerals.json")), dir);
  EXPECT_EQ(fresh.exit_code, 2) << fresh.err;
  EXPECT_NE(fresh.err.find("/model/attention/score/max_length: is 2"), std::string::npos) << fresh.err;
  EXPECT_FALSE(fs::exists(out)) << "the refused experiment left " << out;

  // A cache that existed before keeps its entries; only what the refused check added goes.
  const fs::path kept = out / "numerals" / "tokenizers" / "kept";
  fs::create_directories(kept);
  write_text((kept / "tokenizer.json").string(), "{}");
  auto again = attnlab_cli("run --out " + quote(out.string()) + " " + quote(dir.file("numerals.json")), dir);
  EXPECT_EQ(again.exit_code, 2) << again.err;
  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(out / "numerals" / "tokenizers")) entries.push_back(entry.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"kept"});
  EXPECT_EQ(read_text((kept / "tokenizer.json").string()), "{}");
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

TEST(EndToEnd, DamagedOrMismatchedCheckpointsAreRefusedInOneLine) {
  TempDir dir;
  json experiment = json::parse(kTinyExperiment);
  experiment["variants"].erase("bahdanau");
  experiment["seeds"] = {1};
  write_text(dir.file("tiny.json"), experiment.dump());
  const std::string out = dir.file("runs");
  auto trained = attnlab_cli("run --out " + quote(out) + " " + quote(dir.file("tiny.json")), dir);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string run = out + "/tiny/none/seed-1", best = run + "/checkpoints/best.pt";
  ASSERT_TRUE(fs::exists(best));
  ASSERT_TRUE(fs::exists(run + "/checkpoints/previous.pt"));  // evaluations at 20 and 40: the last two kept
  ASSERT_EQ(attnlab_cli("eval " + quote(run), dir).exit_code, 0);

  // config.json edited to another size: the first tensor that differs, before any product fails.
  const std::string config = test_util::read_text(run + "/config.json");
  json edited = json::parse(config);
  edited["model"]["hidden"] = 12;
  write_text(run + "/config.json", edited.dump(2));
  auto other_size = attnlab_cli("eval " + quote(run), dir);
  EXPECT_EQ(other_size.exit_code, 2);
  EXPECT_EQ(other_size.err.rfind(best + ": tensor ", 0), 0u) << other_size.err;
  EXPECT_NE(other_size.err.find(": this model expects ["), std::string::npos) << other_size.err;
  EXPECT_EQ(other_size.err.find('\n'), other_size.err.size() - 1) << other_size.err;
  // Another config of the same sizes: the config hash.
  edited = json::parse(config);
  edited["train"]["optimizer"]["lr"] = 0.5;
  write_text(run + "/config.json", edited.dump(2));
  auto other_config = attnlab_cli("eval " + quote(run), dir);
  EXPECT_EQ(other_config.exit_code, 2);
  EXPECT_EQ(other_config.err.rfind(best + ": written by a run of another config (config hash ", 0), 0u)
      << other_config.err;

  // A flipped byte: damaged, exit 2, one line.
  write_text(run + "/config.json", config);
  test_util::flip_byte(best, fs::file_size(best) / 2);
  auto damaged = attnlab_cli("eval " + quote(run), dir);
  EXPECT_EQ(damaged.exit_code, 2);
  EXPECT_EQ(damaged.err.rfind(best + ": damaged checkpoint: checksum ", 0), 0u) << damaged.err;
  EXPECT_EQ(damaged.err.find('\n'), damaged.err.size() - 1) << damaged.err;
  EXPECT_EQ(damaged.out, "");
}

}  // namespace
}  // namespace attnlab
