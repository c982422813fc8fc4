// Evaluation in shares (training/sharded_evaluation.h, Task::measure): for each task, the sums
// of the shares of 2 and 3 ranks add up to the whole split's sums, metrics_from() of their total
// is evaluate()'s figure (corpus BLEU, chrF, AER and macro-F1 included), every example is
// measured by exactly one share and predicted as by one process, and a share without batches
// has the same sums, all zero. The ranks themselves are tested through the binary
// (tests/tools/data_parallel_cli_test.cpp).

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "tests/test_support.h"
#include "tests/tools/cli_support.h"
#include "training/experiment.h"
#include "training/runner.h"
#include "training/sharded_evaluation.h"

namespace attnlab {
namespace {

using test_util::TempDir;
using test_util::write_text;

void expect_same_layout(const MetricSums& a, const MetricSums& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [name, values] : a) {
    ASSERT_EQ(b.count(name), 1u) << what << ": " << name;
    EXPECT_EQ(b.at(name).size(), values.size()) << what << ": " << name;
  }
}

void expect_shares_add_up(Task& task, const std::string& split, EvaluationPass pass) {
  Predictions whole_predictions;
  const MetricSums whole = task.measure(split, pass, {}, &whole_predictions);
  ASSERT_FALSE(whole.empty());
  ASSERT_FALSE(whole_predictions.empty());
  std::map<int64_t, std::string> hypothesis_of;
  for (const auto& p : whole_predictions) hypothesis_of[p.id] = p.hypothesis;
  const Metrics evaluated = task.evaluate(split);

  for (int64_t world = 2; world <= 3; ++world) {
    SCOPED_TRACE(split + " over " + std::to_string(world) + " ranks");
    MetricSums total = whole;
    for (auto& [name, values] : total) std::fill(values.begin(), values.end(), 0.0);
    std::set<int64_t> ids;
    size_t predicted = 0;
    for (int64_t rank = 0; rank < world; ++rank) {
      Predictions mine;
      const MetricSums sums = task.measure(split, pass, {rank, world}, &mine);
      expect_same_layout(whole, sums, "rank " + std::to_string(rank));
      EXPECT_FALSE(mine.empty()) << "rank " << rank << " measured nothing";
      for (const auto& p : mine) {
        ids.insert(p.id);
        EXPECT_EQ(p.hypothesis, hypothesis_of.at(p.id)) << "example " << p.id;
      }
      predicted += mine.size();
      for (const auto& [name, values] : sums)
        for (size_t i = 0; i < values.size(); ++i) total[name][i] += values[i];
    }
    EXPECT_EQ(predicted, whole_predictions.size());  // no example twice ...
    EXPECT_EQ(ids.size(), whole_predictions.size());  // ... and none left out
    for (const auto& [name, values] : whole)
      for (size_t i = 0; i < values.size(); ++i)
        EXPECT_NEAR(total[name][i], values[i], 1e-9 * std::max(1.0, std::abs(values[i]))) << name << "[" << i << "]";
    const Metrics combined = task.metrics_from(split, pass, total);
    ASSERT_EQ(combined.size(), evaluated.size());
    for (const auto& [name, value] : evaluated) {
      ASSERT_EQ(combined.count(name), 1u) << name;
      EXPECT_NEAR(combined.at(name), value, 1e-9 * std::max(1.0, std::abs(value))) << name;
    }
  }
  // More ranks than batches: a rank without a batch still has every sum, all zero.
  const MetricSums nothing = task.measure(split, pass, {1000, 1001}, nullptr);
  expect_same_layout(whole, nothing, "a rank without batches");
  for (const auto& [name, values] : nothing)
    for (double value : values) EXPECT_EQ(value, 0.0) << name;
}

TEST(ShardedEvaluation, TranslationSharesAddUpToBleuChrfAndAerOfTheWholeSplit) {
  TempDir dir;
  test_util::write_numeral_corpus(dir);
  const json config = {
      {"data", {{"type", "parallel_text"}, {"train", dir.file("train.tsv")}, {"valid", dir.file("valid.tsv")},
                {"test", dir.file("test.tsv")}, {"test_alignments", dir.file("test.align")}, {"tokenizer", "word"}}},
      {"model", {{"type", "rnn_seq2seq"}, {"embedding", 8}, {"hidden", 16}, {"attention", "bahdanau"}}},
      {"eval", {{"batch_size", 3}, {"length_buckets", {3, 5}}, {"training_validation", "teacher_forced"}}},
      {"threads", 1}};
  auto task = build_task(resolve_variant("tiny", config).options, 1);
  const auto names = task->metric_names("test");
  for (const char* metric : {"bleu", "chrf", "aer", "aer_diagonal", "exact_match@1-3"})
    EXPECT_NE(std::find(names.begin(), names.end(), metric), names.end()) << metric;
  expect_shares_add_up(*task, "test", EvaluationPass::kFinal);
  const MetricSums validation = task->measure("valid", EvaluationPass::kValidation, {}, nullptr);
  EXPECT_EQ(validation.count("bleu"), 0u);  // teacher forced: nothing decoded
  EXPECT_EQ(task->metrics_from("valid", EvaluationPass::kValidation, validation).at("loss"),
            task->validate("valid").at("loss"));
}

TEST(ShardedEvaluation, SyntheticSeq2SeqSharesAddUpToAccuracyPerBucketAndAlignment) {
  json config = json::parse(test_util::kTinyExperiment);
  config.erase("variants");
  config["model"]["attention"] = {{"type", "bahdanau"}, {"hidden", 8}};
  config["eval"]["batch_size"] = 4;
  auto task = build_task(resolve_variant("tiny", config).options, 1);
  expect_shares_add_up(*task, "test", EvaluationPass::kFinal);
}

TEST(ShardedEvaluation, ClassificationSharesAddUpToAccuracyMacroF1AndSentenceAttention) {
  const json config = json::parse(R"({
    "task": "classification",
    "data": {"type": "key_sentence", "classes": 3, "fillers": 6, "sentences": [2, 3], "sentence_length": [3, 5],
             "train_size": 20, "valid_size": 20, "test_size": 23},
    "model": {"type": "document_classifier", "structure": "hierarchical", "embedding": 8, "hidden": 8},
    "eval": {"batch_size": 4},
    "threads": 1
  })");
  auto task = build_task(resolve_variant("tiny", config).options, 1);
  expect_shares_add_up(*task, "test", EvaluationPass::kFinal);
}

TEST(ShardedEvaluation, MaskedLMSharesAddUpToAccuracyAndPerplexity) {
  TempDir dir;
  std::mt19937 random(5);
  for (const char* split : {"train", "valid", "test"}) {
    std::string text;
    for (int i = 0; i < 30; ++i) {
      for (int k = 0, n = 4 + static_cast<int>(random() % 6); k < n; ++k)
        text += (k ? " w" : "w") + std::to_string(random() % 12);
      text += "\n";
    }
    write_text(dir.file(std::string(split) + ".txt"), text);
  }
  json config = json::parse(R"({
    "task": "masked_lm",
    "data": {"type": "monolingual_text", "tokenizer": "word", "max_length": 12},
    "model": {"type": "bert", "dims": 16, "layers": 1, "feed_forward": 32, "max_length": 12,
              "attention": {"type": "multi_head", "heads": 2, "score": "scaled_dot", "scope": "global"}},
    "eval": {"batch_size": 4},
    "threads": 1
  })");
  for (const char* split : {"train", "valid", "test"}) config["data"][split] = dir.file(std::string(split) + ".txt");
  auto task = build_task(resolve_variant("tiny", config).options, 1);
  expect_shares_add_up(*task, "test", EvaluationPass::kFinal);
}

TEST(ShardedEvaluation, OneProcessEvaluatesAsTheTaskDoes) {
  json config = json::parse(test_util::kTinyExperiment);
  config.erase("variants");
  auto task = build_task(resolve_variant("tiny", config).options, 1);
  SingleProcess alone;
  Predictions predictions;
  const auto evaluation = evaluate_on_ranks(*task, alone, "test", EvaluationPass::kFinal, &predictions);
  EXPECT_EQ(evaluation.metrics, task->evaluate("test"));
  ASSERT_FALSE(predictions.empty());
  EXPECT_EQ(evaluation.predictions_per_rank, std::vector<int64_t>{static_cast<int64_t>(predictions.size())});
  std::atomic<bool> stop{true};
  task->set_stop_flag(&stop);
  EXPECT_THROW(evaluate_on_ranks(*task, alone, "test", EvaluationPass::kFinal), EvaluationStopped);
}

}  // namespace
}  // namespace attnlab
