#include "training/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace attnlab {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what) {
  throw std::runtime_error(path + ": cannot " + what + ": " + std::strerror(errno));
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail(path, "open");
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) fail(path, "sync");
}

}  // namespace

std::string temporary_path(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

void commit_file(const std::string& temporary, const std::string& path) {
  fsync_path(temporary, O_RDONLY);
  std::filesystem::rename(temporary, path);
  const auto directory = std::filesystem::path(path).parent_path();
  fsync_path(directory.empty() ? "." : directory.string(), O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = temporary_path(path);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(temporary, "create");
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      ::unlink(temporary.c_str());
      fail(temporary, "write");
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) fail(temporary, "close");
  commit_file(temporary, path);
}

}  // namespace attnlab
