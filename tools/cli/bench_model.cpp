// attnlab bench model: how fast whole seq2seq models train and decode at fixed sizes, and how
// much memory they take: the Transformer against the Bahdanau RNN encoder-decoder.
//
// Legend: B batch, S source steps, T target steps (S = T = --length), V vocabulary (source =
//         target), K beam size, N decoded sentences.
//   inputs: random ids in [first non-special id, V), every sentence exactly --length long, so
//           there is no padding and every model does the same work.
//   training step: forward with teacher forcing [B, T] -> label-smoothed NLL (ε = 0.1) ->
//           backward -> Adam step; tokens/s counts target tokens (B·T per step), as the run
//           table's tokens/s does.
//   decoding: N sentences in batches of B, greedy and beam K, with the end-of-sentence token
//           forbidden until --length tokens (untrained models would otherwise stop at random
//           points), so every hypothesis is exactly --length tokens long.
//   FLOP/s: the matrix-product FLOPs of one training step (forward + backward, counted by
//           training/matmul_flops.h) per second of a step, and that as a share of the measured
//           float GEMM speed (1024³, same threads): how much of the machine a step uses.
//   peer (--peer): the same two models in Python PyTorch eager (tools/python/bench_peer.py, same
//           sizes, same parameter count, greedy decoding with the same cached keys and values),
//           twice: as a user runs it by default (PyTorch's thread count, the kernels OpenBLAS picks
//           by itself) and given attnlab's threads and kernels. Both peers are started with each
//           model and time one run whenever asked, so attnlab's runs and theirs alternate run by
//           run; printed as attnlab/peer ratios of training tokens/s and greedy sentences/s.
//           --peer-default-core gives the default peer other kernels: the default of a machine
//           where OpenBLAS picks those by itself (Prescott, its generic fallback), read here.
//   memory: peak resident set size of the process while a model is built, trained and decoded
//           (the peak is restarted before each model; it includes LibTorch's own footprint,
//           printed as "process before").

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>
#include <thread>

#include <torch/csrc/autograd/profiler_legacy.h>

#include "core/special_tokens.h"
#include "data/masking.h"
#include "models/bert.h"
#include "models/decoding.h"
#include "models/model_registry.h"
#include "models/seq2seq_model.h"
#include "tools/cli/bench_command.h"
#include "tools/cli/bench_peer.h"
#include "tools/cli/bench_support.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/blas_kernels.h"
#include "training/masked_lm_task.h"
#include "training/matmul_flops.h"
#include "training/optimizers.h"
#include "training/peak_memory.h"
#include "training/seq2seq_task.h"
#include "training/threads.h"

namespace attnlab::cli {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

/// Decodes like `model` but forbids the end-of-sentence token, so that greedy and beam search
/// always run to their maximum length.
class NoEndOfSentence : public Seq2SeqModelImpl {
 public:
  explicit NoEndOfSentence(Seq2SeqModelImpl& model) : model_(model) {}
  Seq2SeqOutput forward(const torch::Tensor& source, const torch::Tensor& source_lengths,
                        const torch::Tensor& target_in) override {
    return model_.forward(source, source_lengths, target_in);
  }
  bool has_attention() const override { return model_.has_attention(); }
  std::unique_ptr<DecoderState> start_decoding(const torch::Tensor& source,
                                               const torch::Tensor& source_lengths) override {
    return model_.start_decoding(source, source_lengths);
  }
  DecoderStep decode_next(DecoderState& state, const torch::Tensor& previous_tokens) override {
    auto step = model_.decode_next(state, previous_tokens);
    // In place, as the Python peer does: the models' logits are fresh tensors of this step.
    step.logits.select(1, kEos).fill_(-std::numeric_limits<float>::infinity());
    return step;
  }
  std::unique_ptr<DecoderState> state_from_tensors(const std::vector<torch::Tensor>& tensors) override {
    return model_.state_from_tensors(tensors);
  }

 private:
  Seq2SeqModelImpl& model_;
};

struct Sizes {
  int64_t batch, length, vocab, sentences, beam;
  int repeats;
  std::string profile_prefix;  // --profile: PREFIX.MODEL.json, one training step; PREFIX.MODEL.greedy.json, one greedy batch
};

/// Random full-length sentences: source [B, S], lengths [B], target_in [B, T], target_out [B, T].
struct RandomBatch {
  torch::Tensor source, source_lengths, target_in, target_out;
};
RandomBatch random_batch(const Sizes& s) {
  auto ids = [&] { return torch::randint(kNumSpecialTokens, s.vocab, {s.batch, s.length}, torch::kLong); };
  RandomBatch b;
  b.source = ids();
  b.source_lengths = torch::full({s.batch}, s.length, torch::kLong);
  auto target = ids();
  auto bos = torch::full({s.batch, 1}, kBos, torch::kLong), eos = torch::full({s.batch, 1}, kEos, torch::kLong);
  b.target_in = torch::cat({bos, target.narrow(1, 0, s.length - 1)}, 1);
  b.target_out = torch::cat({target.narrow(1, 1, s.length - 1), eos}, 1);
  return b;
}

/// The figures of one way to run the Python peer, timed in turn with attnlab's runs.
struct PeerFigures {
  PeerSettings settings;
  int threads = 0;
  std::string blas_core;
  double train_ms = 0, greedy_ms = 0;
};

struct ModelFigures {
  int64_t parameters = 0;
  double train_ms = 0, greedy_ms = 0, beam_ms = 0;  // per batch (training step) or per N sentences
  int64_t train_flops = 0;                          // matrix products of one training step
  std::optional<double> peak_bytes;
  std::vector<PeerFigures> peers;
};

/// Starts the peers of a model of this many parameters (none without --peer).
using StartPeers = std::function<std::vector<std::unique_ptr<PeerProcess>>(int64_t parameters)>;

/// attnlab's run first, then each peer's, `repeats` rounds after a warm-up: medians in that order.
std::vector<double> in_turn(const std::function<void()>& reset, const std::function<void()>& step,
                            std::vector<std::unique_ptr<PeerProcess>>& peers, const std::string& what, int repeats) {
  std::vector<std::function<double()>> runs{[&] {
    reset();
    return elapsed_ms(step);
  }};
  for (auto& peer : peers) runs.push_back([&peer, &what] { return peer->time_ms(what); });
  return alternating_median_ms(runs, repeats);
}

ModelFigures measure(const BenchModel& bench, const Sizes& s, const StartPeers& start_peers) {
  torch::manual_seed(0);
  const auto& registry = model_registry();
  auto module = registry.create(registry.resolve(bench.spec, ""), ModelDims{s.vocab, s.vocab});
  auto model = std::dynamic_pointer_cast<Seq2SeqModelImpl>(module);
  TORCH_CHECK(model, "bench model: ", bench.name, " is not a seq2seq model");
  ModelFigures figures;
  for (const auto& p : model->parameters()) figures.parameters += p.numel();
  auto peers = start_peers(figures.parameters);

  // Training: one optimizer step per batch.
  model->train();
  auto optimizer = optimizer_registry().create(optimizer_registry().resolve(json{{"type", "adam"}, {"lr", 1e-4}}, ""),
                                               model->parameters());
  const auto batch = random_batch(s);
  {
    MatmulFlopCounter counter;
    auto out = model->forward(batch.source, batch.source_lengths, batch.target_in);
    label_smoothed_nll(out.log_probs.flatten(0, 1), batch.target_out.flatten(), 0.1, kPad).backward();
    figures.train_flops = counter.flops();
    optimizer->zero_grad();
  }
  const auto train = in_turn(
      [&] { optimizer->zero_grad(); },
      [&] {
        auto out = model->forward(batch.source, batch.source_lengths, batch.target_in);
        auto loss = label_smoothed_nll(out.log_probs.flatten(0, 1), batch.target_out.flatten(), 0.1, kPad);
        loss.backward();
        optimizer->step();
      },
      peers, "train", s.repeats);
  figures.train_ms = train[0];
  if (!s.profile_prefix.empty()) {  // one more step, traced (chrome://tracing format)
    optimizer->zero_grad();
    torch::autograd::profiler::RecordProfile trace(s.profile_prefix + "." + bench.name + ".json");
    auto out = model->forward(batch.source, batch.source_lengths, batch.target_in);
    label_smoothed_nll(out.log_probs.flatten(0, 1), batch.target_out.flatten(), 0.1, kPad).backward();
    optimizer->step();
  }

  // Decoding: N sentences in batches of B.
  model->eval();
  torch::NoGradGuard no_grad;
  NoEndOfSentence decoder(*model);
  std::vector<RandomBatch> batches;
  for (int64_t done = 0; done < s.sentences; done += s.batch) batches.push_back(random_batch(s));
  // The figures are for hypotheses of exactly --length tokens: check that decoding ran that far.
  const auto probe = greedy_decode(decoder, batches[0].source, batches[0].source_lengths, s.length);
  TORCH_CHECK(probe.lengths.eq(s.length).all().item<bool>(), "bench model: ", bench.name,
              " decoded hypotheses shorter than --length");
  const auto beam = BeamSearchOptions().beam(s.beam).max_length_ratio(0).max_length_extra(s.length);
  const auto greedy = in_turn(
      [] {},
      [&] {
        for (const auto& b : batches) greedy_decode(decoder, b.source, b.source_lengths, s.length);
      },
      peers, "greedy", s.repeats);
  figures.greedy_ms = greedy[0];
  if (!s.profile_prefix.empty()) {  // one more greedy batch, traced
    torch::autograd::profiler::RecordProfile trace(s.profile_prefix + "." + bench.name + ".greedy.json");
    greedy_decode(decoder, batches[0].source, batches[0].source_lengths, s.length);
  }
  for (size_t i = 0; i < peers.size(); ++i)
    figures.peers.push_back({peers[i]->settings(), peers[i]->threads(), peers[i]->blas_core(), train[i + 1], greedy[i + 1]});
  figures.beam_ms = median_ms(
      [&] {
        for (const auto& b : batches) beam_search(decoder, b.source, b.source_lengths, beam);
      },
      [] {}, s.repeats);
  figures.peak_bytes = peak_resident_memory_bytes();
  return figures;
}

/// The BERT encoder of the masked LM (d=256, 4 layers, 4 heads, ff=1024): one training step on
/// B random sequences of --bert-length tokens, 15% of them masked as in training.
ModelFigures measure_bert(const Sizes& s, int64_t length) {
  torch::manual_seed(0);
  const json spec = {{"type", "bert"}, {"dims", 256}, {"layers", 4}, {"feed_forward", 1024}, {"dropout", 0.1},
                     {"max_length", std::max<int64_t>(512, length)}, {"attention", BertOptions::default_attention()}};
  auto module = model_registry().create(model_registry().resolve(spec, ""), ModelDims{s.vocab, s.vocab});
  auto model = std::dynamic_pointer_cast<BertMaskedLMImpl>(module);
  TORCH_CHECK(model, "bench model: bert is not a masked LM");
  ModelFigures figures;
  for (const auto& p : model->parameters()) figures.parameters += p.numel();
  model->train();
  auto optimizer = optimizer_registry().create(optimizer_registry().resolve(json{{"type", "adam"}, {"lr", 1e-4}}, ""),
                                               model->parameters());
  auto ids = torch::randint(kNumSpecialTokens, s.vocab, {s.batch, length}, torch::kLong);  // [B, T]
  const auto masked = mask_tokens(ids, torch::ones_like(ids, torch::kBool), s.vocab, MaskingOptions(), masking_generator(1));
  const auto segments = torch::zeros_like(ids);
  {
    MatmulFlopCounter counter;
    masked_lm_loss(model->logits_at(masked.input, segments, masked.selected), masked.targets).backward();
    figures.train_flops = counter.flops();
    optimizer->zero_grad();
  }
  figures.train_ms = median_ms(
      [&] {
        masked_lm_loss(model->logits_at(masked.input, segments, masked.selected), masked.targets).backward();
        optimizer->step();
      },
      [&] { optimizer->zero_grad(); }, s.repeats);
  figures.peak_bytes = peak_resident_memory_bytes();
  return figures;
}

std::string mebibytes(const std::optional<double>& bytes) { return bytes ? fixed(*bytes / kMiB, 0) : "n/a"; }

/// The peers of one model beside it.
struct PeerRows {
  std::string model;
  ModelFigures attnlab;
};

void print_peer_table(const std::vector<PeerRows>& models, const Sizes& s, int64_t decoded, int threads) {
  const auto kernels = blas_kernels();
  std::cout << "\npeer: the same models in Python PyTorch eager (tools/python/bench_peer.py), each run timed in turn "
               "with attnlab's; attnlab: " << threads << " threads, BLAS core " << (kernels.core.empty() ? "?" : kernels.core)
            << "; same settings: these threads and this BLAS core; + malloc: and attnlab's kept freed memory\n"
            << padded("model", 14) << padded("peer run", 21) << padded("threads", 8, true) << "  "
            << padded("BLAS core", 10) << padded("train tok/s", 13, true) << padded("greedy sent/s", 15, true)
            << padded("attnlab/peer: train", 21, true) << padded("greedy", 8, true) << "\n";
  const double tokens = static_cast<double>(s.batch * s.length);
  for (const auto& m : models) {
    for (const auto& peer : m.attnlab.peers)
      std::cout << padded(m.model, 14) << padded(peer.settings.label, 21) << padded(std::to_string(peer.threads), 8, true)
                << "  " << padded(peer.blas_core, 10) << padded(fixed(tokens / (peer.train_ms / 1000.0), 0), 13, true)
                << padded(fixed(decoded / (peer.greedy_ms / 1000.0), 1), 15, true)
                << padded(fixed(peer.train_ms / m.attnlab.train_ms, 2) + "x", 21, true)
                << padded(fixed(peer.greedy_ms / m.attnlab.greedy_ms, 2) + "x", 8, true) << "\n";
  }
}

}  // namespace

int bench_model_command(int argc, char** argv) {
  cxxopts::Options options("attnlab bench model",
                           "Training tokens/s, decoding sentences/s (greedy and beam search) and peak resident memory "
                           "of the Transformer (d=256, ff=1024, 3+3 layers, 8 heads) and the Bahdanau RNN "
                           "encoder-decoder (bi-GRU 256, embeddings 256), on random sentences of a fixed length.");
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  options.add_options()("batch", "sentences per training step and per decoding batch (B)",
                        cxxopts::value<int64_t>()->default_value("32"))(
      "length", "source and target tokens per sentence; decoded hypotheses are this long too",
      cxxopts::value<int64_t>()->default_value("32"))(
      "vocab", "source = target vocabulary size", cxxopts::value<int64_t>()->default_value("8000"))(
      "sentences", "sentences decoded per timed run (N)", cxxopts::value<int64_t>()->default_value("64"))(
      "beam", "beam size K", cxxopts::value<int64_t>()->default_value("5"))(
      "repeats", "timed runs per figure (the median is reported), after one warm-up",
      cxxopts::value<int>()->default_value("5"))(
      "threads", "intra-op threads (LibTorch's and BLAS's, as a run's \"threads\")",
      cxxopts::value<int>()->default_value(std::to_string(hardware)))(
      "blas-threads", "BLAS threads, when they should differ from --threads", cxxopts::value<int>())(
      "bert-length", "tokens per sequence of the BERT masked-LM training step",
      cxxopts::value<int64_t>()->default_value("128"))(
      "only", "only the models whose name contains one of these (comma-separated): transformer, rnn_bahdanau, bert",
      cxxopts::value<std::string>())(
      "profile", "also trace one training step of each seq2seq model into PREFIX.MODEL.json and one greedy batch "
      "into PREFIX.MODEL.greedy.json (chrome://tracing)",
      cxxopts::value<std::string>())(
      "peer", "also time the same Transformer and RNN in Python PyTorch eager: by default, with attnlab's "
      "threads and BLAS kernels, and with these and attnlab's kept freed memory; print attnlab/peer ratios")(
      "peer-default-core", "the BLAS kernels (OPENBLAS_CORETYPE) of the default peer, as on a machine where "
      "OpenBLAS picks these by itself: e.g. Prescott, its generic fallback on processors it does not know",
      cxxopts::value<std::string>())(
      "python", "the Python with torch that runs the peer", cxxopts::value<std::string>()->default_value("/usr/bin/python3"))(
      "peer-script", "the peer's script", cxxopts::value<std::string>()->default_value(default_peer_script()));
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab bench model --threads 2 --repeats 3", exit_code);
  if (!args) return exit_code;
  auto bad = [](const std::string& message) {
    std::cerr << "attnlab bench model: " << message << " (see attnlab bench model --help)\n";
    return kExitBadInput;
  };
  Sizes sizes{(*args)["batch"].as<int64_t>(),    (*args)["length"].as<int64_t>(), (*args)["vocab"].as<int64_t>(),
              (*args)["sentences"].as<int64_t>(), (*args)["beam"].as<int64_t>(),   (*args)["repeats"].as<int>(),
              args->count("profile") ? (*args)["profile"].as<std::string>() : std::string()};
  const int threads = (*args)["threads"].as<int>();
  if (sizes.batch < 1 || sizes.sentences < 1 || sizes.beam < 1 || sizes.repeats < 1 || threads < 1)
    return bad("--batch, --sentences, --beam, --repeats and --threads must be positive");
  if (sizes.length < 2) return bad("--length must be at least 2");
  if (sizes.vocab <= kNumSpecialTokens) return bad("--vocab must exceed the " + std::to_string(kNumSpecialTokens) + " special tokens");
  const auto only = args->count("only") ? parse_names((*args)["only"].as<std::string>()) : std::vector<std::string>{};
  std::vector<BenchModel> selected;
  for (const auto& m : seq2seq_bench_models()) {
    bool wanted = only.empty();
    for (const auto& o : only) wanted = wanted || m.name.find(o) != std::string::npos;
    if (wanted) selected.push_back(m);
  }
  bool bert = only.empty();
  for (const auto& o : only) bert = bert || std::string("bert").find(o) != std::string::npos;
  const int64_t bert_length = (*args)["bert-length"].as<int64_t>();
  if (bert_length < 2) return bad("--bert-length must be at least 2");
  if (selected.empty() && !bert) return bad("--only matches no model; known: transformer, rnn_bahdanau, bert");
  const bool peer = args->count("peer") > 0;
  std::optional<std::string> peer_default_core;
  if (args->count("peer-default-core")) {
    peer_default_core = (*args)["peer-default-core"].as<std::string>();
    if (!peer) return bad("--peer-default-core needs --peer");
    if (peer_default_core->empty() ||
        !std::all_of(peer_default_core->begin(), peer_default_core->end(), [](unsigned char c) { return std::isalnum(c); }))
      return bad("--peer-default-core must be an OpenBLAS core name (letters and digits, e.g. Prescott), got \"" +
                 *peer_default_core + "\"");
  }

  set_thread_count(threads);
  const int blas_threads = args->count("blas-threads") ? (*args)["blas-threads"].as<int>() : threads;
  if (blas_threads < 1) return bad("--blas-threads must be positive");
  if (args->count("blas-threads")) set_blas_thread_count(blas_threads);
  const int64_t decoded = (sizes.sentences + sizes.batch - 1) / sizes.batch * sizes.batch;  // whole batches
  std::cout << "attnlab bench model: B=" << sizes.batch << ", S=T=" << sizes.length << " tokens, V=" << sizes.vocab
            << ", float32 CPU, " << threads << " threads (BLAS " << blas_threads << "), median of " << sizes.repeats << " runs after 1 warm-up\n"
            << "(training: teacher forcing + label-smoothed NLL + backward + Adam step, target tokens/s; decoding: "
            << decoded << " sentences of exactly " << sizes.length << " tokens, greedy and beam " << sizes.beam
            << "; process before: " << mebibytes(resident_memory_bytes()) << " MiB resident)\n";
  const double gemm_gflops = measure_gemm_gflops(1024, 3);
  std::cout << "float GEMM 1024³ at these threads: " << fixed(gemm_gflops, 1)
            << " GFLOP/s (train GFLOP/s: matrix products of a training step, counted, per second of a step)\n\n";
  auto flop_cells = [&](const ModelFigures& f) {
    const double gflops = static_cast<double>(f.train_flops) / (f.train_ms / 1000.0) / 1e9;
    return padded(fixed(gflops, 1), 12, true) + padded(fixed(100.0 * gflops / gemm_gflops, 0) + "%", 11, true);
  };
  if (!selected.empty()) {
    std::cout << padded("model", 14) << padded("params", 10, true) << padded("train tok/s", 14, true)
              << padded("GFLOP/s", 12, true) << padded("% of GEMM", 11, true) << padded("greedy sent/s", 16, true) << padded("beam" + std::to_string(sizes.beam) + " sent/s", 15, true)
              << padded("peak RSS MiB", 15, true) << "\n";
  }
  const PeerSetup peer_setup{(*args)["python"].as<std::string>(), (*args)["peer-script"].as<std::string>()};
  std::vector<PeerRows> peer_rows;
  for (const auto& bench : selected) {
    if (!reset_peak_resident_memory()) std::cerr << "(cannot restart the peak resident size: peaks are since start)\n";
    std::cout << padded(bench.name, 14) << std::flush;
    const StartPeers start_peers = [&](int64_t parameters) {
      std::vector<std::unique_ptr<PeerProcess>> started;
      if (!peer) return started;
      const PeerSizes peer_sizes{bench.name, sizes.batch, sizes.length, sizes.vocab, decoded, parameters};
      for (auto settings : {default_peer_settings(peer_default_core), same_peer_settings(threads, PeerMalloc::as_glibc_ships),
                            same_peer_settings(threads, PeerMalloc::kept_freed)})
        started.push_back(std::make_unique<PeerProcess>(peer_setup, std::move(settings), peer_sizes));
      return started;
    };
    ModelFigures f;
    try {
      f = measure(bench, sizes, start_peers);
    } catch (const std::runtime_error& e) {  // the peer's; LibTorch's c10::Error is not one
      std::cout << "\n";
      std::cerr << "attnlab bench model: " << e.what() << "\n";
      return kExitBadInput;
    }
    if (peer) peer_rows.push_back({bench.name, f});
    std::cout << padded(fixed(f.parameters / 1e6, 2) + "M", 10, true)
              << padded(fixed(sizes.batch * sizes.length / (f.train_ms / 1000.0), 0), 14, true) << flop_cells(f)
              << padded(fixed(decoded / (f.greedy_ms / 1000.0), 1), 16, true)
              << padded(fixed(decoded / (f.beam_ms / 1000.0), 1), 15, true) << padded(mebibytes(f.peak_bytes), 15, true)
              << "\n";
  }
  if (peer) print_peer_table(peer_rows, sizes, decoded, threads);
  if (bert) {
    if (!selected.empty()) std::cout << "\n";
    std::cout << "masked LM (d=256, 4 layers, 4 heads, ff=1024): B=" << sizes.batch << ", T=" << bert_length
              << " tokens, 15% masked; training: forward + MLM head at the masked positions + cross-entropy + "
                 "backward + Adam step, input tokens/s\n"
              << padded("model", 14) << padded("params", 10, true) << padded("train tok/s", 14, true)
              << padded("GFLOP/s", 12, true) << padded("% of GEMM", 11, true) << padded("peak RSS MiB", 15, true)
              << "\n";
    if (!reset_peak_resident_memory()) std::cerr << "(cannot restart the peak resident size: peaks are since start)\n";
    std::cout << padded("bert", 14) << std::flush;
    const auto f = measure_bert(sizes, bert_length);
    std::cout << padded(fixed(f.parameters / 1e6, 2) + "M", 10, true)
              << padded(fixed(sizes.batch * bert_length / (f.train_ms / 1000.0), 0), 14, true) << flop_cells(f)
              << padded(mebibytes(f.peak_bytes), 15, true) << "\n";
  }
  return kExitOk;
}

}  // namespace attnlab::cli
