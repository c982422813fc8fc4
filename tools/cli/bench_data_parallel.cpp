// attnlab bench data-parallel: what data-parallel training buys on this machine, measured through
// the real path (`attnlab run`, the Trainer, c10d/Gloo over 127.0.0.1).
//
// One experiment, the Transformer of `bench model` (d=256, ff=1024, 3+3 layers, 8 heads) on the
// synthetic reversal task with every sentence exactly --length tokens and a vocabulary of --vocab,
// is trained for --steps steps of --batch sentences three ways, in turn, --repeats times:
//   1 process x 1 thread, 1 process x --ranks threads, --ranks processes x 1 thread.
// Figures (median over the repeats), from each run's results.json:
//   tokens/s: target tokens per second of training steps (validation and evaluation left out);
//   exchange: the share of a step the ranks spend exchanging (all-reduce of the gradients, the loss
//     weights and moved buffers, waiting for the slower rank included), and the bytes each rank
//     sends into the exchanges per step.
// Then an estimate on paper for --machines machines on a --gbits network (the model is printed).

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/options.h"
#include "tools/cli/bench_command.h"
#include "tools/cli/bench_support.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "training/atomic_file.h"
#include "training/experiment.h"

namespace attnlab::cli {

namespace {

namespace fs = std::filesystem;

struct Layout {
  std::string name;
  int64_t processes, threads;
};

struct Figures {
  double tokens_per_second = 0, exchange_share = 0, exchange_bytes_per_step = 0, parameters = 0;
};

json bench_experiment(int64_t batch, int64_t length, int64_t vocab, int64_t steps) {
  json model;
  for (const auto& m : seq2seq_bench_models())
    if (m.name == "transformer") model = m.spec;
  return {{"name", "bench_data_parallel"},
          {"data", {{"type", "reverse"}, {"symbols", vocab}, {"train_lengths", {length, length}},
                    {"test_lengths", {length, length}}, {"train_size", batch * steps}, {"valid_size", batch},
                    {"test_size", batch}}},
          {"model", model},
          {"train", {{"optimizer", {{"type", "adam"}, {"lr", 0.0001}}}, {"batch_size", batch}, {"max_steps", steps},
                     {"eval_every", steps}, {"log_every", steps}, {"early_stopping", {{"metric", "loss"}}}}},
          {"eval", {{"training_validation", "teacher_forced"}, {"attention_maps", 0}}},
          {"seeds", {1}},
          {"threads", 1},
          {"variants", {{"transformer", json::object()}}}};
}

std::string self_path() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "attnlab";
}

/// Trains the experiment once in `layout` into a fresh `out`; its results.json figures.
Figures train_once(const std::string& experiment, const Layout& layout, const fs::path& out) {
  fs::remove_all(out);
  const std::string command = "'" + self_path() + "' run '" + experiment + "' --out '" + out.string() +
                              "' --set /threads=" + std::to_string(layout.threads) + " --data-parallel " +
                              std::to_string(layout.processes) + " > '" + (out.string() + ".log") + "' 2>&1";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error(layout.name + ": the run failed; see " + out.string() + ".log");
  const json results = read_json_file((out / "bench_data_parallel" / "transformer" / "seed-1" / "results.json").string());
  Figures f;
  f.tokens_per_second = results.at("tokens_per_second").get<double>();
  f.parameters = results.at("parameters").get<double>();
  if (results.contains("data_parallel")) {
    f.exchange_share = results["data_parallel"].at("exchange_share").get<double>();
    f.exchange_bytes_per_step = results["data_parallel"].at("exchange_bytes_per_step").get<double>();
  }
  return f;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int bench_data_parallel_command(int argc, char** argv) {
  cxxopts::Options options("attnlab bench data-parallel",
                           "Training tokens/s of the Transformer of `bench model` as 1 process x 1 thread, 1 process x "
                           "N threads and N processes x 1 thread (c10d/Gloo over 127.0.0.1, through `attnlab run "
                           "--data-parallel N`), the share of a step spent exchanging and the bytes exchanged per "
                           "step; then the scaling to several machines estimated on paper.");
  options.add_options()("ranks", "processes of the data-parallel run (N)", cxxopts::value<int64_t>()->default_value("2"))(
      "batch", "sentences per step (all ranks together)", cxxopts::value<int64_t>()->default_value("32"))(
      "length", "source and target tokens per sentence", cxxopts::value<int64_t>()->default_value("32"))(
      "vocab", "vocabulary size", cxxopts::value<int64_t>()->default_value("8000"))(
      "steps", "training steps per run", cxxopts::value<int64_t>()->default_value("30"))(
      "repeats", "runs of each layout, in turn (the median is reported)", cxxopts::value<int64_t>()->default_value("3"))(
      "machines", "machines of the estimate on paper", cxxopts::value<int64_t>()->default_value("8"))(
      "gbits", "network speed of the estimate, Gbit/s", cxxopts::value<double>()->default_value("10"))(
      "keep", "keep the runs in this directory (default: a temporary one, removed)", cxxopts::value<std::string>());
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, "attnlab bench data-parallel --steps 20 --repeats 3", exit_code);
  if (!args) return exit_code;
  const int64_t ranks = (*args)["ranks"].as<int64_t>(), batch = (*args)["batch"].as<int64_t>(),
                length = (*args)["length"].as<int64_t>(), vocab = (*args)["vocab"].as<int64_t>(),
                steps = (*args)["steps"].as<int64_t>(), repeats = (*args)["repeats"].as<int64_t>(),
                machines = (*args)["machines"].as<int64_t>();
  const double gbits = (*args)["gbits"].as<double>();
  if (ranks < 2 || ranks > 64 || batch < ranks || length < 2 || vocab < 8 || steps < 2 || repeats < 1 || machines < 1 ||
      !(gbits > 0)) {
    std::cerr << "attnlab bench data-parallel: --ranks in [2, 64], --batch >= --ranks, --length >= 2, --vocab >= 8, "
                 "--steps >= 2, --repeats, --machines and --gbits positive (see --help)\n";
    return kExitBadInput;
  }
  const bool keep = args->count("keep") > 0;
  const fs::path dir = keep ? fs::path((*args)["keep"].as<std::string>())
                            : fs::temp_directory_path() / ("attnlab-bench-dp-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string experiment = (dir / "experiment.json").string();
  write_file_atomically(experiment, bench_experiment(batch, length, vocab, steps).dump(2) + "\n");

  const std::vector<Layout> layouts = {{"1 process x 1 thread", 1, 1},
                                       {"1 process x " + std::to_string(ranks) + " threads", 1, ranks},
                                       {std::to_string(ranks) + " processes x 1 thread", ranks, 1}};
  std::vector<std::vector<Figures>> runs(layouts.size());
  std::cout << "attnlab bench data-parallel: Transformer of bench model, B=" << batch << " sentences per step, S=T="
            << length << ", V=" << vocab << ", " << steps << " steps per run, " << repeats << " runs of each layout in turn\n";
  try {
    for (int64_t r = 0; r < repeats; ++r)
      for (size_t i = 0; i < layouts.size(); ++i) runs[i].push_back(train_once(experiment, layouts[i], dir / ("run-" + std::to_string(i))));
  } catch (const std::exception& e) {
    std::cerr << "attnlab bench data-parallel: " << e.what() << "\n";
    return kExitFailure;
  }
  auto median_of = [&](size_t i, double Figures::*field) {
    std::vector<double> values;
    for (const auto& f : runs[i]) values.push_back(f.*field);
    return median(values);
  };
  std::cout << "parameters: " << static_cast<int64_t>(runs[0][0].parameters) << "\n\n"
            << padded("layout", 26) << padded("tokens/s", 10, true) << padded("x 1 thread", 12, true)
            << padded("exchange", 10, true) << padded("MiB/step/rank", 15, true) << "\n";
  const double single = median_of(0, &Figures::tokens_per_second);
  for (size_t i = 0; i < layouts.size(); ++i) {
    const double tps = median_of(i, &Figures::tokens_per_second);
    const bool dp = layouts[i].processes > 1;
    std::cout << padded(layouts[i].name, 26) << padded(fixed(tps, 0), 10, true) << padded(fixed(tps / single, 2), 12, true)
              << padded(dp ? fixed(100 * median_of(i, &Figures::exchange_share), 1) + "%" : "-", 10, true)
              << padded(dp ? fixed(median_of(i, &Figures::exchange_bytes_per_step) / (1024.0 * 1024.0), 2) : "-", 15, true)
              << "\n";
  }
  // On paper: each machine is this one as 1 process x N threads (its best layout here), taking
  // a batch of --batch sentences; a step is that machine's measured step plus a ring all-reduce of
  // the measured gradient bytes, 2 (M - 1) / M of them over each machine's link, with 2 (M - 1)
  // hops of latency, not overlapped with compute.
  const double bytes = median_of(layouts.size() - 1, &Figures::exchange_bytes_per_step);
  const double machine_tps = median_of(1, &Figures::tokens_per_second);
  const double tokens_per_step = static_cast<double>(batch * length);
  const double compute_step = tokens_per_step / machine_tps;
  const double m = static_cast<double>(machines), latency = 50e-6;
  const double ring = 2 * (m - 1) / m * bytes / (gbits * 1e9 / 8) + 2 * (m - 1) * latency;
  const double step = compute_step + ring;
  std::cout << "\nEstimate for " << machines << " machines like this one on " << fixed(gbits, 0) << " Gbit/s, each "
            << layouts[1].name << " on " << batch << " sentences a step:\n  step = " << fixed(compute_step * 1000, 0)
            << " ms (measured above) + ring all-reduce of " << fixed(bytes / (1024.0 * 1024.0), 1)
            << " MiB: 2(M-1)/M x bytes / link speed + 2(M-1) x 50 us = " << fixed(ring * 1000, 1)
            << " ms, not overlapped\n  -> " << fixed(m * tokens_per_step / step, 0) << " tokens/s, "
            << fixed(m * tokens_per_step / step / machine_tps, 2) << " x one machine (ideal " << machines << ")\n";
  if (!keep) fs::remove_all(dir);
  return kExitOk;
}

}  // namespace attnlab::cli
