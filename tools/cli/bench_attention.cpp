// attnlab bench attention: forward + backward time of every registered attention variant, the
// growth of the local scopes with the sequence length, and our multi_head against LibTorch's
// torch::nn::MultiheadAttention.
//
// Legend: B batch, T = Tq = Tk query and key steps, D model dims (query, key and value dims),
//         H heads, W = 2 * window + 1 keys a local query sees, A additive hidden dims.
//   every case: query, keys, values [B, T, D] float32 with requires_grad, no masks;
//   one step = forward, loss = context.sum() (+ log p + entropy of a REINFORCE sample), backward.
//   torch::nn::MultiheadAttention is sequence-first: it gets the same inputs as [T, B, D],
//   transposed (and made contiguous) outside the timed code.
// Before a case runs, its peak memory is estimated from the shapes (the largest tensors, times
// how many of them forward and backward keep alive) and the case is skipped above --max-memory-gb;
// the peak it then reaches is measured (peak resident size during the case, minus the resident
// size before it) and printed.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "modules/attention_registry.h"
#include "training/freed_memory.h"
#include "training/peak_memory.h"
#include "tools/cli/bench_command.h"
#include "tools/cli/bench_support.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"

namespace attnlab::cli {

namespace {

constexpr double kMiB = 1024.0 * 1024.0, kGiB = 1024.0 * kMiB;
constexpr int64_t kHeads = 8;
constexpr int64_t kWindow = 10;          // the local scopes' default D: W = 21 keys
constexpr int64_t kAdditiveHidden = 128;  // AdditiveScoreOptions' default A

struct Shape {
  int64_t B, T, D;
};

/// One row of the table: how to build the module at a length and what it needs in memory.
struct Variant {
  std::string name;
  std::function<json(int64_t T)> spec;  // attention_registry() spec; null for LibTorch's module
  bool training;                        // hard attention samples only in training
  /// Floats alive at the peak of forward + backward, beyond the inputs and their gradients.
  std::function<double(const Shape&)> peak_floats;
  bool local;  // its cost should grow linearly with T
};

// Peak-memory models (float counts), calibrated against the peak RSS of single cases on CPU
// (B=32, D=256): score-sized tensors [B, T, Tk] alive at once ~3 (scores, weights, their
// gradients; hard attention's sampling and Gumbel noise add more), ~1.5 for product scores under
// the global scope (the fused modules/dot_product_attention.h: the weights, a chunk of their
// gradient, the head average); additive keeps ~3 of [B, T, Tk, A]; local scopes ~4 of the
// gathered windows [B, T, W, D].
double score_entries(const Shape& s, int64_t keys) { return double(s.B) * s.T * keys; }
double global_floats(const Shape& s) { return 3 * score_entries(s, s.T); }
double fused_global_floats(const Shape& s) { return 1.5 * score_entries(s, s.T); }
double additive_floats(const Shape& s) { return 3 * score_entries(s, s.T) * kAdditiveHidden + global_floats(s); }
double hard_floats(const Shape& s, bool gumbel) { return (gumbel ? 7.5 : 6) * score_entries(s, s.T); }
double window_floats(const Shape& s) {  // keys and values gathered per window [B, T, W, D] (+ gradients)
  const int64_t W = 2 * kWindow + 1;
  return 4 * score_entries(s, W) * s.D + 5 * score_entries(s, W);
}
double shifted_window_floats(const Shape& s) {  // local_m: shifted keys and values [B, T + W - 1, D] (+ gradients)
  const int64_t W = 2 * kWindow + 1;
  return 8.0 * s.B * (s.T + W) * s.D + 5 * score_entries(s, W);
}
double projection_floats(const Shape& s) { return 10.0 * s.B * s.T * s.D; }  // q, k, v, heads, output
double heads_global_floats(const Shape& s) { return kHeads * fused_global_floats(s) + projection_floats(s); }
double torch_heads_floats(const Shape& s) { return 3.5 * kHeads * score_entries(s, s.T) + projection_floats(s); }

json single(const std::string& type, const json& score) { return json{{"type", type}, {"score", score}}; }

std::vector<Variant> variants() {
  auto fixed = [](json spec) { return [spec](int64_t) { return spec; }; };
  std::vector<Variant> list;
  list.push_back({"bahdanau", fixed(json{{"type", "bahdanau"}}), false, additive_floats, false});
  for (const char* score : {"dot", "scaled_dot", "general"})
    list.push_back({std::string("global ") + score, fixed(single("global", score)), false, fused_global_floats, false});
  list.push_back({"global additive", fixed(single("global", "additive")), false, additive_floats, false});
  list.push_back({"global location",
                  [](int64_t T) { return single("global", json{{"type", "location"}, {"max_length", T}}); }, false,
                  global_floats, false});
  list.push_back({"local_m dot", fixed(single("local_m", "dot")), false, shifted_window_floats, true});
  list.push_back({"local_p dot", fixed(single("local_p", "dot")), false, window_floats, true});
  list.push_back({"hard reinforce (train)",
                  fixed(json{{"type", "hard"}, {"score", "dot"}, {"estimator", "reinforce"}}), true,
                  [](const Shape& s) { return hard_floats(s, false); }, false});
  list.push_back({"hard gumbel_st (train)",
                  fixed(json{{"type", "hard"}, {"score", "dot"}, {"estimator", "gumbel_st"}}), true,
                  [](const Shape& s) { return hard_floats(s, true); }, false});
  const json heads = {{"type", "multi_head"}, {"heads", kHeads}, {"score", "scaled_dot"}};
  json global_heads = heads, local_heads = heads;
  global_heads["scope"] = "global";
  local_heads["scope"] = "local_m";
  list.push_back({"multi_head 8 global", fixed(global_heads), false, heads_global_floats, false});
  list.push_back({"multi_head 8 local_m", fixed(local_heads), false,
                  [](const Shape& s) { return shifted_window_floats(s) + projection_floats(s); }, true});
  list.push_back({"torch MultiheadAttention 8", nullptr, false, torch_heads_floats, false});
  return list;
}

/// Times one variant at one shape: forward, sum of the context, backward.
double time_case(const Variant& variant, const Shape& s, int repeats) {
  torch::manual_seed(0);
  auto input = [&] { return torch::randn({s.B, s.T, s.D}, torch::requires_grad()); };
  auto query = input(), keys = input(), values = input();  // [B, T, D]
  std::vector<torch::Tensor> leaves = {query, keys, values};
  std::shared_ptr<torch::nn::Module> module;
  std::function<void()> step;
  if (variant.spec) {
    const auto& registry = attention_registry();
    auto attention = registry.create(registry.resolve(variant.spec(s.T), ""), AttentionDims{s.D, s.D});
    attention->train(variant.training);
    module = attention;
    step = [=] {
      auto out = attention->forward(query, keys, values);
      auto loss = out.context.sum();
      if (out.sample_log_prob.defined()) loss = loss + out.sample_log_prob.sum() + out.entropy.sum();
      loss.backward();
    };
  } else {
    torch::nn::MultiheadAttention mha(torch::nn::MultiheadAttentionOptions(s.D, kHeads));
    mha->train(false);  // like ours: no dropout
    module = mha.ptr();
    auto first = [](const torch::Tensor& x) { return x.detach().transpose(0, 1).contiguous().requires_grad_(); };
    auto q = first(query), k = first(keys), v = first(values);  // [T, B, D]
    leaves = {q, k, v};
    step = [=]() mutable {
      auto [context, weights] = mha->forward(q, k, v);
      context.sum().backward();
    };
  }
  auto reset = [&] {
    module->zero_grad(/*set_to_none=*/true);
    for (auto& t : leaves) t.mutable_grad() = torch::Tensor();
  };
  return median_ms(step, reset, repeats);
}

}  // namespace

int bench_attention_command(int argc, char** argv) {
  cxxopts::Options options("attnlab bench attention",
                           "Time forward + backward of every registered attention: each variant at each length, the "
                           "growth of the local scopes, and multi_head against torch::nn::MultiheadAttention. Cases "
                           "whose estimated memory exceeds --max-memory-gb are skipped.");
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  options.add_options()("lengths", "sequence lengths T = Tq = Tk, comma-separated",
                        cxxopts::value<std::string>()->default_value("128,512,1024,4096"))(
      "batch", "batch size B", cxxopts::value<int64_t>()->default_value("32"))(
      "dims", "model dims D (query = key = value dims)", cxxopts::value<int64_t>()->default_value("256"))(
      "repeats", "timed runs per case (the median is reported), after one warm-up",
      cxxopts::value<int>()->default_value("5"))(
      "threads", "intra-op threads", cxxopts::value<int>()->default_value(std::to_string(hardware)))(
      "max-memory-gb", "skip cases estimated to need more memory than this (GiB)",
      cxxopts::value<double>()->default_value("8"))(
      "only", "only the variants whose name contains one of these (comma-separated)", cxxopts::value<std::string>());
  int exit_code = kExitOk;
  auto args =
      parse_or_exit(options, argc, argv, "attnlab bench attention --lengths 128,1024 --repeats 3", exit_code);
  if (!args) return exit_code;
  auto bad = [](const std::string& message) {
    std::cerr << "attnlab bench attention: " << message << " (see attnlab bench attention --help)\n";
    return kExitBadInput;
  };
  const auto lengths = parse_positive_list((*args)["lengths"].as<std::string>());
  if (lengths.empty()) return bad("--lengths must be positive integers separated by commas");
  const int64_t batch = (*args)["batch"].as<int64_t>(), dims = (*args)["dims"].as<int64_t>();
  const int repeats = (*args)["repeats"].as<int>(), threads = (*args)["threads"].as<int>();
  const double max_gib = (*args)["max-memory-gb"].as<double>();
  if (batch < 1 || dims < 1 || repeats < 1 || threads < 1 || !(max_gib > 0))
    return bad("--batch, --dims, --repeats, --threads and --max-memory-gb must be positive");
  if (dims % kHeads != 0) return bad("--dims must be a multiple of " + std::to_string(kHeads) + " (the heads)");
  const auto only = args->count("only") ? parse_names((*args)["only"].as<std::string>()) : std::vector<std::string>{};

  at::set_num_threads(threads);
  std::cout << "attnlab bench attention: forward + backward, B=" << batch << ", D=" << dims << ", T = Tq = Tk, "
            << "float32 CPU, " << threads << " threads, median of " << repeats << " runs after 1 warm-up\n"
            << "(local scopes: window 10, W = 21 keys; multi_head and torch: 8 heads; no masks; "
            << "skip above ~" << fixed(max_gib, 1) << " GiB; peak MiB: the case's peak resident size above the "
            << "process's before it)\n\n";
  const size_t name_width = 28;
  std::cout << padded("variant", name_width) << padded("T", 6, true) << padded("ms fwd+bwd", 14, true)
            << padded("tokens/s", 14, true) << padded("peak MiB", 12, true) << "\n";

  std::map<std::string, std::map<int64_t, double>> ms;  // variant -> T -> median ms
  std::vector<Variant> selected;
  for (const auto& v : variants()) {
    bool wanted = only.empty();
    for (const auto& o : only) wanted = wanted || v.name.find(o) != std::string::npos;
    if (wanted) selected.push_back(v);
  }
  if (selected.empty()) return bad("--only matches no variant");
  for (const auto& variant : selected) {
    for (int64_t T : lengths) {
      const Shape shape{batch, T, dims};
      const double inputs = 6.0 * batch * T * dims;  // q, k, v and their gradients
      const double need_gib = (inputs + variant.peak_floats(shape)) * sizeof(float) / kGiB;
      std::cout << padded(variant.name, name_width) << padded(std::to_string(T), 6, true) << std::flush;
      if (need_gib > max_gib) {
        std::cout << "   skipped (needs ~" << fixed(need_gib, 1) << " GiB)\n";
        continue;
      }
      release_freed_memory();  // memory kept from earlier cases must not hide this one's peak
      const auto before = resident_memory_bytes();
      const bool peak_restarted = reset_peak_resident_memory();
      const double t = time_case(variant, shape, repeats);
      const auto peak = peak_resident_memory_bytes();
      ms[variant.name][T] = t;
      const bool measured = peak_restarted && before && peak;
      std::cout << padded(fixed(t, 1), 14, true) << padded(fixed(batch * T / (t / 1000.0), 0), 14, true)
                << padded(measured ? fixed((*peak - *before) / kMiB, 0) : "n/a", 12, true) << "\n";
    }
  }

  // Local scopes: between the two longest lengths, linear cost grows like T, quadratic like T^2.
  if (lengths.size() >= 2) {
    const int64_t shorter = lengths[lengths.size() - 2], longer = lengths.back();
    const double ratio = double(longer) / double(shorter);
    std::cout << "\nlocal scopes, time(T=" << longer << ") / time(T=" << shorter << "): linear ~" << fixed(ratio, 0)
              << ", quadratic ~" << fixed(ratio * ratio, 0) << " (goal for local_m at 4096 / 1024: <= 4.5)\n";
    for (const auto& variant : selected) {
      if (!variant.local) continue;
      const auto& row = ms[variant.name];
      std::cout << "  " << padded(variant.name, name_width);
      if (row.count(shorter) && row.count(longer))
        std::cout << fixed(row.at(longer) / row.at(shorter), 2) << "\n";
      else
        std::cout << "n/a (a length was skipped)\n";
    }
  }
  const auto& ours = ms["multi_head 8 global"];
  const auto& reference = ms["torch MultiheadAttention 8"];
  std::cout << "\nmulti_head (scaled_dot, 8 heads, global) / torch::nn::MultiheadAttention, time ours / torch\n";
  for (int64_t T : lengths) {
    std::cout << "  T=" << padded(std::to_string(T), 6);
    if (ours.count(T) && reference.count(T))
      std::cout << fixed(ours.at(T) / reference.at(T), 2) << "\n";
    else
      std::cout << "n/a (not run)\n";
  }
  return kExitOk;
}

}  // namespace attnlab::cli
