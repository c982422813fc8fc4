#include "training/parallel_runs.h"

#include "core/options.h"
#include "training/gloo_collective.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace attnlab {

namespace {

pid_t spawn_worker(const std::vector<std::string>& worker, const std::string& run_dir,
                   const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = worker;
  args.push_back(run_dir);
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Own process group: a Ctrl-C at the terminal reaches only this process, which passes
  // it on exactly once (a second SIGINT would end a worker before its checkpoint).
  // SIGINT and SIGTERM start blocked: one that comes while the worker is still loading stays
  // pending until its handler is installed (install_interrupt_handler unblocks them), instead
  // of ending it without a checkpoint.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  posix_spawnattr_setsigmask(&attributes, &stop_signals);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) throw std::runtime_error("cannot start " + worker.front() + ": " + std::strerror(error));
  return pid;
}

}  // namespace

namespace {

struct Worker {
  std::string dir;
  int64_t rank;  // in its run (0 when the run has one process)
};

/// The workers still running; on unwind (an exception here) they are stopped with SIGINT
/// (so they write a checkpoint) and waited for, never left behind.
class Workers {
 public:
  ~Workers() {
    for (const auto& [pid, worker] : running) kill(pid, SIGINT);
    for (const auto& [pid, worker] : running) waitpid(pid, nullptr, 0);
  }
  void interrupt_all() {
    for (const auto& [pid, worker] : running) kill(pid, SIGINT);
  }
  /// The ranks of a run one of whose ranks failed cannot go on. They see the lost rank at their
  /// next exchange and end saying so; those still running after a grace period (waiting to join,
  /// or in a share of a validation) are ended (rank 0 writes its files atomically: nothing is left
  /// half-written).
  void end_run_soon(const std::string& dir) {
    doomed.emplace(dir, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }
  void end_overdue_runs() {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [pid, worker] : running) {
      const auto it = doomed.find(worker.dir);
      if (it != doomed.end() && now > it->second) kill(pid, SIGKILL);
    }
  }
  /// Runs with a process still running.
  int64_t runs() const {
    std::set<std::string> dirs;
    for (const auto& [pid, worker] : running) dirs.insert(worker.dir);
    return static_cast<int64_t>(dirs.size());
  }
  std::map<pid_t, Worker> running;
  std::map<std::string, std::chrono::steady_clock::time_point> doomed;
};

/// Starts the processes of one run: one, or its data_parallel ranks on 127.0.0.1.
void start_run(Workers& workers, const std::string& dir, const RunnerOptions& options) {
  if (options.data_parallel <= 1) {
    workers.running[spawn_worker(options.worker, dir)] = {dir, 0};
    return;
  }
  const std::string master = "127.0.0.1:" + std::to_string(free_local_port());
  for (int64_t rank = 0; rank < options.data_parallel; ++rank)
    workers.running[spawn_worker(options.worker, dir,
                                 {"--world-size", std::to_string(options.data_parallel), "--rank",
                                  std::to_string(rank), "--master", master})] = {dir, rank};
}

}  // namespace

RunStatus run_in_parallel(const std::vector<std::string>& run_dirs, const RunnerOptions& options) {
  if (options.worker.empty()) throw std::runtime_error("parallel runs need a worker command");
  Workers workers;
  std::vector<std::string> failed;
  std::set<std::string> failed_dirs;
  size_t next = 0;
  bool stopping = false;
  while (next < run_dirs.size() || !workers.running.empty()) {
    while (!stopping && workers.runs() < options.jobs && next < run_dirs.size()) start_run(workers, run_dirs[next++], options);
    if (!stopping && options.stop && options.stop->load()) {
      stopping = true;
      workers.interrupt_all();
    }
    workers.end_overdue_runs();
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (pid < 0) throw std::runtime_error(std::string("waiting for workers: ") + std::strerror(errno));
    const auto it = workers.running.find(pid);
    if (it == workers.running.end()) continue;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const Worker worker = it->second;
    workers.running.erase(it);
    if (code == 130 && !stopping) {  // a worker was stopped from outside: stop the others too
      stopping = true;
      workers.interrupt_all();
    } else if (code != 0 && code != 130 && failed_dirs.insert(worker.dir).second) {
      failed.push_back(worker.dir + (options.data_parallel > 1 ? " (rank " + std::to_string(worker.rank) + ": exit "
                                                               : " (exit ") +
                       std::to_string(code) + ")");
      workers.end_run_soon(worker.dir);
    }
  }
  if (!failed.empty()) {
    throw std::runtime_error("runs failed: " + join(failed));
  }
  return stopping ? RunStatus::kInterrupted : RunStatus::kDone;
}

}  // namespace attnlab
