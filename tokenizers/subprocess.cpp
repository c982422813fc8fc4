#include "tokenizers/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace attnlab {

LineProcess::LineProcess(const std::vector<std::string>& argv) : program_(argv.at(0)) {
  int in[2], out[2];  // parent -> child, child -> parent
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(program_ + ": pipe: " + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    throw std::runtime_error(program_ + ": pipe: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int spawned = ::posix_spawn(&pid_, program_.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(in[1]), ::close(out[0]);
    pid_ = -1;
    throw std::runtime_error(program_ + ": cannot start: " + std::strerror(spawned));
  }
  to_child_ = ::fdopen(in[1], "w");
  from_child_ = ::fdopen(out[0], "r");
}

LineProcess::~LineProcess() {
  try {
    finish();
  } catch (...) {
  }
}

void LineProcess::write_line(const std::string& line) {
  // A child that died must not take this process with it: SIGPIPE is blocked around the
  // write (and a pending one consumed), so the write fails with EPIPE instead.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  const bool written = to_child_ && std::fwrite(line.data(), 1, line.size(), to_child_) == line.size() &&
                       std::fputc('\n', to_child_) != EOF && std::fflush(to_child_) == 0;
  if (!written) {
    const timespec no_wait{0, 0};
    while (sigtimedwait(&pipe_signal, nullptr, &no_wait) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (!written) throw std::runtime_error(program_ + ": has stopped (cannot write to it)");
}

std::string LineProcess::read_line() {
  std::string line;
  for (int c; (c = std::fgetc(from_child_)) != EOF;) {
    if (c == '\n') return line;
    line.push_back(static_cast<char>(c));
  }
  throw std::runtime_error(program_ + ": has stopped (no answer)");
}

int LineProcess::finish() {
  if (to_child_) std::fclose(to_child_), to_child_ = nullptr;
  if (from_child_) std::fclose(from_child_), from_child_ = nullptr;
  int status = 0;
  if (pid_ > 0) {
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace attnlab
