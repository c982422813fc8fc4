#include "training/peak_memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace attnlab {

namespace {

/// A "Name:   1234 kB" line of /proc/self/status, in bytes.
std::optional<double> status_kilobytes(const std::string& name) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(name + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(name.size() + 1));
    double kilobytes = 0;
    if (fields >> kilobytes) return kilobytes * 1024.0;
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> resident_memory_bytes() { return status_kilobytes("VmRSS"); }
std::optional<double> peak_resident_memory_bytes() { return status_kilobytes("VmHWM"); }

bool reset_peak_resident_memory() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  if (!clear_refs) return false;
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs);
}

}  // namespace attnlab
