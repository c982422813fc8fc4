#include "training/parallel_runs.h"

#include "core/options.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace attnlab {

namespace {

pid_t spawn_worker(const std::vector<std::string>& worker, const std::string& run_dir) {
  std::vector<std::string> args = worker;
  args.push_back(run_dir);
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

/// The workers still running; on unwind (an exception here) they are stopped with SIGINT
/// (so they write a checkpoint) and waited for, never left behind.
class Workers {
 public:
  ~Workers() {
    for (const auto& [pid, dir] : running) kill(pid, SIGINT);
    for (const auto& [pid, dir] : running) waitpid(pid, nullptr, 0);
  }
  void interrupt_all() {
    for (const auto& [pid, dir] : running) kill(pid, SIGINT);
  }
  std::map<pid_t, std::string> running;
};

}  // namespace

RunStatus run_in_parallel(const std::vector<std::string>& run_dirs, const RunnerOptions& options) {
  if (options.worker.empty()) throw std::runtime_error("parallel runs need a worker command");
  Workers workers;
  std::vector<std::string> failed;
  size_t next = 0;
  bool stopping = false;
  while (next < run_dirs.size() || !workers.running.empty()) {
    while (!stopping && static_cast<int64_t>(workers.running.size()) < options.jobs && next < run_dirs.size()) {
      const std::string& dir = run_dirs[next++];
      workers.running[spawn_worker(options.worker, dir)] = dir;
    }
    if (!stopping && options.stop && options.stop->load()) {
      stopping = true;
      workers.interrupt_all();
    }
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
    const std::string dir = it->second;
    workers.running.erase(it);
    if (code == 130 && !stopping) {  // a worker was stopped from outside: stop the others too
      stopping = true;
      workers.interrupt_all();
    } else if (code != 0 && code != 130) {
      failed.push_back(dir + " (exit " + std::to_string(code) + ")");
    }
  }
  if (!failed.empty()) {
    throw std::runtime_error("runs failed: " + join(failed));
  }
  return stopping ? RunStatus::kInterrupted : RunStatus::kDone;
}

}  // namespace attnlab
