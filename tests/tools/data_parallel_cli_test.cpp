// Data-parallel training through the binary, on loopback: two ranks of one thread train a
// seq2seq, a classification and a masked-LM run to the weights and results of one process on the
// same batches, and evaluate their shares of the splits to the same metrics and predictions; a
// rank killed mid-run ends the other with a message naming it, and the resumed run ends where an
// uninterrupted one does; bad rendezvous arguments are one line, exit 2, and write nothing.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <thread>

#include "core/options.h"
#include "tests/test_support.h"
#include "tests/tools/cli_support.h"
#include "training/checkpoint.h"
#include "training/experiment.h"
#include "training/gloo_collective.h"
#include "training/runner.h"

extern char** environ;

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using test_util::attnlab_cli;
using test_util::quote;
using test_util::read_text;
using test_util::TempDir;
using test_util::write_text;

/// The tiny seq2seq experiment without dropout, one variant and seed, two micro-batches a step.
json seq2seq_experiment(int64_t max_steps) {
  json e = json::parse(test_util::kTinyExperiment);
  e["name"] = "dp";
  e["model"]["dropout"] = 0.0;
  e["variants"].erase("none");
  e["seeds"] = {1};
  e["train"]["max_steps"] = max_steps;
  e["train"]["eval_every"] = 10;
  e["train"]["grad_accumulation"] = 2;
  return e;
}

json classification_experiment() {
  return json::parse(R"({
    "name": "dp", "task": "classification",
    "data": {"type": "key_sentence", "classes": 3, "fillers": 10, "sentences": [2, 4], "sentence_length": [3, 6],
             "train_size": 200, "valid_size": 20, "test_size": 30, "seed": 1},
    "model": {"type": "document_classifier", "structure": "hierarchical", "encoder": "gru", "embedding": 8,
              "hidden": 12, "dropout": 0.0},
    "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 11, "max_steps": 20, "eval_every": 10,
              "early_stopping": {"metric": "accuracy"}},
    "seeds": [1], "threads": 1, "variants": {"han": {}}
  })");
}

json masked_lm_experiment(const TempDir& dir) {
  std::string text;
  for (int i = 0; i < 120; ++i) {
    std::string line;
    for (int k = 0; k < 4 + i % 5; ++k) line += (k ? " w" : "w") + std::to_string((i + k) % 10);
    text += line + "\n";
  }
  for (const char* split : {"train", "valid", "test"}) write_text(dir.file(std::string(split) + ".txt"), text);
  json e = json::parse(R"({
    "name": "dp", "task": "masked_lm",
    "data": {"type": "monolingual_text", "tokenizer": "word", "max_length": 12},
    "model": {"type": "bert", "dims": 16, "layers": 1, "feed_forward": 32, "dropout": 0.0, "max_length": 12,
              "attention": {"type": "multi_head", "heads": 2, "score": "scaled_dot", "scope": "global"}},
    "train": {"optimizer": {"type": "adam", "lr": 0.002}, "batch_size": 15, "max_steps": 20, "eval_every": 10,
              "early_stopping": {"metric": "masked_accuracy"}},
    "eval": {"attention_maps": 0},
    "seeds": [1], "threads": 1, "variants": {"bert": {}}
  })");
  for (const char* split : {"train", "valid", "test"}) e["data"][split] = dir.file(std::string(split) + ".txt");
  return e;
}

/// The one run directory of an experiment written by `attnlab run` into `out`.
fs::path only_run(const fs::path& out) {
  std::vector<fs::path> runs;
  for (const auto& entry : fs::recursive_directory_iterator(out))
    if (entry.path().filename() == "config.json") runs.push_back(entry.path().parent_path());
  EXPECT_EQ(runs.size(), 1u) << out;
  return runs.empty() ? fs::path() : runs.front();
}

/// |a - b| / |a| over all parameters as one vector (L2 norms).
double relative_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  EXPECT_FALSE(a.empty());
  double difference = 0, norm = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    difference += (a[i] - b[i]).to(torch::kDouble).pow(2).sum().item<double>();
    norm += a[i].to(torch::kDouble).pow(2).sum().item<double>();
  }
  return std::sqrt(difference) / std::max(1e-30, std::sqrt(norm));
}

/// Trains `experiment` once in one process and once as two ranks; their weights and results agree.
/// With SGD (momentum 0.9): the ranks' float sums round differently from one process's, and Adam,
/// dividing by the root of the squared gradients, turns that rounding in gradients that are zero
/// but for it (an attention's key bias: the softmax ignores it) into steps of the full learning
/// rate (measured: 3e-6 to 8e-6 relative after 20 Adam steps, 1e-8 with SGD).
void expect_data_parallel_equals_one_process(json experiment, const TempDir& dir) {
  experiment["train"]["optimizer"] = {{"type", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}};
  experiment["eval"]["batch_size"] = 8;  // several evaluation batches a split: a share for each rank
  write_text(dir.file("experiment.json"), experiment.dump());
  const auto one = attnlab_cli("run " + quote(dir.file("experiment.json")) + " --out " + quote(dir.file("one")), dir);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto two = attnlab_cli(
      "run " + quote(dir.file("experiment.json")) + " --out " + quote(dir.file("two")) + " --data-parallel 2", dir);
  ASSERT_EQ(two.exit_code, 0) << two.err;

  const fs::path a = only_run(dir.file("one")), b = only_run(dir.file("two"));
  EXPECT_LE(relative_difference(test_util::checkpoint_weights(a), test_util::checkpoint_weights(b)), 1e-6);
  const json ra = read_json_file((a / "results.json").string()), rb = read_json_file((b / "results.json").string());
  EXPECT_EQ(ra["steps"], rb["steps"]);
  EXPECT_EQ(ra["best_step"], rb["best_step"]);
  ASSERT_FALSE(ra["metrics"].empty());
  for (const auto& [split, metrics] : ra["metrics"].items()) {
    ASSERT_FALSE(metrics.empty()) << split;
    for (const auto& [name, value] : metrics.items()) {
      ASSERT_TRUE(rb["metrics"][split].contains(name)) << split << " " << name;
      const double x = value.get<double>(), y = rb["metrics"][split][name].get<double>();
      EXPECT_NEAR(x, y, 1e-5 * std::max(1.0, std::abs(x))) << split << " " << name;
    }
  }
  // The ranks validated their shares during training: the same figures at the same steps.
  const auto validations = [](const fs::path& run) {
    std::vector<json> result;
    std::istringstream in(read_text((run / "metrics.jsonl").string()));
    for (std::string line; std::getline(in, line);)
      if (json event = json::parse(line); event["event"] == "eval") result.push_back(event);
    return result;
  };
  const auto valid_one = validations(a), valid_two = validations(b);
  ASSERT_FALSE(valid_one.empty());
  ASSERT_EQ(valid_one.size(), valid_two.size());
  for (size_t i = 0; i < valid_one.size(); ++i) {
    EXPECT_EQ(valid_one[i]["step"], valid_two[i]["step"]);
    ASSERT_FALSE(valid_one[i]["metrics"].empty());
    for (const auto& [name, value] : valid_one[i]["metrics"].items()) {
      const double x = value.get<double>(), y = valid_two[i]["metrics"].at(name).get<double>();
      EXPECT_NEAR(x, y, 1e-5 * std::max(1.0, std::abs(x))) << "validation at step " << valid_one[i]["step"] << " " << name;
    }
  }
  // The ranks evaluated their shares of the report split: every prediction once, as one process made it.
  const auto lines = [](const fs::path& run) {
    std::vector<std::string> result;
    std::istringstream in(read_text((run / "predictions.jsonl").string()));
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  };
  const auto predicted_one = lines(a), predicted_two = lines(b);
  ASSERT_FALSE(predicted_one.empty());
  ASSERT_EQ(predicted_one.size(), predicted_two.size());
  for (size_t i = 0; i < predicted_one.size(); ++i) {
    const json x = json::parse(predicted_one[i]), y = json::parse(predicted_two[i]);
    EXPECT_EQ(x["id"], y["id"]) << "line " << i + 1;
    EXPECT_EQ(x["hypothesis"], y["hypothesis"]) << "line " << i + 1;
  }
  const json per_rank = rb["data_parallel"]["evaluation"]["predictions_per_rank"];
  ASSERT_EQ(per_rank.size(), 2u) << rb.dump();
  EXPECT_GT(per_rank[0].get<int64_t>(), 0);
  EXPECT_GT(per_rank[1].get<int64_t>(), 0);
  EXPECT_EQ(per_rank[0].get<size_t>() + per_rank[1].get<size_t>(), predicted_two.size());
  // Every token was trained on once: the ranks' token counts add up to one process's.
  const double tokens_one = ra["tokens_per_second"].get<double>() * ra["train_seconds"].get<double>();
  const double tokens_two = rb["tokens_per_second"].get<double>() * rb["train_seconds"].get<double>();
  EXPECT_NEAR(tokens_one, tokens_two, 1e-6 * tokens_one);
}

TEST(EndToEnd, DataParallelSeq2SeqTrainsAsOneProcess) {
  TempDir dir;
  expect_data_parallel_equals_one_process(seq2seq_experiment(20), dir);
}

TEST(EndToEnd, DataParallelClassificationTrainsAsOneProcess) {
  TempDir dir;
  expect_data_parallel_equals_one_process(classification_experiment(), dir);
}

TEST(EndToEnd, DataParallelMaskedLMTrainsAsOneProcess) {
  TempDir dir;
  expect_data_parallel_equals_one_process(masked_lm_experiment(dir), dir);
}

TEST(EndToEnd, DataParallelHardAttentionRanksKeepOneReinforceBaseline) {
  // Each rank samples its own alignments, so this run is not one process's; but its ranks must
  // hold one model, the REINFORCE baseline each moves by itself included: before every validation
  // the ranks compare their weights and buffers bit for bit, and the run would end with "weights
  // or buffers differ from rank 0's" had the baselines drifted apart.
  TempDir dir;
  json experiment = seq2seq_experiment(20);
  experiment["variants"] = {{"hard", {{"model", {{"attention", {{"type", "hard"}, {"estimator", "reinforce"}}}}}}}};
  write_text(dir.file("experiment.json"), experiment.dump());
  const auto two = attnlab_cli(
      "run " + quote(dir.file("experiment.json")) + " --out " + quote(dir.file("two")) + " --data-parallel 2", dir);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const fs::path run = only_run(dir.file("two"));
  const RunConfig config = read_run_config((run / "config.json").string());
  auto task = build_task(config.variant.options, config.seed);
  load_checkpoint((run / "checkpoints" / "latest.pt").string(), *task->model(), nullptr, nullptr);
  int64_t baselines = 0;
  for (const auto& buffer : task->model()->named_buffers()) {
    if (buffer.key().find("baseline_updates") != std::string::npos) {
      EXPECT_GE(buffer.value().item<int64_t>(), 20) << buffer.key();  // at least one update a step
    } else if (buffer.key().find("baseline") != std::string::npos) {
      ++baselines;
      EXPECT_NE(buffer.value().item<double>(), 0.0) << buffer.key() << " never moved";
    }
  }
  EXPECT_EQ(baselines, 1);
}

/// A started `attnlab train-run` rank, its stderr in `log`.
pid_t start_rank(const fs::path& run, int64_t rank, int64_t world_size, const std::string& master,
                 const std::string& log, const std::vector<std::string>& more = {}) {
  std::vector<std::string> args = {ATTNLAB_BINARY,   "train-run", run.string(), "--no-redraw", "--world-size",
                                   std::to_string(world_size), "--rank", std::to_string(rank), "--master", master};
  args.insert(args.end(), more.begin(), more.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, ATTNLAB_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(error, 0);
  return pid;
}

/// The exit code of `pid`, or -1 if it has not ended within `seconds` (then it is killed).
int exit_code_within(pid_t pid, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

/// The run directory of `experiment` with its config.json, as `attnlab run` plans it.
fs::path planned_run(const json& experiment, const TempDir& dir, const std::string& out) {
  write_text(dir.file("experiment.json"), experiment.dump());
  RunnerOptions options;
  options.out_dir = dir.file(out);
  const auto runs = plan_runs(load_experiment(dir.file("experiment.json")), options);
  EXPECT_EQ(runs.size(), 1u);
  return runs.front().dir;
}

/// `run` (of dir/experiment.json) ends with the weights of the same run trained by two ranks without a stop.
void expect_weights_of_an_uninterrupted_run(const fs::path& run, const TempDir& dir) {
  const auto whole = attnlab_cli(
      "run " + quote(dir.file("experiment.json")) + " --out " + quote(dir.file("whole")) + " --data-parallel 2", dir);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_LE(relative_difference(test_util::checkpoint_weights(only_run(dir.file("whole"))),
                                test_util::checkpoint_weights(run)),
            1e-6);
}

TEST(EndToEnd, DataParallelRankKilledEndsTheOtherAndTheRunResumesToTheSameWeights) {
  TempDir dir;
  const json experiment = seq2seq_experiment(400);
  const fs::path run = planned_run(experiment, dir, "killed");
  const std::string master = "127.0.0.1:" + std::to_string(free_local_port());
  const pid_t rank0 = start_rank(run, 0, 2, master, dir.file("rank0.log"), {"--timeout", "60"});
  const pid_t rank1 = start_rank(run, 1, 2, master, dir.file("rank1.log"), {"--timeout", "60"});
  const fs::path metrics = run / "metrics.jsonl";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline &&
         !(fs::exists(metrics) && read_text(metrics.string()).find("\"event\":\"eval\"") != std::string::npos))
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(rank1, SIGKILL);
  EXPECT_EQ(exit_code_within(rank1, 10), 128 + SIGKILL);
  const int code = exit_code_within(rank0, 30);  // well within the 60 s timeout: a closed socket is seen at once
  EXPECT_NE(code, 0);
  EXPECT_NE(code, -1) << "rank 0 did not end after rank 1 was killed";
  const std::string log = read_text(dir.file("rank0.log"));
  EXPECT_NE(log.find("lost rank 1"), std::string::npos) << log;
  ASSERT_TRUE(fs::exists(run / "checkpoints" / "latest.pt"));
  EXPECT_FALSE(fs::exists(run / "results.json"));

  // Resumed with the same world size, it ends where an uninterrupted data-parallel run does.
  const std::string again = "127.0.0.1:" + std::to_string(free_local_port());
  const pid_t resumed0 = start_rank(run, 0, 2, again, dir.file("resumed0.log"));
  const pid_t resumed1 = start_rank(run, 1, 2, again, dir.file("resumed1.log"));
  EXPECT_EQ(exit_code_within(resumed0, 300), 0) << read_text(dir.file("resumed0.log"));
  EXPECT_EQ(exit_code_within(resumed1, 60), 0) << read_text(dir.file("resumed1.log"));
  ASSERT_TRUE(fs::exists(run / "results.json"));

  expect_weights_of_an_uninterrupted_run(run, dir);
}

TEST(EndToEnd, DataParallelCtrlCStopsEveryRankWithACheckpointAndResumesToTheSameWeights) {
  TempDir dir;
  write_text(dir.file("experiment.json"), seq2seq_experiment(400).dump());
  const fs::path run = fs::path(dir.file("stopped")) / "dp" / "bahdanau" / "seed-1";
  const int status = test_util::run_and_signal(
      {"run", dir.file("experiment.json"), "--out", dir.file("stopped"), "--data-parallel", "2"}, run / "metrics.jsonl",
      "\"event\":\"eval\"", SIGINT, dir.file("stopped.log"));
  ASSERT_TRUE(WIFEXITED(status)) << read_text(dir.file("stopped.log"));
  EXPECT_EQ(WEXITSTATUS(status), 130) << read_text(dir.file("stopped.log"));
  ASSERT_TRUE(fs::exists(run / "checkpoints" / "latest.pt"));
  EXPECT_FALSE(fs::exists(run / "results.json"));

  const auto resumed = attnlab_cli("run " + quote(dir.file("experiment.json")) + " --out " + quote(dir.file("stopped")) +
                                       " --data-parallel 2 --resume",
                                   dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_weights_of_an_uninterrupted_run(run, dir);
}

/// Only config.json is in the run directory (nothing was written).
void expect_nothing_written(const fs::path& run) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(run)) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"config.json"});
}

/// One line on stderr, naming `what`.
void expect_one_line(const std::string& err, const std::string& what) {
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find(what), std::string::npos) << err;
}

struct RankStart {
  fs::path run;
  int64_t world_size;
  std::string complaint;  // what its one line of error says
};

/// Ranks 0 and 1 started as given both end with exit 2 and one line each.
void expect_both_refused(const RankStart& rank0, const RankStart& rank1, const TempDir& dir) {
  const std::string master = "127.0.0.1:" + std::to_string(free_local_port());
  const pid_t first = start_rank(rank0.run, 0, rank0.world_size, master, dir.file("rank0.log"), {"--join-timeout", "20"});
  const pid_t second = start_rank(rank1.run, 1, rank1.world_size, master, dir.file("rank1.log"), {"--join-timeout", "20"});
  EXPECT_EQ(exit_code_within(first, 60), 2);
  EXPECT_EQ(exit_code_within(second, 60), 2);
  expect_one_line(read_text(dir.file("rank0.log")), rank0.complaint);
  expect_one_line(read_text(dir.file("rank1.log")), rank1.complaint);
}

TEST(EndToEnd, DataParallelBadRendezvousIsOneLineExitTwoAndWritesNothing) {
  TempDir dir;
  const fs::path run = planned_run(seq2seq_experiment(20), dir, "bad");
  const std::string rank_args = "train-run " + quote(run.string()) + " --world-size 2 ";

  // No rank 0 at the address.
  auto r = attnlab_cli(rank_args + "--rank 1 --join-timeout 2 --master 127.0.0.1:" + std::to_string(free_local_port()), dir);
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line(r.err, "no rank 0 answered at 127.0.0.1:");

  // Rank 0's port is taken.
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length), 0);
  r = attnlab_cli(rank_args + "--rank 0 --join-timeout 2 --master 127.0.0.1:" + std::to_string(ntohs(address.sin_port)), dir);
  ::close(taken);
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line(r.err, "is in use");

  // Ranks started with different world sizes; ranks given run directories of different configs.
  expect_both_refused({run, 2, "rank 1 was started with --world-size 3"},
                      {run, 3, "rank 0 was started with --world-size 2"}, dir);
  json other = seq2seq_experiment(20);
  other["train"]["batch_size"] = 8;
  TempDir other_dir;
  const fs::path other_run = planned_run(other, other_dir, "other");
  expect_both_refused({run, 2, "another rank's config.json differs from this one's"},
                      {other_run, 2, "config.json differs from rank 0's"}, dir);
  expect_nothing_written(other_run);

  // Arguments that are wrong on their own.
  for (const std::string& args : {rank_args + "--rank 2 --master 127.0.0.1:29500", rank_args + "--rank 0",
                                  rank_args + "--rank 0 --master 127.0.0.1", rank_args + "--rank 0 --master h:99999"}) {
    r = attnlab_cli(args, dir);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
  }
  r = attnlab_cli("run " + quote(dir.file("experiment.json")) + " --data-parallel 0 --out " + quote(dir.file("x")), dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir.file("x")));
  expect_nothing_written(run);
}

}  // namespace
}  // namespace attnlab
