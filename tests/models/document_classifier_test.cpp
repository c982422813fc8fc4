// Document classifiers: pooling weights are distributions over the real words of each
// sentence and the real sentences of each document; padding changes nothing; each structure
// learns the key-sentence task through the shared Trainer.

#include <gtest/gtest.h>

#include <atomic>

#include "data/document_data.h"
#include "models/document_classifier.h"
#include "tests/test_support.h"
#include "training/classification_task.h"
#include "training/experiment.h"
#include "training/runner.h"
#include "training/trainer.h"

namespace attnlab {
namespace {

std::vector<Document> two_documents() {
  std::vector<Document> docs(2);
  docs[0].sentences = {{10, 11, 12}, {13}};
  docs[1].sentences = {{14}, {15, 16}, {17, 18, 19, 20}};
  return docs;
}

class Structures : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(Structures, PoolingWeightsAreDistributionsOverRealWordsAndSentences) {
  const auto& [structure, encoder] = GetParam();
  torch::manual_seed(0);
  DocumentClassifierImpl model(DocumentClassifierOptions(30, 3).structure(structure).encoder(encoder).embedding(8).hidden(8));
  model.eval();
  auto batch = make_document_batch(two_documents(), {0, 1});
  auto out = model.forward(document_input(batch));
  ASSERT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(-1), torch::ones({2})));
  if (structure == "mean_pool") {
    EXPECT_FALSE(out.word_weights.defined());
    return;
  }
  if (structure == "flat") {
    ASSERT_EQ(out.word_weights.sizes(), (std::vector<int64_t>{2, 7}));
    EXPECT_TRUE(torch::allclose(out.word_weights.sum(-1), torch::ones({2})));
    EXPECT_EQ(out.word_weights[0].narrow(0, 4, 3).abs().sum().item<double>(), 0.0);  // document 0 has 4 words
    return;
  }
  ASSERT_EQ(out.word_weights.sizes(), (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(out.sentence_weights.sizes(), (std::vector<int64_t>{2, 3}));
  // Per sentence: sums to one over its words, zero on padding words; padding sentences all zero.
  auto lengths = batch.sentence_lengths;
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t n = 0; n < 3; ++n) {
      const int64_t words = lengths[b][n].item<int64_t>();
      const double total = out.word_weights[b][n].sum().item<double>();
      EXPECT_NEAR(total, words > 0 ? 1.0 : 0.0, 1e-6) << b << " " << n;
      if (words < 4) {
        EXPECT_EQ(out.word_weights[b][n].narrow(0, words, 4 - words).abs().sum().item<double>(), 0.0);
      }
    }
  }
  EXPECT_NEAR(out.sentence_weights[0].sum().item<double>(), 1.0, 1e-6);
  EXPECT_EQ(out.sentence_weights[0][2].item<double>(), 0.0);  // document 0 has 2 sentences
  EXPECT_NEAR(out.sentence_weights[1].sum().item<double>(), 1.0, 1e-6);
}

TEST_P(Structures, PaddingForALongerNeighbourChangesNothing) {
  const auto& [structure, encoder] = GetParam();
  torch::manual_seed(0);
  DocumentClassifierImpl model(DocumentClassifierOptions(30, 3).structure(structure).encoder(encoder).embedding(8).hidden(8));
  model.eval();
  auto docs = two_documents();
  auto alone = model.forward(document_input(make_document_batch(docs, {0}))).log_probs;
  auto together = model.forward(document_input(make_document_batch(docs, {0, 1}))).log_probs;
  EXPECT_TRUE(torch::allclose(alone[0], together[0], 1e-5, 1e-6)) << alone << together;
}

INSTANTIATE_TEST_SUITE_P(
    Models, Structures,
    ::testing::Values(std::make_pair("hierarchical", "gru"), std::make_pair("hierarchical", "self_attention"),
                      std::make_pair("flat", "gru"), std::make_pair("flat", "self_attention"),
                      std::make_pair("mean_pool", "gru")));

class LearnsKeySentence : public ::testing::TestWithParam<std::string> {};

TEST_P(LearnsKeySentence, AboveChanceThroughTheTrainer) {
  json config = json::parse(R"({
    "task": "classification",
    "data": {"type": "key_sentence", "classes": 3, "fillers": 6, "sentences": [2, 3], "sentence_length": [3, 5],
             "train_size": 600, "valid_size": 90, "test_size": 30},
    "model": {"type": "document_classifier", "embedding": 16, "hidden": 16, "dropout": 0.0},
    "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 16, "max_steps": 250, "eval_every": 250},
    "threads": 1
  })");
  config["model"]["structure"] = GetParam();
  auto options = resolve_variant("tiny", config).options;
  auto task = build_task(options, 3);
  test_util::TempDir dir;
  TrainerRun run;
  run.run_dir = dir.path().string();
  run.seed = 3;
  std::ostringstream quiet;
  run.log = &quiet;
  Trainer(*task, options.train(), run).train();
  auto m = task->evaluate("valid");
  EXPECT_GT(m.at("accuracy"), 0.5) << GetParam();  // chance: 1/3
  if (GetParam() == "hierarchical") {
    EXPECT_GT(m.at("sentence_attention_accuracy"), 0.5);  // chance: ~0.4
  }
}

INSTANTIATE_TEST_SUITE_P(Models, LearnsKeySentence, ::testing::Values("hierarchical", "flat", "mean_pool"));

TEST(ClassificationTask, AStopFlagEndsAnEvaluation) {
  json config = json::parse(R"({
    "task": "classification",
    "data": {"type": "key_sentence", "classes": 3, "fillers": 6, "sentences": [2, 3], "sentence_length": [3, 5],
             "train_size": 20, "valid_size": 20, "test_size": 20},
    "model": {"type": "document_classifier", "embedding": 8, "hidden": 8},
    "train": {"max_steps": 1},
    "threads": 1
  })");
  auto task = build_task(resolve_variant("tiny", config).options, 1);
  std::atomic<bool> stop{true};
  task->set_stop_flag(&stop);
  EXPECT_THROW(task->evaluate("valid"), EvaluationStopped);
  stop = false;
  EXPECT_EQ(task->evaluate("valid").count("accuracy"), 1u);
}

TEST(ClassificationTask, MacroF1ByHand) {
  // gold 0 0 1 1 2, predicted 0 1 1 1 0: class 0 TP 1 FP 1 FN 1 -> 0.5; class 1 TP 2 FP 1 FN 0 -> 0.8;
  // class 2 TP 0 FP 0 FN 1 -> 0.
  const auto confusion = confusion_counts(torch::tensor({0, 1, 1, 1, 0}, torch::kLong),
                                          torch::tensor({0, 0, 1, 1, 2}, torch::kLong), 3);
  ASSERT_EQ(confusion, (std::vector<double>{1, 1, 0, 0, 2, 0, 1, 0, 0}));  // gold rows, predicted columns
  auto [macro, per_class] = f1_scores(confusion, 3);
  ASSERT_EQ(per_class.size(), 3u);
  EXPECT_DOUBLE_EQ(per_class[0], 0.5);
  EXPECT_DOUBLE_EQ(per_class[1], 0.8);
  EXPECT_DOUBLE_EQ(per_class[2], 0.0);
  EXPECT_DOUBLE_EQ(macro, 1.3 / 3);
}

}  // namespace
}  // namespace attnlab
