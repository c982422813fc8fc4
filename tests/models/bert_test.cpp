// BERT: the MLM head is tied to the token embeddings (one tensor), embeddings are token +
// position + segment, padding changes nothing at real positions, [CLS] … [SEP] sequences for
// classification are built as worked out by hand.

#include <gtest/gtest.h>

#include <cmath>

#include "core/special_tokens.h"
#include "models/bert.h"

namespace attnlab {
namespace {

constexpr int64_t V = 20, D = 16;

/// A long [rows, steps] tensor of ids (special-token enums and plain numbers mixed).
torch::Tensor ids_of(const std::vector<std::vector<int64_t>>& rows) {
  std::vector<int64_t> flat;
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  return torch::tensor(flat, torch::kLong).reshape({static_cast<int64_t>(rows.size()), -1});
}

BertOptions tiny_bert() {
  return BertOptions(V).dims(D).layers(2).feed_forward(32).dropout(0.0).max_length(12).attention(
      attention_registry().resolve(BertOptions::default_attention(), ""));
}

TEST(Bert, MaskedLMHeadIsTiedToTheTokenEmbeddings) {
  torch::manual_seed(1);
  BertMaskedLMImpl model(tiny_bert());
  const auto parameters = model.named_parameters();
  int64_t vocab_by_dims = 0;
  for (const auto& p : parameters)
    if (p.value().sizes() == torch::IntArrayRef{V, D}) ++vocab_by_dims;
  EXPECT_EQ(vocab_by_dims, 1);  // the token embeddings, and no output matrix of their own
  ASSERT_TRUE(parameters.contains("encoder.token_embedding.weight"));
  ASSERT_TRUE(parameters.contains("head_bias"));
  EXPECT_EQ(parameters["head_bias"].sizes(), torch::IntArrayRef{V});

  // The head's output is the transformed state against that very tensor, plus the bias.
  auto hidden = torch::randn({3, D});
  auto transformed = model.head_norm(torch::gelu(model.head_dense(hidden)));
  auto expected = torch::matmul(transformed, parameters["encoder.token_embedding.weight"].t()) + parameters["head_bias"];
  EXPECT_TRUE(torch::allclose(model.head(hidden), expected, 1e-5, 1e-5));
  // A gradient of the head reaches the embeddings.
  model.head(hidden).sum().backward();
  ASSERT_TRUE(model.encoder->token_embedding->weight.grad().defined());
  EXPECT_GT(model.encoder->token_embedding->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(Bert, EmbeddingsAreTokenPlusPositionPlusSegmentThenNormed) {
  torch::manual_seed(2);
  BertEncoderImpl encoder(tiny_bert());
  encoder.eval();
  auto ids = ids_of({{kCls, 9, 10, kSep}});
  auto segments = ids_of({{0, 0, 1, 1}});
  auto embedded = encoder.token_embedding(ids) + encoder.positional->table.narrow(0, 0, 4).unsqueeze(0) +
                  encoder.segment_embedding(segments);
  auto expected = encoder.layers(encoder.embedding_norm(embedded), ids.eq(kPad));
  EXPECT_TRUE(torch::allclose(encoder.forward(ids, segments).hidden, expected, 1e-5, 1e-5));
  // Another segment id changes the output: the segment embeddings are used.
  EXPECT_FALSE(torch::allclose(encoder.forward(ids, torch::zeros_like(segments)).hidden, expected, 1e-4, 1e-4));
}

TEST(Bert, SinusoidalPositionsStartAtTheScaleOfTheTokenEmbeddings) {
  torch::manual_seed(3);
  BertEncoderImpl encoder(tiny_bert().positions("sinusoidal"));
  const auto& table = encoder.positional->table;  // [max_length, D]
  ASSERT_EQ(table.sizes(), (std::vector<int64_t>{12, D}));
  // The sinusoids of sinusoidal_table() times 0.02 sqrt(2): RMS 0.02 (sin² + cos² = 1 per pair).
  EXPECT_TRUE(torch::allclose(table, sinusoidal_table(12, D) * 0.02 * std::sqrt(2.0), 1e-6, 1e-7));
  const double rms = table.pow(2).mean().sqrt().item<double>();
  EXPECT_NEAR(rms, 0.02, 1e-6);
  const double token_rms = encoder.token_embedding->weight.narrow(0, kNumSpecialTokens, V - kNumSpecialTokens)
                               .pow(2).mean().sqrt().item<double>();
  EXPECT_GT(token_rms, 0.01);
  EXPECT_LT(token_rms, 0.03);
}

TEST(Bert, PaddingChangesNothingAtRealPositions) {
  torch::manual_seed(3);
  BertMaskedLMImpl model(tiny_bert());
  model.eval();
  auto ids = ids_of({{kCls, 8, kMask, 11, kSep}});
  auto padded = torch::cat({ids, torch::full({1, 4}, kPad, torch::kLong)}, 1);  // [1, 9]
  auto short_logits = model.forward(ids, torch::zeros_like(ids));                // [1, 5, V]
  auto long_logits = model.forward(padded, torch::zeros_like(padded));           // [1, 9, V]
  ASSERT_EQ(long_logits.sizes(), (std::vector<int64_t>{1, 9, V}));
  EXPECT_TRUE(torch::allclose(long_logits.narrow(1, 0, 5), short_logits, 1e-5, 1e-5));
  // logits_at gives the same rows as forward at the selected positions.
  auto selected = padded.eq(kMask);
  auto at = model.logits_at(padded, torch::zeros_like(padded), selected);  // [1, V]
  ASSERT_EQ(at.sizes(), (std::vector<int64_t>{1, V}));
  EXPECT_TRUE(torch::allclose(at[0], long_logits[0][2], 1e-5, 1e-5));
}

TEST(Bert, ClassifierSequencesAreClsWordsSepTruncatedToMaxLength) {
  auto words = ids_of({{7, 8, 9, 10, 11}, {12, 13, kPad, kPad, kPad}, {kPad, kPad, kPad, kPad, kPad}});
  auto lengths = torch::tensor({5, 2, 0}, torch::kLong);
  auto ids = cls_sep_sequence(words, lengths, 6);  // room for 4 words
  auto expected = ids_of({{kCls, 7, 8, 9, 10, kSep},
                                 {kCls, 12, 13, kSep, kPad, kPad},
                                 {kCls, kSep, kPad, kPad, kPad, kPad}});
  ASSERT_EQ(ids.sizes(), expected.sizes());
  EXPECT_TRUE(torch::equal(ids, expected)) << ids;
  auto roomy = cls_sep_sequence(words.narrow(0, 1, 1), lengths.narrow(0, 1, 1), 100);  // [1, 7]
  EXPECT_TRUE(torch::equal(roomy, ids_of({{kCls, 12, 13, kSep, kPad, kPad, kPad}}))) << roomy;
}

TEST(Bert, ClassifierGivesClassLogProbabilitiesAndClsAttentionOverTheWords) {
  torch::manual_seed(5);
  BertClassifierImpl model(tiny_bert(), 3);
  model.eval();
  DocumentInput input;
  input.flat_words = ids_of({{7, 8, 9}, {10, kPad, kPad}});
  input.flat_lengths = torch::tensor({3, 1}, torch::kLong);
  auto out = model.forward(input);
  ASSERT_EQ(out.log_probs.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(torch::allclose(out.log_probs.exp().sum(1), torch::ones({2}), 1e-5, 1e-5));
  ASSERT_EQ(out.word_weights.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(torch::allclose(out.word_weights.sum(1), torch::ones({2}), 1e-5, 1e-5));
  EXPECT_EQ(out.word_weights[1][1].item<double>(), 0.0);  // padding gets no weight
  // The log-probabilities are those of classify() on [CLS] w [SEP].
  auto ids = cls_sep_sequence(input.flat_words, input.flat_lengths, 12);
  EXPECT_TRUE(torch::allclose(out.log_probs, torch::log_softmax(model.classify(ids, torch::zeros_like(ids)), -1), 1e-5, 1e-5));
}

}  // namespace
}  // namespace attnlab
