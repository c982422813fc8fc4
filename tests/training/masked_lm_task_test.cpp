// The masked-LM task: the loss counts the selected positions only; every registered attention
// trains a tiny BERT far above the unigram baseline through the Trainer; an interrupted and
// resumed run masks and ends exactly as an uninterrupted one; fill-mask ranks first what a tiny
// model learned; init-from copies the encoder exactly and leaves the head fresh.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include "modules/attention_registry.h"
#include "tests/test_support.h"
#include "tokenizers/tokenizer_registry.h"
#include "training/checkpoint.h"
#include "training/experiment.h"
#include "training/init_from.h"
#include "training/masked_lm_task.h"
#include "training/runner.h"
#include "training/trainer.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::TempDir;
using test_util::write_text;

TEST(MaskedLMLoss, IsTheMeanCrossEntropyOverTheSelectedPositions) {
  // Row 1: p(target 1) = 3/4; row 2: p(target 0) = 1/2.
  auto logits = torch::tensor({{0.0, std::log(3.0)}, {0.0, 0.0}}, torch::kDouble);
  auto loss = masked_lm_loss(logits, torch::tensor({1, 0}, torch::kLong)).item<double>();
  EXPECT_NEAR(loss, (std::log(4.0 / 3.0) + std::log(2.0)) / 2, 1e-12);
  auto none = masked_lm_loss(torch::zeros({0, 2}, torch::kDouble), torch::zeros({0}, torch::kLong));
  EXPECT_EQ(none.item<double>(), 0.0);
}

/// Lines of 4 to 9 consecutive words of the cycle w0 … w9 (w9 is followed by w0): a masked word
/// is given by its neighbours, while its unigram frequency says nothing (chance 1/10).
void write_cycle_corpus(const TempDir& dir) {
  std::mt19937 random(11);
  for (const auto& [split, lines] : std::vector<std::pair<std::string, int>>{{"train", 400}, {"valid", 60}, {"test", 60}}) {
    std::string text;
    for (int i = 0; i < lines; ++i) {
      const int first = static_cast<int>(random() % 10), length = 4 + static_cast<int>(random() % 6);
      for (int k = 0; k < length; ++k) text += (k ? " w" : "w") + std::to_string((first + k) % 10);
      text += "\n";
    }
    write_text(dir.file(split + ".txt"), text);
  }
}

json tiny_mlm_config(const TempDir& dir, int64_t max_steps) {
  json config = json::parse(R"({
    "task": "masked_lm",
    "data": {"type": "monolingual_text", "tokenizer": "word", "max_length": 12},
    "model": {"type": "bert", "dims": 32, "layers": 1, "feed_forward": 64, "dropout": 0.1, "max_length": 12,
              "attention": {"type": "multi_head", "heads": 2, "score": "scaled_dot", "scope": "global"}},
    "train": {"optimizer": {"type": "adam", "lr": 0.002}, "batch_size": 16, "eval_every": 100, "log_every": 50,
              "early_stopping": {"metric": "masked_accuracy"}},
    "threads": 1
  })");
  for (const char* split : {"train", "valid", "test"}) config["data"][split] = dir.file(std::string(split) + ".txt");
  config["train"]["max_steps"] = max_steps;
  return config;
}

/// Runs here are seeded 2.
TrainOutcome train_quietly(Task& task, const ExperimentOptions& options, const std::string& dir,
                           const std::function<void(TrainerRun&)>& adjust = {}) {
  return test_util::train_quietly(task, options, dir, 2, adjust);
}

TEST(MaskedLMTask, TrainLossIsTheCrossEntropyAtTheDrawnPositionsOnly) {
  TempDir dir;
  write_cycle_corpus(dir);
  json config = tiny_mlm_config(dir, 1);
  config["model"]["dropout"] = 0.0;
  auto options = resolve_variant("tiny", config).options;
  auto task = build_task(options, 1);
  auto& mlm = dynamic_cast<MaskedLMTask&>(*task);
  const std::vector<int64_t> examples = {0, 1, 2, 3, 4, 5, 6, 7};
  const uint64_t seed = draw_seed(1, 0, 0);
  const double loss = mlm.train_loss(examples, seed).loss.item<double>();
  // By hand: the same draw, every position's logits, the cross-entropy at the selected ones.
  auto data = std::dynamic_pointer_cast<MonolingualData>(data_registry().create(options.data(), {}));
  auto batch = make_text_sequence_batch(data->split("train"), examples);
  auto masked = mask_tokens(batch.ids, batch.word_start, task->tokenizer().vocab_size(), MaskingOptions(),
                            masking_generator(seed));
  ASSERT_GT(masked.targets.size(0), 0);
  torch::NoGradGuard no_grad;
  auto log_probs = torch::log_softmax(mlm.masked_lm().forward(masked.input, batch.segments), -1);  // [B, T, V]
  double sum = 0;
  auto positions = masked.selected.nonzero();  // [N, 2]
  ASSERT_EQ(positions.size(0), masked.targets.size(0));
  for (int64_t n = 0; n < positions.size(0); ++n)
    sum -= log_probs[positions[n][0]][positions[n][1]][masked.targets[n]].item<double>();
  EXPECT_NEAR(loss, sum / static_cast<double>(positions.size(0)), 1e-5);
  // Another draw selects other positions and gives another loss.
  EXPECT_NE(mlm.train_loss(examples, draw_seed(1, 1, 0)).loss.item<double>(), loss);
}

class EveryAttentionMaskedLM : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryAttentionMaskedLM, LearnsFarAboveTheUnigramBaseline) {
  TempDir dir;
  write_cycle_corpus(dir);
  json config = tiny_mlm_config(dir, 800);
  config["model"]["attention"] = json::parse(GetParam());
  auto options = resolve_variant("tiny", config).options;
  auto task = build_task(options, 4);
  train_quietly(*task, options, dir.file("run"));
  const auto metrics = task->evaluate("valid");
  EXPECT_NEAR(metrics.at("unigram_accuracy"), 0.1, 0.05);
  EXPECT_GT(metrics.at("masked_accuracy"), 0.4) << GetParam();  // 4x chance; 60-93% measured
  EXPECT_LT(metrics.at("perplexity"), metrics.at("unigram_perplexity") / 2) << GetParam();
}

// One self-attention per registered attention ("none" is no self-attention: the encoder layer
// refuses it); hard attention with the straight-through estimator (REINFORCE needs a reward the
// masked LM does not define). Single-head attentions have no query/key projections, so they use
// a score with parameters: with "dot", q = k = x and each position attends mostly to itself
// (measured: 12-16% masked accuracy here, against 62-86% with "general").
const std::vector<std::string> kEveryMaskedLMAttention = {
    R"("bahdanau")",
    R"({"type": "global", "score": "general"})",
    R"({"type": "local_m", "score": "general", "window": 2})",
    R"({"type": "local_p", "score": "general", "window": 2})",
    R"({"type": "hard", "score": "general", "estimator": "gumbel_st"})",
    R"({"type": "multi_head", "heads": 2, "score": "scaled_dot", "scope": "global"})",
    R"({"type": "multi_head", "heads": 2, "score": "additive", "scope": {"type": "local_m", "window": 3}})",
};

INSTANTIATE_TEST_SUITE_P(Bert, EveryAttentionMaskedLM, ::testing::ValuesIn(kEveryMaskedLMAttention));

TEST(EveryAttentionMaskedLMList, CoversEveryRegisteredAttentionButNone) {
  std::set<std::string> covered;
  for (const auto& spec : kEveryMaskedLMAttention) {
    const json j = json::parse(spec);
    covered.insert(j.is_string() ? j.get<std::string>() : j.at("type").get<std::string>());
  }
  for (const auto& e : attention_registry().entries()) {
    if (e.name != "none") {
      EXPECT_EQ(covered.count(e.name), 1u) << e.name << " trains no masked LM in a test";
    }
  }
}

TEST(MaskedLMTask, InterruptedAndResumedMasksAndEndsAsOneLeftAlone) {
  TempDir dir;
  write_cycle_corpus(dir);
  json config = tiny_mlm_config(dir, 40);
  config["train"]["grad_accumulation"] = 2;
  config["train"]["eval_every"] = 20;
  auto options = resolve_variant("tiny", config).options;
  auto whole = build_task(options, 2);
  train_quietly(*whole, options, dir.file("whole"));

  auto first = build_task(options, 2);
  std::atomic<bool> stop{false};
  auto interrupted = train_quietly(*first, options, dir.file("split"), [&](TrainerRun& run) {
    run.stop = &stop;
    run.after_step = [&](int64_t step) { stop = step == 13; };
  });
  ASSERT_TRUE(interrupted.interrupted);
  torch::manual_seed(999);  // nothing may depend on the process's RNG state
  auto second = build_task(options, 2);
  auto resumed = train_quietly(*second, options, dir.file("split"), [](TrainerRun& run) { run.resume = true; });
  EXPECT_EQ(resumed.state.step, 40);
  const auto a = whole->model()->parameters(), b = second->model()->parameters();
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

TEST(MaskedLMTask, FillMaskRanksFirstTheWordATinyModelLearned) {
  TempDir dir;
  write_cycle_corpus(dir);
  json config = tiny_mlm_config(dir, 800);
  config["model"]["dropout"] = 0.0;
  auto options = resolve_variant("tiny", config).options;
  auto task = build_task(options, 3);
  train_quietly(*task, options, dir.file("run"));
  auto& mlm = dynamic_cast<MaskedLMTask&>(*task);
  auto filled = fill_masks(mlm.masked_lm(), mlm.tokenizer(), "w2 w3 [MASK] w5 w6", 3, mlm.max_length());
  ASSERT_EQ(filled.ids.size(), 5u);
  ASSERT_EQ(filled.masks.size(), 1u);
  EXPECT_EQ(filled.masks[0].position, 2);
  ASSERT_EQ(filled.masks[0].candidates.size(), 3u);
  EXPECT_EQ(filled.masks[0].candidates[0].piece, "w4");
  EXPECT_GT(filled.masks[0].candidates[0].probability, filled.masks[0].candidates[1].probability);
  // Two masks in one text; none at all.
  auto two = fill_masks(mlm.masked_lm(), mlm.tokenizer(), "w7 [MASK] w9 [MASK] w1", 1, mlm.max_length());
  ASSERT_EQ(two.masks.size(), 2u);
  EXPECT_EQ(two.masks[0].candidates[0].piece, "w8");
  EXPECT_EQ(two.masks[1].candidates[0].piece, "w0");
  EXPECT_TRUE(fill_masks(mlm.masked_lm(), mlm.tokenizer(), "w1 w2", 1, mlm.max_length()).masks.empty());
  EXPECT_THROW(fill_masks(mlm.masked_lm(), mlm.tokenizer(), "w1 w2 w3 w4 w5 w6 w7 w8 w9 w0 [MASK]", 1, mlm.max_length()),
               std::invalid_argument);
}

/// A run directory as the runner leaves it: config.json, its tokenizer and best.pt.
void write_trained_run(Task& task, const ExperimentOptions& options, const std::string& dir) {
  fs::create_directories(fs::path(dir) / "checkpoints");
  fs::create_directories(fs::path(dir) / "tokenizer");
  write_text(dir + "/config.json", "{}");
  save_tokenizer(task.tokenizer(), tokenizer_registry().resolve(options.data().at("tokenizer"), ""), dir + "/tokenizer");
  save_checkpoint(dir + "/checkpoints/best.pt", *task.model(), nullptr, nullptr);
}

TEST(InitFrom, CopiesTheEncoderExactlyAndLeavesTheHeadFresh) {
  TempDir dir;
  write_cycle_corpus(dir);
  auto pretrain = resolve_variant("tiny", tiny_mlm_config(dir, 20)).options;
  auto pretrained = build_task(pretrain, 7);
  train_quietly(*pretrained, pretrain, dir.file("pretraining"));
  write_trained_run(*pretrained, pretrain, dir.file("pretrained"));

  // The fine-tuning model: the same encoder options, a classifier head.
  json classifier_spec = tiny_mlm_config(dir, 1)["model"];
  classifier_spec["type"] = "bert_classifier";
  auto resolved = model_registry().resolve(classifier_spec, "/model");
  const auto V = pretrained->tokenizer().vocab_size();
  torch::manual_seed(5);
  auto fresh = model_registry().create(resolved, ModelDims{V, 0, 3});
  torch::manual_seed(5);
  auto started = model_registry().create(resolved, ModelDims{V, 0, 3});
  const int64_t copied = init_from_run(*started, pretrained->tokenizer(), InitOptions().from(dir.file("pretrained")));

  const auto source = pretrained->model()->named_parameters();
  int64_t encoder_tensors = 0;
  for (const auto& p : started->named_parameters()) {
    if (p.key().rfind("encoder.", 0) == 0) {
      ++encoder_tensors;
      ASSERT_TRUE(source.contains(p.key())) << p.key();
      EXPECT_TRUE(torch::equal(p.value(), source[p.key()])) << p.key();
    } else {
      EXPECT_TRUE(torch::equal(p.value(), fresh->named_parameters()[p.key()])) << p.key() << " is not fresh";
    }
  }
  EXPECT_GT(encoder_tensors, 10);
  EXPECT_EQ(copied, encoder_tensors);  // no encoder buffers with learned positions

  // Another size: one line naming the first mismatching tensor and both shapes.
  classifier_spec["dims"] = 16;
  classifier_spec["feed_forward"] = 32;
  auto smaller = model_registry().create(model_registry().resolve(classifier_spec, "/model"), ModelDims{V, 0, 3});
  try {
    init_from_run(*smaller, pretrained->tokenizer(), InitOptions().from(dir.file("pretrained")));
    FAIL() << "a model of another size was started from the run";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.pointer(), "/init/from");
    EXPECT_NE(e.message().find("encoder.token_embedding.weight is [" + std::to_string(V) + ", 32] there but [" +
                               std::to_string(V) + ", 16] here"),
              std::string::npos)
        << e.message();
  }
  EXPECT_THROW(init_from_run(*smaller, pretrained->tokenizer(), InitOptions().from(dir.file("nowhere"))), ConfigError);

  // Another model kind: its first missing tensor, and what the run's model is.
  const std::string seq2seq = dir.file("seq2seq");
  write_trained_run(*pretrained, pretrain, seq2seq);
  write_text(seq2seq + "/config.json", R"({"model": {"type": "transformer"}})");
  auto transformer = model_registry().create(model_registry().resolve("transformer", "/model"), ModelDims{V, V});
  save_checkpoint(seq2seq + "/checkpoints/best.pt", *transformer, nullptr, nullptr);
  try {
    init_from_run(*started, pretrained->tokenizer(), InitOptions().from(seq2seq));
    FAIL() << "a classifier was started from a Transformer";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("its model (\"transformer\") has no encoder.token_embedding.weight"), std::string::npos)
        << e.message();
  }
}

}  // namespace
}  // namespace attnlab
