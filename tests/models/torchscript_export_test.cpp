// The export contract (issue 12): every model kind of the model registry with every attention
// the attention, score and scope registries can build is exported, saved, loaded back with
// torch::jit::load and run at batch sizes and lengths never seen at export (batch 1 and longer
// sequences included); log-probabilities, logits and attention weights match the eager C++
// model within 1e-5, greedy and beam tokens and the n-best order exactly. A new attention, score
// or scope is covered without editing this file. The same files are checked from Python.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>

#include <torch/script.h>

#include "core/special_tokens.h"
#include "models/bert.h"
#include "models/classifier.h"
#include "models/decoding.h"
#include "models/model_registry.h"
#include "models/seq2seq_model.h"
#include "models/torchscript_export.h"
#include "modules/attention_registry.h"
#include "modules/scope_registry.h"
#include "modules/score_registry.h"
#include "tests/test_support.h"

namespace attnlab {
namespace {

using test_util::TempDir;

constexpr int64_t kVocab = 13;
constexpr double kTolerance = 1e-5;

/// Whether the model being checked attends by argmax (hard attention in eval mode). Its beam
/// hypotheses' maps are not compared with teacher forcing on their tokens: teacher forcing computes
/// each step's scores in another batch shape, whose rounding can pick the other key of a near-tie,
/// and the flip carries into every later step and layer (seen with OpenBLAS's Haswell kernels).
/// Their tokens, scores and greedy maps are compared all the same.
bool checking_one_hot_attention = false;


bool attention_builds(const json& spec) {
  try {
    attention_registry().create(attention_registry().resolve(spec, ""), AttentionDims{8, 8});
    return true;
  } catch (const ConfigError&) {
    return false;
  }
}

/// With a window of 1 when the attention takes one (windows smaller than the sequences).
json with_small_window(json spec) {
  json windowed = spec;
  if (spec.contains("scope")) windowed["scope"] = {{"type", spec["scope"]}, {"window", 1}};
  else windowed["window"] = 1;
  return attention_builds(windowed) ? windowed : spec;
}

/// Every attention the registries build: each scope-named attention with each score,
/// multi_head with each score x scope, the others by name.
std::vector<json> every_attention(bool with_none) {
  std::vector<json> specs;
  for (const auto& attention : attention_registry().entries()) {
    if (attention.name == "none") {
      if (with_none) specs.push_back(attention.name);
      continue;
    }
    bool takes_a_score = false;
    for (const auto& score : score_registry().entries()) {
      if (attention.name == "multi_head") {
        for (const auto& scope : scope_registry().entries())
          specs.push_back(with_small_window({{"type", "multi_head"}, {"heads", 2}, {"score", score.name}, {"scope", scope.name}}));
        takes_a_score = true;
        continue;
      }
      json spec = {{"type", attention.name}, {"score", score.name}};
      if (attention_builds(spec)) {
        specs.push_back(with_small_window(spec));
        takes_a_score = true;
      }
    }
    if (!takes_a_score) specs.push_back(with_small_window({{"type", attention.name}}));
  }
  return specs;
}

/// Ids [B, S] in the real vocabulary, kPad past each length.
torch::Tensor random_tokens(const std::vector<int64_t>& lengths, int64_t steps) {
  auto ids = torch::randint(kMask + 1, kVocab, {static_cast<int64_t>(lengths.size()), steps}, torch::kLong);
  auto positions = torch::arange(steps).unsqueeze(0);
  return ids.masked_fill(positions >= torch::tensor(lengths).unsqueeze(1), kPad);
}

void expect_close(const torch::Tensor& actual, const torch::Tensor& expected, const std::string& what) {
  ASSERT_TRUE(actual.defined() && expected.defined()) << what;
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  ASSERT_GT(expected.numel(), 0) << what << ": nothing to compare";
  auto finite = torch::isfinite(expected);
  EXPECT_TRUE(torch::equal(finite, torch::isfinite(actual))) << what << ": -inf in different places";
  auto difference = (actual.to(torch::kDouble) - expected.to(torch::kDouble)).masked_fill(~finite, 0.0);
  EXPECT_LE(difference.abs().max().item<double>(), kTolerance) << what;
}

/// Attention maps [rows, keys] of one hypothesis agree to kTolerance; for argmax attention, each
/// row is a distribution (see checking_one_hot_attention).
void expect_same_maps(const torch::Tensor& actual, const torch::Tensor& expected, const std::string& what) {
  if (!checking_one_hot_attention) return expect_close(actual, expected, what);
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  ASSERT_GT(expected.numel(), 0) << what << ": nothing to compare";
  expect_close(actual.sum(-1), torch::ones({actual.size(0)}), what + ": row sums");
}

/// A saved and reloaded export of `model`.
torch::jit::Module export_and_load(torch::nn::Module& model, const std::string& path, const std::string& expected_kind) {
  auto exported = export_torchscript(model);
  EXPECT_EQ(exported.kind, expected_kind);
  exported.module.save(path);
  return torch::jit::load(path);
}

std::shared_ptr<torch::nn::Module> build(const json& spec, int64_t classes = 0) {
  torch::manual_seed(7);
  auto model = model_registry().create(spec, ModelDims{kVocab, kVocab, classes});
  model->eval();
  return model;
}

// --- seq2seq --------------------------------------------------------------------------------

struct SourceBatch {
  torch::Tensor source, lengths;
};

/// Batch 1 at a length longer than at export (5), and batch 3 with padding.
std::vector<SourceBatch> source_batches() {
  torch::manual_seed(3);
  return {{random_tokens({9}, 9), torch::tensor(std::vector<int64_t>{9})},
          {random_tokens({7, 2, 5}, 7), torch::tensor(std::vector<int64_t>{7, 2, 5})}};
}

void check_seq2seq(Seq2SeqModelImpl& model, torch::jit::Module& exported) {
  torch::NoGradGuard no_grad;
  for (const auto& batch : source_batches()) {
    const int64_t B = batch.source.size(0);
    SCOPED_TRACE("batch " + std::to_string(B));
    // Three teacher-forced steps through decode_step, against decode_next.
    auto eager_state = model.start_decoding(batch.source, batch.lengths);
    auto state = exported.get_method("encode")({batch.source, batch.lengths});
    auto tokens = torch::full({B}, kBos, torch::kLong);
    for (int step = 0; step < 3; ++step) {
      auto expected = model.decode_next(*eager_state, tokens);
      auto out = exported.get_method("decode_step")({tokens, state}).toTuple();
      expect_close(out->elements()[0].toTensor(), torch::log_softmax(expected.logits, -1), "decode_step log_probs");
      if (model.has_attention()) expect_close(out->elements()[1].toTensor(), expected.attention, "decode_step attention");
      auto logits = exported.get_method("decode_step_logits")({tokens, state}).toTuple();
      expect_close(logits->elements()[0].toTensor(), expected.logits, "decode_step_logits logits");
      const auto next_state = out->elements()[2].toTensorList(), logits_next_state = logits->elements()[2].toTensorList();
      ASSERT_EQ(logits_next_state.size(), next_state.size());
      ASSERT_GT(next_state.size(), 0u);
      for (size_t i = 0; i < next_state.size(); ++i)
        EXPECT_TRUE(torch::equal(logits_next_state.get(i), next_state.get(i))) << "decode_step_logits state " << i;
      state = out->elements()[2];
      tokens = torch::randint(0, kVocab, {B}, torch::kLong);  // any id: a model may emit [PAD] or [BOS] too
    }

    // Rows kept, dropped and repeated (as beam search does) by reorder_state, then two steps.
    {
      auto rows = torch::tensor(std::vector<int64_t>{B - 1, 0, 0, B - 1});
      auto eager = model.start_decoding(batch.source, batch.lengths);
      eager->select_rows(rows);
      auto reordered =
          exported.get_method("reorder_state")({exported.get_method("encode")({batch.source, batch.lengths}), rows});
      auto previous = torch::full({4}, kBos, torch::kLong);
      for (int step = 0; step < 2; ++step) {
        auto expected = model.decode_next(*eager, previous);
        auto out = exported.get_method("decode_step")({previous, reordered}).toTuple();
        expect_close(out->elements()[0].toTensor(), torch::log_softmax(expected.logits, -1), "log_probs after reorder_state");
        reordered = out->elements()[2];
        previous = torch::randint(0, kVocab, {4}, torch::kLong);
      }
    }

    auto greedy = greedy_decode(model, batch.source, batch.lengths, 6);
    auto exported_greedy = exported.get_method("greedy")({batch.source, batch.lengths, 6}).toTuple();
    EXPECT_TRUE(torch::equal(exported_greedy->elements()[0].toTensor(), greedy.tokens)) << "greedy tokens";
    EXPECT_TRUE(torch::equal(exported_greedy->elements()[1].toTensor(), greedy.lengths)) << "greedy lengths";
    if (model.has_attention()) expect_close(exported_greedy->elements()[2].toTensor(), greedy.attention, "greedy attention");

    const auto options = BeamSearchOptions().beam(3).max_length_ratio(1.0).max_length_extra(2).length_penalty(0.6).n_best(2);
    auto beams = beam_search(model, batch.source, batch.lengths, options);
    auto out = exported.get_method("beam_search")({batch.source, batch.lengths, 3, 1.0, 2, 0.6, 2}).toTuple();
    const auto& e = out->elements();
    auto out_tokens = e[0].toTensor(), out_lengths = e[1].toTensor(), scores = e[2].toTensor();
    auto log_probs = e[3].toTensor(), ended = e[4].toTensor(), attention = e[5].toTensor();
    ASSERT_EQ(static_cast<int64_t>(beams.size()), B);
    ASSERT_EQ(out_lengths.sizes(), (std::vector<int64_t>{B, 2}));
    for (int64_t b = 0; b < B; ++b) {
      ASSERT_FALSE(beams[b].empty());
      for (int64_t j = 0; j < 2; ++j) {
        SCOPED_TRACE("sentence " + std::to_string(b) + ", hypothesis " + std::to_string(j));
        if (j >= static_cast<int64_t>(beams[b].size())) {
          EXPECT_TRUE(std::isinf(scores[b][j].item<double>()));
          continue;
        }
        const auto& h = beams[b][j];
        const int64_t n = out_lengths[b][j].item<int64_t>();
        ASSERT_EQ(n, static_cast<int64_t>(h.tokens.size()));
        std::vector<int64_t> got(n);
        for (int64_t i = 0; i < n; ++i) got[i] = out_tokens[b][j][i].item<int64_t>();
        EXPECT_EQ(got, h.tokens);
        EXPECT_NEAR(scores[b][j].item<double>(), h.score, kTolerance);
        EXPECT_NEAR(log_probs[b][j].item<double>(), h.log_prob, kTolerance);
        EXPECT_EQ(ended[b][j].item<bool>(), h.ended);
        if (!model.has_attention()) continue;
        // The hypothesis's attention = teacher forcing on its tokens (EOS step included if it ended).
        std::vector<int64_t> target_in{kBos};
        target_in.insert(target_in.end(), h.tokens.begin(), h.tokens.end() - (h.ended ? 0 : 1));
        const int64_t length = batch.lengths[b].item<int64_t>();
        auto forced = model.forward(batch.source.narrow(0, b, 1).narrow(1, 0, length), batch.lengths.narrow(0, b, 1),
                                    torch::tensor(target_in).unsqueeze(0));
        const auto rows = static_cast<int64_t>(target_in.size());
        expect_same_maps(attention[b][j].narrow(0, 0, rows).narrow(1, 0, length), forced.attention[0], "beam attention");
      }
    }
  }
}


std::vector<json> seq2seq_models() {
  std::vector<json> models;
  int i = 0;
  for (const auto& attention : every_attention(/*with_none=*/true)) {
    models.push_back({{"type", "rnn_seq2seq"}, {"embedding", 6}, {"hidden", 8}, {"dropout", 0.0},
                      {"cell", i % 3 == 0 ? "lstm" : "gru"}, {"layers", i % 4 == 1 ? 2 : 1},
                      {"decoder", i % 2 == 0 ? "bahdanau" : "luong"}, {"attention", attention}});
    if (attention != "none")
      models.push_back({{"type", "transformer"}, {"dims", 8}, {"feed_forward", 16}, {"encoder_layers", 1},
                        {"decoder_layers", 2}, {"dropout", 0.0}, {"max_length", 64}, {"pre_norm", i % 2 == 0},
                        {"tie_output", i % 3 == 0}, {"positions", i % 2 == 0 ? "learned" : "sinusoidal"},
                        {"encoder_attention", attention}, {"decoder_attention", attention}, {"cross_attention", attention}});
    ++i;
  }
  return models;
}

/// Exports, reloads and checks every model of `models` (one test per model kind, each over every
/// attention: one process, as the cases are many and small).
template <class Model>
void check_every(const std::vector<json>& models, const std::string& kind, int64_t classes,
                 void (*check)(Model&, torch::jit::Module&)) {
  TempDir dir;
  ASSERT_GT(models.size(), 10u);
  for (const auto& spec : models) {
    SCOPED_TRACE(spec.dump());
    checking_one_hot_attention = spec.dump().find("\"hard\"") != std::string::npos;
    auto model = build(spec, classes);
    auto exported = export_and_load(*model, dir.file("model.pt"), kind);
    auto* typed = dynamic_cast<Model*>(model.get());
    ASSERT_NE(typed, nullptr);
    check(*typed, exported);
  }
}

TEST(ExportSeq2Seq, EveryModelAndAttentionMatchesTheEagerModelAtNewShapes) {
  check_every<Seq2SeqModelImpl>(seq2seq_models(), "seq2seq", 0, check_seq2seq);
}

// --- classifiers ----------------------------------------------------------------------------

/// Documents as the classifiers read them: words by sentence [B, N, W] and flat [B, L].
DocumentInput documents(const std::vector<std::vector<int64_t>>& sentence_lengths, int64_t W) {
  const auto B = static_cast<int64_t>(sentence_lengths.size());
  int64_t N = 0, L = 0;
  for (const auto& doc : sentence_lengths) {
    N = std::max<int64_t>(N, static_cast<int64_t>(doc.size()));
    int64_t total = 0;
    for (auto l : doc) total += l;
    L = std::max(L, total);
  }
  DocumentInput in{torch::full({B, N, W}, kPad, torch::kLong), torch::zeros({B, N}, torch::kLong),
                   torch::zeros({B}, torch::kLong), torch::full({B, L}, kPad, torch::kLong), torch::zeros({B}, torch::kLong)};
  for (int64_t b = 0; b < B; ++b) {
    int64_t at = 0;
    in.sentence_counts[b] = static_cast<int64_t>(sentence_lengths[b].size());
    for (size_t s = 0; s < sentence_lengths[b].size(); ++s) {
      const int64_t l = sentence_lengths[b][s];
      auto words = torch::randint(kMask + 1, kVocab, {l}, torch::kLong);
      in.words[b][s].narrow(0, 0, l).copy_(words);
      in.sentence_lengths[b][s] = l;
      in.flat_words[b].narrow(0, at, l).copy_(words);
      at += l;
    }
    in.flat_lengths[b] = at;
  }
  return in;
}

void check_classifier(ClassifierImpl& classifier, torch::jit::Module& exported) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  // One document of 2 sentences of up to 6 words; three of up to 4 sentences of 5 (longer than at export).
  for (const auto& in : {documents({{6, 3}}, 6), documents({{5, 1, 4, 2}, {2}, {3, 5, 1}}, 5)}) {
    SCOPED_TRACE("batch " + std::to_string(in.words.size(0)));
    auto expected = classifier.forward(in);
    auto out = exported.forward({in.words, in.sentence_lengths, in.sentence_counts, in.flat_words, in.flat_lengths})
                   .toTuple();
    expect_close(out->elements()[0].toTensor(), expected.log_probs, "log_probs");
    if (expected.word_weights.defined()) expect_close(out->elements()[1].toTensor(), expected.word_weights, "word weights");
    else EXPECT_EQ(out->elements()[1].toTensor().numel(), 0);
    if (expected.sentence_weights.defined())
      expect_close(out->elements()[2].toTensor(), expected.sentence_weights, "sentence weights");
    else EXPECT_EQ(out->elements()[2].toTensor().numel(), 0);
  }
}

std::vector<json> classifier_models() {
  std::vector<json> models;
  int i = 0;
  for (const auto& attention : every_attention(/*with_none=*/false)) {
    const bool self_attention = i % 2 == 1;
    models.push_back({{"type", "document_classifier"}, {"structure", i % 3 == 2 ? "flat" : "hierarchical"},
                      {"encoder", self_attention ? "self_attention" : "gru"}, {"embedding", 6}, {"hidden", 8},
                      {"dropout", 0.0}, {"word_pooling", attention}, {"sentence_pooling", attention},
                      {"self_attention", attention}});
    models.push_back({{"type", "bert_classifier"}, {"dims", 8}, {"layers", 1}, {"feed_forward", 16},
                      {"dropout", 0.0}, {"max_length", 16}, {"pre_norm", i % 2 == 0}, {"attention", attention}});
    ++i;
  }
  models.push_back({{"type", "document_classifier"}, {"structure", "mean_pool"}, {"embedding", 6}, {"dropout", 0.0}});
  // Documents longer than max_length - 2 are truncated: the weights past it are zeros.
  models.push_back({{"type", "bert_classifier"}, {"dims", 8}, {"layers", 1}, {"feed_forward", 16}, {"dropout", 0.0},
                    {"max_length", 8}});
  return models;
}

TEST(ExportClassifier, EveryModelAndAttentionMatchesTheEagerModelAtNewShapes) {
  check_every<ClassifierImpl>(classifier_models(), "classifier", 3, check_classifier);
}

// --- masked LM ------------------------------------------------------------------------------

void check_masked_lm(BertMaskedLMImpl& masked_lm, torch::jit::Module& exported) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  for (const auto& lengths : std::vector<std::vector<int64_t>>{{11}, {7, 3, 5}}) {
    auto ids = random_tokens(lengths, lengths[0]);
    auto segments = (torch::arange(lengths[0]).unsqueeze(0) >= 2).to(torch::kLong).expand_as(ids).contiguous();
    expect_close(exported.forward({ids, segments}).toTensor(), masked_lm.forward(ids, segments), "logits");
  }
}

std::vector<json> masked_lm_models() {
  std::vector<json> models;
  int i = 0;
  for (const auto& attention : every_attention(/*with_none=*/false))
    models.push_back({{"type", "bert"}, {"dims", 8}, {"layers", 2}, {"feed_forward", 16}, {"dropout", 0.0},
                      {"max_length", 16}, {"pre_norm", i++ % 2 == 0}, {"attention", attention}});
  return models;
}

TEST(ExportMaskedLM, EveryAttentionMatchesTheEagerModelAtNewShapes) {
  check_every<BertMaskedLMImpl>(masked_lm_models(), "masked_lm", 0, check_masked_lm);
}

// --- the same files in Python ---------------------------------------------------------------

using Entries = std::vector<std::pair<std::string, torch::Tensor>>;

/// A dict of tensors Python's torch.load reads.
void save_case(const std::string& path, const Entries& entries) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : entries) dict.insert(name, tensor);
  const auto bytes = torch::pickle_save(dict);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Entries named(const std::vector<std::string>& names, const c10::IValue& tuple) {
  const auto& elements = tuple.toTuple()->elements();
  EXPECT_EQ(names.size(), elements.size());
  Entries entries;
  for (size_t i = 0; i < names.size() && i < elements.size(); ++i)
    if (!names[i].empty()) entries.emplace_back(names[i], elements[i].toTensor());  // "": not a tensor to compare
  return entries;
}

/// Inputs and the loaded module's C++ results, for tests/python/check_exports.py.
Entries seq2seq_case(torch::jit::Module& exported) {
  const auto batch = source_batches().back();
  Entries entries{{"source", batch.source}, {"lengths", batch.lengths}};
  auto state = exported.get_method("encode")({batch.source, batch.lengths});
  auto step = exported.get_method("decode_step")({torch::full_like(batch.lengths, kBos), state});
  for (auto& e : named({"step_log_probs", "step_attention", ""}, step)) entries.push_back(e);
  for (auto& e : named({"greedy_tokens", "greedy_lengths", "greedy_attention"},
                       exported.get_method("greedy")({batch.source, batch.lengths, 6})))
    entries.push_back(e);
  for (auto& e : named({"beam_tokens", "beam_lengths", "beam_scores", "beam_log_probs", "beam_ended", "beam_attention"},
                       exported.get_method("beam_search")({batch.source, batch.lengths, 3, 1.0, 2, 0.6, 2})))
    entries.push_back(e);
  return entries;
}

TEST(ExportInPython, EveryModelGivesTheNumbersItGivesInCpp) {
  TempDir dir;
  torch::NoGradGuard no_grad;
  int64_t cases = 0;
  auto write = [&](const json& spec, const std::string& kind, int64_t classes,
                   const std::function<Entries(torch::jit::Module&)>& run) {
    const std::string index = std::to_string(cases++);
    auto model = build(spec, classes);
    auto exported = export_and_load(*model, dir.file("model_" + index + ".pt"), kind);
    save_case(dir.file("case_" + index + "_" + kind + ".pt"), run(exported));
  };
  for (const auto& spec : seq2seq_models()) write(spec, "seq2seq", 0, seq2seq_case);
  for (const auto& spec : classifier_models())
    write(spec, "classifier", 3, [](torch::jit::Module& exported) {
      torch::manual_seed(5);
      const auto in = documents({{5, 1, 4, 2}, {2}, {3, 5, 1}}, 5);
      Entries entries{{"words", in.words}, {"sentence_lengths", in.sentence_lengths}, {"sentence_counts", in.sentence_counts},
                      {"flat_words", in.flat_words}, {"flat_lengths", in.flat_lengths}};
      auto out = exported.forward({in.words, in.sentence_lengths, in.sentence_counts, in.flat_words, in.flat_lengths});
      for (auto& e : named({"log_probs", "word_weights", "sentence_weights"}, out)) entries.push_back(e);
      return entries;
    });
  for (const auto& spec : masked_lm_models())
    write(spec, "masked_lm", 0, [](torch::jit::Module& exported) {
      auto ids = random_tokens({7, 3, 5}, 7);
      auto segments = torch::zeros_like(ids);
      return Entries{{"ids", ids}, {"segments", segments}, {"logits", exported.forward({ids, segments}).toTensor()}};
    });
  ASSERT_GT(cases, 100);

  const std::string output = dir.file("python.txt");
  const std::string command = std::string(ATTNLAB_TORCH_PYTHON) + " " + ATTNLAB_SOURCE_DIR +
                              "/tests/python/check_exports.py " + dir.path().string() + " > " + output + " 2>&1";
  const int status = std::system(command.c_str());
  const std::string printed = test_util::read_text(output);
  EXPECT_EQ(status, 0) << printed;
  EXPECT_NE(printed.find("checked " + std::to_string(cases) + " cases, 0 failed"), std::string::npos) << printed;
}

TEST(ExportCoverage, EveryRegisteredModelExports) {
  std::set<std::string> covered;
  for (const auto& models : {seq2seq_models(), classifier_models(), masked_lm_models()})
    for (const auto& m : models) covered.insert(m.at("type").get<std::string>());
  for (const auto& e : model_registry().entries()) EXPECT_EQ(covered.count(e.name), 1u) << e.name << " is not exported in a test";
  EXPECT_GE(every_attention(true).size(), attention_registry().entries().size());
}

}  // namespace
}  // namespace attnlab
