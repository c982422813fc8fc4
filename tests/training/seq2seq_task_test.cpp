// Metrics of the seq2seq task, checked with a hand-made model whose every output is known:
// it copies the source (attending to the source position it copies), but for sources
// longer than 4 it gets the first token wrong.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "core/special_tokens.h"
#include "data/synthetic.h"
#include "modules/attention.h"
#include "training/seq2seq_task.h"

namespace attnlab {
namespace {

class CopyOracle : public Seq2SeqModelImpl {
 public:
  explicit CopyOracle(int64_t vocab) : vocab_(vocab) {}

  // Predicted ids at steps 0..T-1: source[t] for t < length, EOS at t = length, PAD after.
  torch::Tensor predictions(const torch::Tensor& source, const torch::Tensor& lengths, int64_t steps) const {
    auto out = torch::full({source.size(0), steps}, kPad, torch::kLong);
    for (int64_t b = 0; b < source.size(0); ++b) {
      const int64_t n = lengths[b].item<int64_t>();
      for (int64_t t = 0; t < std::min(n, steps); ++t) out[b][t] = source[b][t];
      if (n < steps) out[b][n] = kEos;
      if (n > 4) out[b][0] = kUnk;  // wrong on long inputs
    }
    return out;
  }
  torch::Tensor copy_attention(const torch::Tensor& source, int64_t steps) const {
    auto eye = torch::eye(steps, source.size(1));          // step t attends to position t
    return eye.unsqueeze(0).expand({source.size(0), steps, source.size(1)}).clone();
  }

  Seq2SeqOutput forward(const torch::Tensor& source, const torch::Tensor& lengths, const torch::Tensor& target_in) override {
    const int64_t T = target_in.size(1);
    auto logits = torch::one_hot(predictions(source, lengths, T), vocab_).to(torch::kFloat) * 30.0;
    Seq2SeqOutput out;
    out.log_probs = torch::log_softmax(logits, -1);
    out.attention = copy_attention(source, T);
    return out;
  }
  bool has_attention() const override { return true; }
  /// A stand-in estimator term: records the reward it is given and adds a known constant.
  torch::Tensor estimator_loss(const Seq2SeqOutput& /*output*/, const torch::Tensor& reward,
                               const torch::Tensor& step_mask) override {
    last_reward = reward.clone();
    last_step_mask = step_mask.clone();
    return torch::tensor(5.0);
  }
  torch::Tensor last_reward, last_step_mask;
  std::unique_ptr<DecoderState> start_decoding(const torch::Tensor&, const torch::Tensor&) override {
    TORCH_CHECK(false, "CopyOracle decodes with greedy() only");
  }
  DecoderStep decode_next(DecoderState&, const torch::Tensor&) override {
    TORCH_CHECK(false, "CopyOracle decodes with greedy() only");
  }
  Hypotheses greedy(const torch::Tensor& source, const torch::Tensor& lengths, int64_t max_steps) override {
    return {predictions(source, lengths, max_steps), lengths, copy_attention(source, max_steps)};
  }

 private:
  int64_t vocab_;
};

/// Copies the source, then repeats its last token: it never chooses EOS, so only the step limit ends it.
class EndlessCopy : public CopyOracle {
 public:
  using CopyOracle::CopyOracle;
  Hypotheses greedy(const torch::Tensor& source, const torch::Tensor& lengths, int64_t max_steps) override {
    auto out = torch::empty({source.size(0), max_steps}, torch::kLong);
    for (int64_t b = 0; b < source.size(0); ++b) {
      const int64_t n = lengths[b].item<int64_t>();
      for (int64_t t = 0; t < max_steps; ++t) out[b][t] = source[b][std::min(t, n - 1)];
    }
    return {out, torch::full({source.size(0)}, max_steps, torch::kLong), torch::Tensor()};
  }
};

TEST(Seq2SeqTask, AccuracyExactMatchAlignmentAndBuckets) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().symbols(6).train_lengths({2, 4})
                                                            .test_lengths({2, 8}).train_size(50).valid_size(20)
                                                            .test_size(200));
  auto model = std::make_shared<CopyOracle>(data->tokenizer->vocab_size());
  Seq2SeqTask task(data, model, EvalOptions().length_buckets({4, 8}).batch_size(7));

  // Expected figures, counted from the test split itself.
  double short_examples = 0, long_examples = 0, long_tokens = 0;
  for (const auto& ex : data->split("test")) {
    const double n = static_cast<double>(ex.source.size());
    if (n <= 4) short_examples += 1;
    else { long_examples += 1; long_tokens += n + 1; }
  }
  ASSERT_GT(short_examples, 0);
  ASSERT_GT(long_examples, 0);
  const double all_examples = short_examples + long_examples;

  auto m = task.evaluate("test");
  EXPECT_DOUBLE_EQ(m.at("exact_match"), short_examples / all_examples);
  EXPECT_DOUBLE_EQ(m.at("exact_match@1-4"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("exact_match@5-8"), 0.0);
  EXPECT_DOUBLE_EQ(m.at("token_accuracy@1-4"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("token_accuracy@5-8"), (long_tokens - long_examples) / long_tokens);
  EXPECT_EQ(m.count("exact_match@9+"), 0u);  // an empty bucket has no figure
  EXPECT_DOUBLE_EQ(m.at("alignment_accuracy"), 1.0);
  EXPECT_GT(m.at("loss"), 0.0);
  EXPECT_NEAR(m.at("ppl"), std::exp(m.at("loss")), 1e-9);

  auto valid = task.evaluate("valid");  // only short inputs: all right
  EXPECT_DOUBLE_EQ(valid.at("exact_match"), 1.0);
  EXPECT_DOUBLE_EQ(valid.at("token_accuracy"), 1.0);
  EXPECT_LT(valid.at("loss"), 1e-6);
}

TEST(Seq2SeqTask, AStopFlagEndsAnEvaluationAndAClearedOneLetsItRun) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().symbols(6).train_lengths({2, 4})
                                                            .test_lengths({2, 8}).train_size(50).valid_size(20)
                                                            .test_size(30));
  auto model = std::make_shared<CopyOracle>(data->tokenizer->vocab_size());
  Seq2SeqTask task(data, model, EvalOptions().batch_size(7));
  std::atomic<bool> stop{true};
  task.set_stop_flag(&stop);
  model->train();
  EXPECT_THROW(task.evaluate("test"), EvaluationStopped);
  EXPECT_TRUE(model->is_training());  // the training mode comes back
  stop = false;
  EXPECT_EQ(task.evaluate("test").count("exact_match"), 1u);
}

TEST(Seq2SeqTask, GreedyOutputsStopAtTheirOwnSentencesLimitWhateverTheBatch) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().symbols(6).train_lengths({2, 4})
                                                            .test_lengths({2, 12}).train_size(50).valid_size(20)
                                                            .test_size(60));
  data->has_text = true;  // references: the targets' text, which a copy of the source cut at its length matches
  for (auto& [name, examples] : data->splits)
    for (auto& ex : examples) ex.target_text = data->tokenizer->decode(ex.target);
  auto model = std::make_shared<EndlessCopy>(data->tokenizer->vocab_size());
  // Limit ⌈1.0 · |source|⌉ + 0 = the source length: each output is exactly its source, in a
  // batch of one or beside longer sentences (a batch-wide limit would let short ones run on).
  for (int64_t batch_size : {1, 64}) {
    Seq2SeqTask task(data, model, EvalOptions().batch_size(batch_size).max_length_ratio(1.0).max_length_extra(0));
    EXPECT_DOUBLE_EQ(task.evaluate("test").at("bleu"), 100.0) << "batch size " << batch_size;
  }
}

TEST(Seq2SeqTask, MetricNamesAreExactlyWhatEvaluateReturns) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().train_lengths({5, 25}).test_lengths({5, 50})
                                                            .train_size(100).valid_size(30).test_size(60));
  Seq2SeqTask task(data, std::make_shared<CopyOracle>(data->tokenizer->vocab_size()),
                   EvalOptions().length_buckets({10, 25, 50}));
  for (const char* split : {"valid", "test"}) {
    auto names = task.metric_names(split);
    std::vector<std::string> returned;
    for (const auto& [name, value] : task.evaluate(split)) returned.push_back(name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, returned) << split;
  }
  // valid has train lengths only: no figures for the longer buckets.
  const auto valid = task.metric_names("valid");
  EXPECT_EQ(std::count(valid.begin(), valid.end(), "exact_match@26-50"), 0);
  EXPECT_EQ(task.splits(), (std::vector<std::string>{"test", "train", "valid"}));
}

TEST(Seq2SeqTask, TeacherForcedValidationLeavesDecodingOutAndSaysSo) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().train_lengths({5, 25}).test_lengths({5, 50})
                                                            .train_size(100).valid_size(30).test_size(60));
  Seq2SeqTask task(data, std::make_shared<CopyOracle>(data->tokenizer->vocab_size()),
                   EvalOptions().length_buckets({10, 25, 50}).training_validation("teacher_forced"));
  auto names = task.validation_metric_names("valid");
  std::vector<std::string> returned;
  const auto validated = task.validate("valid");
  for (const auto& [name, value] : validated) returned.push_back(name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, returned);
  EXPECT_EQ(validated.count("token_accuracy"), 0u);
  EXPECT_DOUBLE_EQ(validated.at("loss"), task.evaluate("valid").at("loss"));  // the same teacher-forced figures
  EXPECT_EQ(task.evaluate("valid").count("token_accuracy"), 1u);               // the final evaluation decodes
}

TEST(Seq2SeqTask, AttentionEntropyIsZeroForOneHotWeights) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().symbols(6).train_lengths({2, 4})
                                                            .test_lengths({2, 4}).train_size(50).valid_size(20)
                                                            .test_size(20));
  Seq2SeqTask task(data, std::make_shared<CopyOracle>(data->tokenizer->vocab_size()), EvalOptions());
  EXPECT_DOUBLE_EQ(task.evaluate("test").at("attention_entropy"), 0.0);
  // The entropy itself: uniform over 4 keys is log 4; one-hot and all-zero rows are 0.
  auto entropy = weight_entropy(torch::tensor({0.25, 0.25, 0.25, 0.25, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0},
                                              torch::kDouble).view({3, 4}));
  ASSERT_EQ(entropy.sizes(), (std::vector<int64_t>{3}));
  EXPECT_NEAR(entropy[0].item<double>(), std::log(4.0), 1e-12);
  EXPECT_EQ(entropy[1].item<double>(), 0.0);
  EXPECT_EQ(entropy[2].item<double>(), 0.0);
}

TEST(Seq2SeqTask, TheModelsEstimatorLossIsAddedWithThePerTokenLogLikelihoodAsReward) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().symbols(6).train_lengths({2, 6})
                                                            .test_lengths({2, 6}).train_size(50).valid_size(20)
                                                            .test_size(20));
  auto model = std::make_shared<CopyOracle>(data->tokenizer->vocab_size());
  Seq2SeqTask task(data, model, EvalOptions());
  const std::vector<int64_t> examples = {0, 1, 2, 3};
  auto loss = task.train_loss(examples, 0).loss.item<double>();
  // The oracle's own NLL: every token is right with log-softmax of a 30-logit one-hot.
  auto batch = make_batch(data->split("train"), examples);
  auto out = model->forward(batch.source, batch.source_lengths, batch.target_in);
  auto nll = torch::nll_loss(out.log_probs.flatten(0, 1), batch.target_out.flatten(), {}, at::Reduction::Mean, kPad);
  EXPECT_NEAR(loss, nll.item<double>() + 5.0, 1e-6);
  ASSERT_EQ(model->last_reward.sizes(), (std::vector<int64_t>{4}));
  for (int64_t b = 0; b < 4; ++b) {
    double log_likelihood = 0;
    for (int64_t t = 0; t < batch.target_out.size(1); ++t) {
      const int64_t y = batch.target_out[b][t].item<int64_t>();
      if (y != kPad) log_likelihood += out.log_probs[b][t][y].item<double>();
    }
    const double tokens = batch.target_lengths[b].item<double>();
    EXPECT_NEAR(model->last_reward[b].item<double>(), log_likelihood / tokens, 1e-5) << b;
    EXPECT_EQ(model->last_step_mask[b].sum().item<int64_t>(), batch.target_lengths[b].item<int64_t>());
  }
}

TEST(Seq2SeqTask, AttentionMapsShowTheDecodedTokensAgainstTheSource) {
  auto data = make_synthetic_data(SyntheticKind::kCopy, SyntheticOptions().symbols(6).train_lengths({2, 4})
                                                            .test_lengths({2, 4}).train_size(50).valid_size(20)
                                                            .test_size(20));
  Seq2SeqTask task(data, std::make_shared<CopyOracle>(data->tokenizer->vocab_size()), EvalOptions());
  auto maps = task.attention_maps("test", 2);
  ASSERT_EQ(maps.size(), 2u);
  for (size_t i = 0; i < maps.size(); ++i) {
    const auto& ex = data->split("test")[i];
    const auto& map = maps[i];
    EXPECT_EQ(map.name, "test-" + std::to_string(i));
    ASSERT_EQ(map.source_tokens.size(), ex.source.size());
    EXPECT_EQ(map.source_tokens[0], data->tokenizer->piece(ex.source[0]));
    // The oracle copies: the output tokens are the source tokens and EOS, one row each.
    ASSERT_EQ(map.output_tokens.size(), ex.source.size() + 1);
    EXPECT_EQ(map.output_tokens.back(), data->tokenizer->piece(kEos));
    ASSERT_EQ(map.weights.size(), map.output_tokens.size());
    for (size_t t = 0; t < ex.source.size(); ++t) {
      EXPECT_EQ(map.output_tokens[t], map.source_tokens[t]);
      ASSERT_EQ(map.weights[t].size(), ex.source.size());
      for (size_t j = 0; j < ex.source.size(); ++j) EXPECT_EQ(map.weights[t][j], t == j ? 1.0 : 0.0);
    }
  }
  EXPECT_EQ(task.attention_maps("test", 100).size(), data->split("test").size());
}

}  // namespace
}  // namespace attnlab

namespace attnlab {
namespace {

TEST(LabelSmoothing, MatchesAHandComputedCase) {
  // Two targets over V = 3 (the second is padding, id 0): p = (0.2, 0.7, 0.1), target 1, ε = 0.1:
  //   q = (0.1/3, 0.9 + 0.1/3, 0.1/3);  loss = -Σ q log p.
  auto probs = torch::tensor({0.2, 0.7, 0.1, 0.3, 0.3, 0.4}, torch::kDouble).view({2, 3});
  auto targets = torch::tensor({int64_t{1}, int64_t{kPad}});
  const double eps = 0.1;
  const double expected = -(eps / 3 * std::log(0.2) + (0.9 + eps / 3) * std::log(0.7) + eps / 3 * std::log(0.1));
  auto loss = label_smoothed_nll(probs.log(), targets, eps, kPad);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-12);
  // ε = 0 is the plain negative log-likelihood.
  EXPECT_NEAR(label_smoothed_nll(probs.log(), targets, 0.0, kPad).item<double>(), -std::log(0.7), 1e-12);
}

TEST(LabelSmoothing, LossAndGradientEqualTheComposedExpression) {
  // The fused backward against autograd through the formula written out, on logits that reach
  // the loss through log_softmax as in the models; padding targets included.
  torch::manual_seed(3);
  const int64_t N = 12, V = 9;
  auto targets = torch::randint(1, V, {N});
  targets.index_put_({torch::tensor({2, 7})}, kPad);
  for (double eps : {0.0, 0.1, 0.3}) {
    auto logits = torch::randn({N, V}, torch::kDouble).requires_grad_();
    auto reference_logits = logits.detach().clone().requires_grad_();
    auto loss = label_smoothed_nll(torch::log_softmax(logits, 1), targets, eps, kPad);
    loss.backward();
    auto log_probs = torch::log_softmax(reference_logits, 1);
    auto real = targets.ne(kPad);
    auto per_target = (1 - eps) * -log_probs.gather(1, targets.unsqueeze(1)).squeeze(1) + eps * -log_probs.mean(1);
    auto reference = (per_target * real).sum() / real.sum();
    reference.backward();
    EXPECT_NEAR(loss.item<double>(), reference.item<double>(), 1e-12) << "eps " << eps;
    ASSERT_EQ(logits.grad().sizes(), reference_logits.grad().sizes());
    EXPECT_TRUE(torch::allclose(logits.grad(), reference_logits.grad(), 0, 1e-12)) << "eps " << eps;
    EXPECT_TRUE(logits.grad().index({2}).abs().max().item<double>() == 0.0);  // padding: no gradient
  }
}

}  // namespace
}  // namespace attnlab
