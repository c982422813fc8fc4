#include "training/metrics_log.h"

#include "training/atomic_file.h"

#include <fstream>
#include <stdexcept>

namespace attnlab {

MetricsLog::MetricsLog(std::string path, int64_t keep_through_step) : path_(std::move(path)) {
  std::string kept;
  if (keep_through_step > 0) {
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      const json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (event.is_object() && event.value("step", int64_t{0}) <= keep_through_step) kept += line + "\n";
    }
  }
  write_file_atomically(path_, kept);
}

void MetricsLog::append(const json& event) {
  std::ofstream out(path_, std::ios::app);
  out << event.dump() << '\n';
  if (!out) throw std::runtime_error(path_ + ": cannot write");
}

}  // namespace attnlab
