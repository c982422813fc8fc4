#include "training/atomic_file.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace attnlab {

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc | std::ios::binary);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(path + ": cannot write");
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace attnlab
