// Masked language modelling from the command line: pre-train, fill in masks, fine-tune a
// classifier from the pre-trained encoder; the bad inputs of each; an interrupted and resumed
// run ends with the weights of one left alone.

#include <gtest/gtest.h>

#include <sstream>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <random>

#include "core/options.h"
#include "tests/test_support.h"
#include "tests/tools/cli_support.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::attnlab_cli;
using test_util::quote;
using test_util::TempDir;
using test_util::write_text;

/// Lines of 4 to 9 consecutive words of the cycle w0 … w9; and, for fine-tuning, documents
/// labelled by whether their words count up or down the cycle.
void write_corpora(const TempDir& dir) {
  std::mt19937 random(3);
  for (const auto& [split, lines] : std::vector<std::pair<std::string, int>>{{"train", 300}, {"valid", 40}, {"test", 40}}) {
    std::string text, labelled;
    for (int i = 0; i < lines; ++i) {
      const int first = static_cast<int>(random() % 10), length = 4 + static_cast<int>(random() % 6);
      std::string line, reversed;
      for (int k = 0; k < length; ++k) {
        line += (k ? " w" : "w") + std::to_string((first + k) % 10);
        reversed += (k ? " w" : "w") + std::to_string((first + 10 - k) % 10);
      }
      text += line + "\n";
      labelled += (i % 2 ? "up\t" + line : "down\t" + reversed) + "\n";
    }
    write_text(dir.file(split + ".txt"), text);
    write_text(dir.file(split + ".tsv"), labelled);
  }
}

json pretraining(const TempDir& dir) {
  json e = json::parse(R"({
    "task": "masked_lm",
    "data": {"type": "monolingual_text", "tokenizer": "word", "max_length": 12},
    "model": {"type": "bert", "dims": 32, "layers": 1, "feed_forward": 64, "dropout": 0.1, "max_length": 12,
              "attention": {"type": "multi_head", "heads": 2, "score": "scaled_dot", "scope": "global"}},
    "train": {"optimizer": {"type": "adam", "lr": 0.002}, "batch_size": 16, "max_steps": 800, "eval_every": 200,
              "log_every": 10, "early_stopping": {"metric": "masked_accuracy"}},
    "eval": {"attention_maps": 2},
    "seeds": [1],
    "threads": 1
  })");
  for (const char* split : {"train", "valid", "test"}) e["data"][split] = dir.file(std::string(split) + ".txt");
  return e;
}

TEST(EndToEnd, MaskedLMPretrainsFillsMasksAndStartsAClassifier) {
  TempDir dir;
  write_corpora(dir);
  write_text(dir.file("mlm.json"), pretraining(dir).dump(2));
  const std::string out = dir.file("runs");
  auto run = attnlab_cli("run " + quote(dir.file("mlm.json")) + " --out " + quote(out), dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* column : {"masked_accuracy", "top5_accuracy", "perplexity", "unigram_accuracy", "unigram_perplexity"})
    EXPECT_NE(run.out.find(column), std::string::npos) << column << " in\n" << run.out;
  const std::string trained = (fs::path(out) / "mlm" / "default" / "seed-1").string();
  const json results = json::parse(test_util::read_text(trained + "/results.json"));
  EXPECT_GT(results["metrics"]["test"]["masked_accuracy"].get<double>(),
            3 * results["metrics"]["test"]["unigram_accuracy"].get<double>());
  // The report's inputs: a prediction per test sequence whose masked-accuracy statistics sum to the
  // metric, and self-attention maps with every layer's heads (1 layer x 2 heads).
  double correct = 0, selected = 0;
  std::istringstream predictions(test_util::read_text(trained + "/predictions.jsonl"));
  size_t lines = 0;
  for (std::string line; std::getline(predictions, line); ++lines) {
    const auto stats = json::parse(line).at("statistics").at("masked_accuracy");
    correct += stats[0].get<double>();
    selected += stats[1].get<double>();
  }
  ASSERT_GT(lines, 0u);
  ASSERT_GT(selected, 0.0);
  EXPECT_NEAR(correct / selected, results["metrics"]["test"]["masked_accuracy"].get<double>(), 1e-12);
  const json map = json::parse(test_util::read_text(trained + "/attention/test-0.json"));
  ASSERT_EQ(map.at("panels").size(), 2u);
  EXPECT_EQ(map.at("panels")[1].at("name"), "self-attention, layer 1, head 2");
  EXPECT_EQ(map.at("weights").size(), map.at("source_tokens").size());
  EXPECT_TRUE(fs::exists(fs::path(out) / "mlm" / "report.html"));

  // fill-mask: the text, its filling, then the candidates of each [MASK].
  auto filled = attnlab_cli("fill-mask " + quote(trained) + " 'w3 w4 [MASK] w6 w7' --top-k 3", dir);
  ASSERT_EQ(filled.exit_code, 0) << filled.err;
  EXPECT_EQ(filled.out.rfind("w3 w4 [MASK] w6 w7\nw3 w4 w5 w6 w7\n[MASK] 1\tw5 0.", 0), 0u) << filled.out;
  write_text(dir.file("texts.txt"), "w1 [MASK] w3\n\nw8 w9 [MASK]\n");
  auto from_stdin = attnlab_cli("fill-mask " + quote(trained) + " --top-k 1", dir, dir.file("texts.txt"));
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(std::count(from_stdin.out.begin(), from_stdin.out.end(), '\n'), 6) << from_stdin.out;
  auto no_mask = attnlab_cli("fill-mask " + quote(trained) + " 'w1 w2'", dir);
  EXPECT_EQ(no_mask.exit_code, 2);
  EXPECT_EQ(no_mask.err, "TEXT: no [MASK] in the text\n");
  auto not_a_run = attnlab_cli("fill-mask " + quote(dir.file("nowhere")) + " '[MASK]'", dir);
  EXPECT_EQ(not_a_run.exit_code, 2);
  EXPECT_EQ(std::count(not_a_run.err.begin(), not_a_run.err.end(), '\n'), 1) << not_a_run.err;

  // Fine-tuning: the encoder from the run, the tokenizer it was trained with, a fresh head.
  json fine_tune = json::parse(R"({
    "task": "classification",
    "data": {"type": "labelled_text"},
    "model": {"type": "bert_classifier", "dims": 32, "layers": 1, "feed_forward": 64, "dropout": 0.1, "max_length": 12,
              "attention": {"type": "multi_head", "heads": 2, "score": "scaled_dot", "scope": "global"}},
    "train": {"optimizer": {"type": "adam", "lr": 0.002}, "batch_size": 16, "max_steps": 60, "eval_every": 30,
              "early_stopping": {"metric": "accuracy"}},
    "eval": {"attention_maps": 0},
    "seeds": [1],
    "threads": 1
  })");
  for (const char* split : {"train", "valid", "test"}) fine_tune["data"][split] = dir.file(std::string(split) + ".tsv");
  fine_tune["data"]["tokenizer"] = {{"type", "saved"}, {"directory", trained + "/tokenizer"}};
  fine_tune["init"] = {{"from", trained}, {"part", "encoder"}};
  write_text(dir.file("fine.json"), fine_tune.dump(2));
  auto fine = attnlab_cli("run " + quote(dir.file("fine.json")) + " --out " + quote(out), dir);
  ASSERT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_NE(fine.out.find("accuracy"), std::string::npos) << fine.out;
  // fill-mask on a run that is no masked LM.
  auto classifier_run = attnlab_cli("fill-mask " + quote(out + "/fine/default/seed-1") + " '[MASK]'", dir);
  EXPECT_EQ(classifier_run.exit_code, 2);
  EXPECT_EQ(classifier_run.err, out + "/fine/default/seed-1: not a masked-LM run\n");

  // A missing run, or a model of another size: one line, exit 2, before any run directory.
  fine_tune["name"] = "broken";
  fine_tune["init"]["from"] = dir.file("no-such-run");
  write_text(dir.file("broken.json"), fine_tune.dump(2));
  auto missing = attnlab_cli("run " + quote(dir.file("broken.json")) + " --out " + quote(out), dir);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, dir.file("broken.json") + ": /init/from: \"" + dir.file("no-such-run") +
                             "\": no such run directory (variant \"default\")\n");
  fine_tune["init"]["from"] = trained;
  fine_tune["model"]["dims"] = 16;
  write_text(dir.file("broken.json"), fine_tune.dump(2));
  auto other_size = attnlab_cli("validate " + quote(dir.file("broken.json")), dir);
  EXPECT_EQ(other_size.exit_code, 2);
  EXPECT_NE(other_size.err.find(": /init/from: \"" + trained + "\": encoder."), std::string::npos) << other_size.err;
  EXPECT_NE(other_size.err.find(" there but ["), std::string::npos) << other_size.err;
  EXPECT_EQ(std::count(other_size.err.begin(), other_size.err.end(), '\n'), 1) << other_size.err;
  EXPECT_FALSE(fs::exists(fs::path(out) / "broken" / "default"));  // (its tokenizer cache is written: issue 15)
}

TEST(EndToEnd, MaskedLMInterruptedAndResumedEndsWithTheWeightsOfOneLeftAlone) {
  TempDir dir;
  write_corpora(dir);
  json e = pretraining(dir);
  e["train"]["max_steps"] = 120;
  e["train"]["grad_accumulation"] = 2;
  write_text(dir.file("e.json"), e.dump(2));
  const std::string whole = dir.file("whole"), split = dir.file("split");
  auto uninterrupted = attnlab_cli("run " + quote(dir.file("e.json")) + " --out " + quote(whole), dir);
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.err;
  const fs::path split_run = fs::path(split) / "e" / "default" / "seed-1";
  const int status =
      test_util::run_and_signal({"run", dir.file("e.json"), "--out", split}, split_run / "metrics.jsonl",
                                "\"step\":20,", SIGINT, dir.file("spawned.err"));
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 130) << test_util::read_text(dir.file("spawned.err"));
  auto resumed = attnlab_cli("run " + quote(dir.file("e.json")) + " --out " + quote(split) + " --resume", dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto a = test_util::checkpoint_weights(fs::path(whole) / "e" / "default" / "seed-1");
  const auto b = test_util::checkpoint_weights(split_run);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

}  // namespace
}  // namespace attnlab
