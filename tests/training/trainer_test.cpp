// The shared training loop: learning happens; checkpoints are whole; an interrupted and
// resumed run ends with the same weights as one left alone; early stopping.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "modules/attention_registry.h"
#include "modules/scope_registry.h"
#include "tests/test_support.h"
#include "training/checkpoint.h"
#include "training/experiment.h"
#include "training/runner.h"
#include "training/trainer.h"

namespace attnlab {
namespace {

using test_util::TempDir;

ExperimentOptions tiny_copy(int64_t max_steps, const std::string& extra_train = "{}") {
  json config = json::parse(R"({
    "data": {"type": "copy", "symbols": 5, "train_lengths": [2, 4], "test_lengths": [2, 6],
             "train_size": 200, "valid_size": 30, "test_size": 30},
    "model": {"type": "rnn_seq2seq", "embedding": 8, "hidden": 16, "dropout": 0.1,
              "attention": {"type": "bahdanau", "hidden": 8}},
    "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 16, "eval_every": 20, "log_every": 10},
    "threads": 1
  })");
  config["train"]["max_steps"] = max_steps;
  config["train"].update(json::parse(extra_train));
  return resolve_variant("tiny", config).options;
}

/// Runs here are seeded 3.
TrainOutcome train(Task& task, const ExperimentOptions& options, const std::string& dir,
                   const std::function<void(TrainerRun&)>& adjust = {}) {
  return test_util::train_quietly(task, options, dir, 3, adjust);
}

std::vector<torch::Tensor> weights_of(Task& task) {
  std::vector<torch::Tensor> weights;
  for (const auto& p : task.model()->parameters()) weights.push_back(p.detach().clone());
  return weights;
}

TEST(Trainer, ADivergingRunStopsAtItsFirstNonFiniteStepAndSavesNothingNonFinite) {
  for (const char* clip : {"0", "1.0"}) {
    // 4 good steps with SGD at 0.01 (checkpoints at steps 2 and 4), then the run continues at 1e38,
    // which sends the weights beyond float range within a few steps.
    const std::string sgd = std::string(R"({"optimizer": {"type": "sgd", "lr": LR}, "clip_norm": )") + clip + "}";
    auto with_lr = [&](const char* lr) { return std::regex_replace(sgd, std::regex("LR"), lr); };
    TempDir dir;
    const std::string run_dir = dir.path().string();
    auto good = tiny_copy(8, with_lr("0.01"));
    good.train().eval_every(2);
    auto task = build_task(good, 3);
    std::atomic<bool> stop{false};
    const auto first = train(*task, good, run_dir, [&](TrainerRun& run) {
      run.stop = &stop;
      run.after_step = [&](int64_t step) { stop = step == 4; };
    });
    ASSERT_TRUE(first.interrupted);
    ASSERT_EQ(first.state.step, 4);
    auto diverging = tiny_copy(8, with_lr("1e38"));
    diverging.train().eval_every(1);
    auto again = build_task(diverging, 3);
    try {
      train(*again, diverging, run_dir, [](TrainerRun& run) { run.resume = true; });
      FAIL() << "a run at lr 1e38 trained on (clip_norm " << clip << ")";
    } catch (const TrainingDiverged& e) {
      const std::string message = e.what();
      EXPECT_TRUE(std::regex_search(message, std::regex("^step [5-8]: the (training loss|gradient norm|validation "
                                                          "loss|validation token_accuracy) is (-?nan|-?inf); ")))
          << message;
      EXPECT_NE(message.find("checkpoints/ holds the last finite weights"), std::string::npos) << message;
    }
    // The checkpoints are step 4's: finite, and the latest still says step 4.
    for (const auto& checkpoint : {Trainer::latest_checkpoint(run_dir), Trainer::best_checkpoint(run_dir)}) {
      ASSERT_TRUE(std::filesystem::exists(checkpoint)) << checkpoint;
      auto fresh = build_task(good, 3);
      TrainerState state;
      load_checkpoint(checkpoint, *fresh->model(), nullptr, checkpoint == Trainer::latest_checkpoint(run_dir) ? &state : nullptr);
      const auto parameters = fresh->model()->parameters();
      ASSERT_FALSE(parameters.empty());
      for (const auto& p : parameters) EXPECT_TRUE(torch::isfinite(p).all().item<bool>()) << checkpoint;
      if (checkpoint == Trainer::latest_checkpoint(run_dir)) EXPECT_EQ(state.step, 4);
    }
  }
}

TEST(Trainer, ATinyModelLearnsATinyTask) {
  auto options = tiny_copy(200);
  auto task = build_task(options, 3);
  const double loss_before = task->evaluate("valid").at("loss");
  TempDir dir;
  auto outcome = train(*task, options, dir.path().string());
  const auto after = task->evaluate("valid");
  EXPECT_GT(loss_before, 2.0);  // about ln(11 symbols + specials) untrained
  EXPECT_LT(after.at("loss"), 0.5);
  EXPECT_GT(after.at("token_accuracy"), 0.8);
  EXPECT_EQ(outcome.state.step, 200);
  EXPECT_TRUE(outcome.state.finished);
}

TEST(Trainer, WritesWholeCheckpointsAndOneMetricsLinePerEvent) {
  auto options = tiny_copy(40);
  auto task = build_task(options, 3);
  TempDir dir;
  train(*task, options, dir.path().string());
  const auto checkpoints = dir.path() / "checkpoints";
  EXPECT_TRUE(std::filesystem::exists(checkpoints / "latest.pt"));
  EXPECT_TRUE(std::filesystem::exists(checkpoints / "best.pt"));
  for (const auto& entry : std::filesystem::directory_iterator(checkpoints))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  // 40 steps: train lines at 10, 20, 30, 40 and evaluations at 20, 40.
  std::ifstream log((dir.path() / "metrics.jsonl").string());
  std::vector<json> events;
  for (std::string line; std::getline(log, line);) events.push_back(json::parse(line));
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[1]["event"], "train");
  EXPECT_EQ(events[2]["event"], "eval");
  EXPECT_EQ(events[2]["step"], 20);
  EXPECT_TRUE(events[2]["metrics"].contains("exact_match"));
  for (const char* key : {"loss", "lr", "tokens_per_s", "elapsed_s"}) EXPECT_TRUE(events[0].contains(key)) << key;
}

TEST(Trainer, InterruptedAndResumedEndsWithTheSameWeights) {
  // Dropout and shuffling draw random numbers, so this also checks RNG and data position.
  // Stopping at step 27 lies between evaluations (every 20) and inside an epoch (13 batches).
  auto options = tiny_copy(60, R"({"grad_accumulation": 2})");
  TempDir whole_dir, split_dir;
  auto whole = build_task(options, 3);
  train(*whole, options, whole_dir.path().string());

  auto first = build_task(options, 3);
  std::atomic<bool> stop{false};
  auto interrupted = train(*first, options, split_dir.path().string(), [&](TrainerRun& run) {
    run.stop = &stop;
    run.after_step = [&](int64_t step) { stop = step == 27; };
  });
  ASSERT_TRUE(interrupted.interrupted);
  ASSERT_EQ(interrupted.state.step, 27);

  torch::manual_seed(12345);  // the resumed run must not depend on the process's RNG state
  auto second = build_task(options, 3);
  auto resumed = train(*second, options, split_dir.path().string(), [](TrainerRun& run) { run.resume = true; });
  EXPECT_FALSE(resumed.interrupted);
  EXPECT_EQ(resumed.state.step, 60);

  const auto a = weights_of(*whole), b = weights_of(*second);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;

  // The resumed log holds no event twice.
  std::ifstream log((split_dir.path() / "metrics.jsonl").string());
  std::vector<std::pair<std::string, int64_t>> events;
  for (std::string line; std::getline(log, line);) {
    auto e = json::parse(line);
    events.emplace_back(e["event"], e["step"]);
  }
  std::set<std::pair<std::string, int64_t>> unique(events.begin(), events.end());
  EXPECT_EQ(unique.size(), events.size());
  EXPECT_EQ(events.size(), 6u + 3u);  // train lines at 10..60, evals at 20, 40, 60
}

TEST(Trainer, ADamagedLatestCheckpointResumesFromThePreviousOneToTheSameWeights) {
  // Stopped at step 27: latest.pt holds step 27, previous.pt step 20 (the evaluation before).
  auto options = tiny_copy(60);
  TempDir whole_dir, split_dir;
  auto whole = build_task(options, 3);
  train(*whole, options, whole_dir.path().string());

  auto first = build_task(options, 3);
  std::atomic<bool> stop{false};
  train(*first, options, split_dir.path().string(), [&](TrainerRun& run) {
    run.stop = &stop;
    run.after_step = [&](int64_t step) { stop = step == 27; };
  });
  const std::string dir = split_dir.path().string(), latest = Trainer::latest_checkpoint(dir);
  ASSERT_TRUE(std::filesystem::exists(Trainer::previous_checkpoint(dir)));
  test_util::flip_byte(latest, std::filesystem::file_size(latest) / 2);

  auto second = build_task(options, 3);
  std::ostringstream log;
  auto resumed = train(*second, options, dir, [&](TrainerRun& run) {
    run.resume = true;
    run.log = &log;
  });
  EXPECT_EQ(resumed.state.step, 60);
  EXPECT_NE(log.str().find(latest + ": damaged checkpoint: "), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("; resuming from " + Trainer::previous_checkpoint(dir) + " (step 20)"), std::string::npos)
      << log.str();
  const auto a = weights_of(*whole), b = weights_of(*second);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;

  // Both damaged: one line saying what to do, and nothing trained.
  test_util::flip_byte(latest, std::filesystem::file_size(latest) / 2);
  test_util::flip_byte(Trainer::previous_checkpoint(dir), std::filesystem::file_size(Trainer::previous_checkpoint(dir)) / 2);
  auto third = build_task(options, 3);
  try {
    train(*third, options, dir, [](TrainerRun& run) { run.resume = true; });
    FAIL() << "resumed from damaged checkpoints";
  } catch (const CheckpointError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(latest + ": damaged checkpoint: ", 0), 0u) << message;
    EXPECT_NE(message.find("; remove " + dir + " to train the run from the start"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

/// A task whose training loss is NaN at chosen calls (a batch that overflows), else `inner`'s.
class PoisonedTask : public Task {
 public:
  PoisonedTask(Task& inner, std::set<int64_t> poisoned_calls) : inner_(inner), poisoned_(std::move(poisoned_calls)) {}
  std::shared_ptr<torch::nn::Module> model() override { return inner_.model(); }
  const Tokenizer& tokenizer() const override { return inner_.tokenizer(); }
  int64_t train_size() const override { return inner_.train_size(); }
  TrainLoss train_loss(const std::vector<int64_t>& examples, uint64_t draw_seed) override {
    auto result = inner_.train_loss(examples, draw_seed);
    if (poisoned_.count(++calls_)) result.loss = result.loss * std::nan("");  // NaN loss and gradients
    return result;
  }
  MetricSums measure(const std::string& split, EvaluationPass pass, EvaluationShare share,
                     Predictions* predictions) override {
    return inner_.measure(split, pass, share, predictions);
  }
  Metrics metrics_from(const std::string& split, EvaluationPass pass, const MetricSums& sums) const override {
    return inner_.metrics_from(split, pass, sums);
  }
  std::vector<std::string> splits() const override { return inner_.splits(); }
  std::vector<std::string> metric_names(const std::string& split) const override { return inner_.metric_names(split); }
  std::vector<std::string> table_metrics(const std::string& split) const override { return inner_.table_metrics(split); }

 private:
  Task& inner_;
  std::set<int64_t> poisoned_;
  int64_t calls_ = 0;
};

TEST(Trainer, NonFiniteSkipLeavesOutThoseUpdatesCountsThemAndStopsAfterAHundredInARow) {
  auto options = tiny_copy(40, R"({"non_finite": "skip"})");
  TempDir dir;
  auto inner = build_task(options, 3);
  PoisonedTask task(*inner, {5, 12});
  auto outcome = train(task, options, dir.path().string());
  EXPECT_EQ(outcome.state.step, 40);
  EXPECT_EQ(outcome.state.skipped_steps, 2);
  const auto weights = weights_of(*inner);
  ASSERT_FALSE(weights.empty());
  for (const auto& w : weights) EXPECT_TRUE(torch::isfinite(w).all().item<bool>());
  std::vector<int64_t> skipped;
  std::vector<json> train_lines;
  std::ifstream log((dir.path() / "metrics.jsonl").string());
  for (std::string line; std::getline(log, line);) {
    auto e = json::parse(line);
    if (e["event"] == "skipped") {
      skipped.push_back(e["step"]);
      EXPECT_EQ(e["what"], "training loss");
    }
    if (e["event"] == "train") train_lines.push_back(e);
  }
  EXPECT_EQ(skipped, (std::vector<int64_t>{5, 12}));
  ASSERT_EQ(train_lines.size(), 4u);  // steps 10, 20, 30, 40
  EXPECT_EQ(train_lines[0]["skipped_steps"], 1);
  EXPECT_EQ(train_lines[1]["skipped_steps"], 2);
  for (const auto& line : train_lines) EXPECT_TRUE(line["loss"].is_number()) << line.dump();  // skipped losses left out

  // The default stops at the first one.
  auto stopping = tiny_copy(40);
  TempDir stop_dir;
  auto inner_again = build_task(stopping, 3);
  PoisonedTask poisoned_again(*inner_again, {5});
  EXPECT_THROW(train(poisoned_again, stopping, stop_dir.path().string()), TrainingDiverged);

  // Every step from the 3rd on: the 100th in a row stops the run.
  auto long_run = tiny_copy(200, R"({"non_finite": "skip", "eval_every": 500})");
  TempDir long_dir;
  auto inner_long = build_task(long_run, 3);
  std::set<int64_t> from_third;
  for (int64_t call = 3; call <= 200; ++call) from_third.insert(call);
  PoisonedTask always(*inner_long, from_third);
  try {
    train(always, long_run, long_dir.path().string());
    FAIL() << "trained on through 198 non-finite steps";
  } catch (const TrainingDiverged& e) {
    EXPECT_EQ(std::string(e.what()).rfind("step 102: the training loss (for the 100th step in a row) is ", 0), 0u) << e.what();
  }
}

class EveryAttention : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(EveryAttention, LearnsATinyCopyTaskAboveChance) {
  const auto& [attention, decoder] = GetParam();
  json config = json::parse(R"({
    "data": {"type": "copy", "symbols": 5, "train_lengths": [2, 4], "test_lengths": [2, 4],
             "train_size": 200, "valid_size": 30, "test_size": 30},
    "model": {"type": "rnn_seq2seq", "embedding": 8, "hidden": 16, "dropout": 0.0},
    "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 16, "max_steps": 150, "eval_every": 150},
    "threads": 1
  })");
  config["model"]["attention"] = json::parse(attention);
  config["model"]["decoder"] = decoder;
  auto options = resolve_variant("tiny", config).options;
  auto task = build_task(options, 5);
  TempDir dir;
  train(*task, options, dir.path().string());
  // Chance is 1/6 per token (5 symbols and EOS).
  EXPECT_GT(task->evaluate("valid").at("token_accuracy"), 0.6) << attention << " " << decoder;
}

const std::vector<std::pair<std::string, std::string>> kEveryAttention = {
    {R"("none")", "bahdanau"},
    {R"("bahdanau")", "bahdanau"},
    {R"({"type": "global", "score": "dot"})", "luong"},
    {R"({"type": "global", "score": "general"})", "luong"},
    {R"({"type": "global", "score": "concat"})", "luong"},
    {R"({"type": "global", "score": "location"})", "luong"},
    {R"({"type": "global", "score": "scaled_dot"})", "bahdanau"},
    {R"({"type": "local_m", "score": "general", "window": 2})", "luong"},
    {R"({"type": "local_p", "score": "dot", "window": 2})", "luong"},
    {R"({"type": "local_p", "score": "additive", "window": 1})", "bahdanau"},
    {R"({"type": "hard", "score": "additive", "estimator": "reinforce"})", "bahdanau"},
    {R"({"type": "hard", "score": "dot", "estimator": "gumbel_st"})", "luong"},
    {R"({"type": "multi_head", "heads": 4, "score": "scaled_dot", "scope": "global"})", "luong"},
    {R"({"type": "multi_head", "heads": 2, "score": "additive", "scope": {"type": "local_m", "window": 2}})", "bahdanau"},
};

INSTANTIATE_TEST_SUITE_P(RnnDecoders, EveryAttention, ::testing::ValuesIn(kEveryAttention));

TEST(EveryAttentionList, CoversEveryRegisteredAttentionAndScope) {
  std::set<std::string> attentions, scopes;
  for (const auto& [spec, decoder] : kEveryAttention) {
    const json j = json::parse(spec);
    attentions.insert(j.is_string() ? j.get<std::string>() : j.at("type").get<std::string>());
    if (j.is_object() && j.contains("scope"))
      scopes.insert(j.at("scope").is_string() ? j.at("scope").get<std::string>() : j.at("scope").at("type").get<std::string>());
    else if (j.is_object() && j.at("type") != "multi_head")
      scopes.insert(j.at("type").get<std::string>());
  }
  for (const auto& e : attention_registry().entries()) EXPECT_EQ(attentions.count(e.name), 1u) << e.name;
  for (const auto& e : scope_registry().entries()) {
    if (e.name == "global") continue;  // every global attention above
    EXPECT_EQ(scopes.count(e.name), 1u) << e.name << " is trained in no test";
  }
}

TEST(Trainer, EarlyStoppingStopsAfterPatienceEvaluationsWithoutImprovement) {
  // A learning rate of ~0 cannot improve the loss after the first evaluation.
  auto options = tiny_copy(200, R"({"optimizer": {"type": "sgd", "lr": 1e-12, "momentum": 0},
                                    "early_stopping": {"metric": "loss", "patience": 2}})");
  auto task = build_task(options, 3);
  TempDir dir;
  auto outcome = train(*task, options, dir.path().string());
  EXPECT_TRUE(outcome.stopped_early);
  EXPECT_EQ(outcome.state.step, 60);  // evals at 20 (best), 40, 60: two without improvement
  EXPECT_EQ(outcome.state.best_step, 20);
}

}  // namespace
}  // namespace attnlab
