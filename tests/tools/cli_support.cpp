#include "tests/tools/cli_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <random>
#include <thread>

#include "training/checkpoint.h"
#include "training/experiment.h"
#include "training/runner.h"

extern char** environ;

namespace attnlab::test_util {

const char* const kTinyExperiment = R"({
  "data": {"type": "reverse", "symbols": 4, "train_lengths": [2, 5], "test_lengths": [2, 8],
           "train_size": 300, "valid_size": 20, "test_size": 40},
  "model": {"type": "rnn_seq2seq", "embedding": 8, "hidden": 16, "dropout": 0.1, "attention": "none"},
  "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 16, "max_steps": 40, "eval_every": 20,
            "log_every": 10, "early_stopping": {"metric": "token_accuracy"}},
  "eval": {"length_buckets": [5]},
  "seeds": [1, 2],
  "threads": 1,
  "variants": {"none": {}, "bahdanau": {"model": {"attention": {"type": "bahdanau", "hidden": 8}}}}
})";

namespace fs = std::filesystem;

std::string quote(const std::string& s) { return "'" + s + "'"; }

CliResult attnlab_cli(const std::string& args, const TempDir& dir, const std::string& stdin_path,
                      const std::string& environment) {
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const std::string command = (environment.empty() ? "" : "env " + environment + " ") + ATTNLAB_BINARY + " " + args +
                              " > " + quote(out) + " 2> " + quote(err) + " < " + quote(stdin_path);
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(out), read_text(err)};
}

std::vector<torch::Tensor> checkpoint_weights(const fs::path& run) {
  const RunConfig config = read_run_config((run / "config.json").string());
  auto task = build_task(config.variant.options, config.seed);
  load_checkpoint((run / "checkpoints" / "latest.pt").string(), *task->model(), nullptr, nullptr);
  std::vector<torch::Tensor> weights;
  for (const auto& p : task->model()->parameters()) weights.push_back(p.detach().clone());
  return weights;
}

/// Starts `attnlab ARGS`, waits until `file` holds `text`, sends `signal`, returns the wait status.
int run_and_signal(const std::vector<std::string>& cli_args, const fs::path& file, const std::string& text, int signal,
                   const std::string& log) {
  const std::string binary = ATTNLAB_BINARY;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {binary};
  args.insert(args.end(), cli_args.begin(), cli_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         !(fs::exists(file) && read_text(file.string()).find(text) != std::string::npos))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
  return status;
}

/// A tiny translation corpus: Spanish numerals to English ones in reverse order, so the gold
/// word alignment (i-j with j = n - 1 - i) is far from the diagonal.
void write_numeral_corpus(const TempDir& dir) {
  const std::vector<std::string> es = {"uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho"};
  const std::vector<std::string> en = {"one", "two", "three", "four", "five", "six", "seven", "eight"};
  std::mt19937 random(3);
  for (const auto& [split, count] : std::vector<std::pair<std::string, int>>{{"train", 300}, {"valid", 12}, {"test", 12}}) {
    std::string tsv, align;
    for (int i = 0; i < count; ++i) {
      const int n = 2 + static_cast<int>(random() % 5);
      std::vector<int> words(n);
      for (auto& w : words) w = static_cast<int>(random() % es.size());
      std::string source, target, links;
      for (int k = 0; k < n; ++k) {
        source += (k ? " " : "") + es[words[k]];
        target += (k ? " " : "") + en[words[n - 1 - k]];
        links += (k ? " " : "") + std::to_string(k) + "-" + std::to_string(n - 1 - k);
      }
      tsv += source + "\t" + target + "\n";
      align += links + "\n";
    }
    write_text(dir.file(split + ".tsv"), tsv);
    write_text(dir.file(split + ".align"), align);
  }
}

}  // namespace attnlab::test_util
