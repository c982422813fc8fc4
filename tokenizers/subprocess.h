#pragma once
// A child process spoken to by lines over pipes (its stdin and stdout), for libraries that
// cannot share a process with LibTorch (tokenizers/sentencepiece_service.cpp says why).

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace attnlab {

class LineProcess {
 public:
  /// Starts argv[0] (a path) with argv; its stderr is the parent's. Throws std::runtime_error.
  explicit LineProcess(const std::vector<std::string>& argv);
  /// Closes its stdin (the child then ends) and waits for it.
  ~LineProcess();
  LineProcess(const LineProcess&) = delete;
  LineProcess& operator=(const LineProcess&) = delete;

  /// Sends one line (without its end) and flushes.
  void write_line(const std::string& line);
  /// The next line the child wrote, without its end; throws std::runtime_error if it ended.
  std::string read_line();
  /// Closes the child's stdin (it sees the end of its input) and waits: its exit status.
  int finish();

 private:
  pid_t pid_ = -1;
  FILE* to_child_ = nullptr;
  FILE* from_child_ = nullptr;
  std::string program_;
};

}  // namespace attnlab
