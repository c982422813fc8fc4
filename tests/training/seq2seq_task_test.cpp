// Metrics of the seq2seq task, checked with a hand-made model whose every output is known:
// it copies the source (attending to the source position it copies), but for sources
// longer than 4 it gets the first token wrong.

#include <gtest/gtest.h>

#include "data/synthetic.h"
#include "tokenizers/special_tokens.h"
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
  Hypotheses greedy(const torch::Tensor& source, const torch::Tensor& lengths, int64_t max_steps) override {
    return {predictions(source, lengths, max_steps), lengths, copy_attention(source, max_steps)};
  }

 private:
  int64_t vocab_;
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

}  // namespace
}  // namespace attnlab
