// attnlab bench export: the time of an exported TorchScript module against the eager C++ model
// on the same inputs, as a ratio (issue 12's goal: at most 1.1), for the Transformer and the
// Bahdanau RNN translators (greedy and beam search) and the HAN classifier.

#include <iostream>
#include <limits>
#include <string>
#include <thread>

#include "core/special_tokens.h"
#include "models/classifier.h"
#include "models/decoding.h"
#include "models/model_registry.h"
#include "models/seq2seq_model.h"
#include "models/torchscript_export.h"
#include "tools/cli/bench_command.h"
#include "tools/cli/bench_support.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/threads.h"

namespace attnlab::cli {

namespace {

struct Row {
  std::string model, method;
  double eager_ms, exported_ms;
};

void print(const Row& row) {
  std::cout << padded(row.model, 14) << padded(row.method, 10) << padded(fixed(row.eager_ms, 1), 12, true)
            << padded(fixed(row.exported_ms, 1), 14, true) << padded(fixed(row.exported_ms / row.eager_ms, 3), 9, true)
            << std::endl;
}

/// A model of the registry in eval mode, seeded.
std::shared_ptr<torch::nn::Module> build(const json& spec, ModelDims dims) {
  torch::manual_seed(0);
  auto model = model_registry().create(model_registry().resolve(spec, ""), dims);
  model->eval();
  return model;
}

/// Untrained models end early at a random EOS; a bias of -1e9 on it keeps every hypothesis
/// --length tokens long in both the eager and the exported model (they share the tensor).
void forbid_end_of_sentence(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.named_parameters())
    if (p.key() == "generator.bias" || p.key() == "output.bias") p.value()[kEos] = -1e9;
}

void bench_seq2seq(const BenchModel& bench, int64_t B, int64_t length, int64_t vocab, int64_t beam, int repeats) {
  auto model = build(bench.spec, ModelDims{vocab, vocab});
  forbid_end_of_sentence(*model);
  auto& seq2seq = *std::dynamic_pointer_cast<Seq2SeqModelImpl>(model);
  auto exported = export_torchscript(*model).module;
  torch::NoGradGuard no_grad;
  auto source = torch::randint(kNumSpecialTokens, vocab, {B, length}, torch::kLong);
  auto lengths = torch::full({B}, length, torch::kLong);
  const auto options = BeamSearchOptions().beam(beam).max_length_ratio(0).max_length_extra(length).n_best(1);
  auto greedy = exported.get_method("greedy");
  auto beam_search_method = exported.get_method("beam_search");
  print({bench.name, "greedy", median_ms([&] { greedy_decode(seq2seq, source, lengths, length); }, [] {}, repeats),
         median_ms([&] { greedy({source, lengths, length}); }, [] {}, repeats)});
  print({bench.name, "beam" + std::to_string(beam),
         median_ms([&] { beam_search(seq2seq, source, lengths, options); }, [] {}, repeats),
         median_ms([&] { beam_search_method({source, lengths, beam, 0.0, length, 0.6, int64_t{1}}); }, [] {}, repeats)});
}

void bench_classifier(int64_t B, int64_t vocab, int repeats) {
  const json spec = {{"type", "document_classifier"}, {"embedding", 128}, {"hidden", 128}};
  auto model = build(spec, ModelDims{vocab, vocab, 5});
  auto& classifier = *std::dynamic_pointer_cast<ClassifierImpl>(model);
  auto exported = export_torchscript(*model).module;
  torch::NoGradGuard no_grad;
  const int64_t N = 8, W = 16;  // sentences of words
  DocumentInput in{torch::randint(kNumSpecialTokens, vocab, {B, N, W}, torch::kLong), torch::full({B, N}, W, torch::kLong),
                   torch::full({B}, N, torch::kLong), torch::randint(kNumSpecialTokens, vocab, {B, N * W}, torch::kLong),
                   torch::full({B}, N * W, torch::kLong)};
  print({"han", "forward", median_ms([&] { classifier.forward(in); }, [] {}, repeats),
         median_ms([&] { exported.forward({in.words, in.sentence_lengths, in.sentence_counts, in.flat_words, in.flat_lengths}); },
                   [] {}, repeats)});
}

}  // namespace

int bench_export_command(int argc, char** argv) {
  cxxopts::Options options("attnlab bench export",
                           "Time of the exported TorchScript module against the eager C++ model on the same inputs "
                           "(median ms, ratio = exported / eager): the Transformer and the Bahdanau RNN of bench "
                           "model (greedy and beam search, hypotheses of exactly --length tokens) and a HAN "
                           "classifier (8 sentences of 16 words). Untrained weights.");
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  options.add_options()("batch", "sentences or documents per call (B)", cxxopts::value<int64_t>()->default_value("32"))(
      "length", "source tokens, and decoded tokens, per sentence", cxxopts::value<int64_t>()->default_value("32"))(
      "vocab", "vocabulary size", cxxopts::value<int64_t>()->default_value("8000"))(
      "beam", "beam size K", cxxopts::value<int64_t>()->default_value("5"))(
      "repeats", "timed runs per figure (the median is reported), after one warm-up",
      cxxopts::value<int>()->default_value("5"))(
      "threads", "intra-op threads", cxxopts::value<int>()->default_value(std::to_string(hardware)));
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab bench export --threads 2 --repeats 3", exit_code);
  if (!args) return exit_code;
  const int64_t B = (*args)["batch"].as<int64_t>(), length = (*args)["length"].as<int64_t>(),
                vocab = (*args)["vocab"].as<int64_t>(), beam = (*args)["beam"].as<int64_t>();
  const int repeats = (*args)["repeats"].as<int>(), threads = (*args)["threads"].as<int>();
  if (B < 1 || length < 1 || beam < 1 || repeats < 1 || threads < 1 || vocab <= kNumSpecialTokens) {
    std::cerr << "attnlab bench export: --batch, --length, --beam, --repeats, --threads must be positive and --vocab "
                 "above the special tokens (see attnlab bench export --help)\n";
    return kExitBadInput;
  }
  set_thread_count(threads);
  std::cout << "attnlab bench export: B=" << B << ", S=" << length << ", V=" << vocab << ", float32 CPU, " << threads
            << " threads, median of " << repeats << " runs after 1 warm-up\n\n"
            << padded("model", 14) << padded("method", 10) << padded("eager ms", 12, true)
            << padded("exported ms", 14, true) << padded("ratio", 9, true) << std::endl;
  for (const auto& bench : seq2seq_bench_models()) bench_seq2seq(bench, B, length, vocab, beam, repeats);
  bench_classifier(B, vocab, repeats);
  return kExitOk;
}

}  // namespace attnlab::cli
