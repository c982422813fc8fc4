#include "training/progress.h"

#include <cmath>
#include <cstdio>

namespace attnlab {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buffer[32];
  if (s >= 3600) std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(buffer, sizeof buffer, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buffer, sizeof buffer, "%lds", s);
  return buffer;
}

ProgressLine::ProgressLine(std::ostream& out, bool is_terminal, std::string label)
    : out_(out), terminal_(is_terminal), label_(std::move(label)) {}

void ProgressLine::update(int64_t step, int64_t total, double loss, double tokens_per_second, double eta_seconds,
                          bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (terminal_ ? (!force && now - last_draw_ < std::chrono::milliseconds(200)) : !force) return;
  last_draw_ = now;
  char line[256];
  std::snprintf(line, sizeof line, "[%s] step %lld/%lld  loss %.4f  %.0f tok/s  ETA %s", label_.c_str(),
                static_cast<long long>(step), static_cast<long long>(total), loss, tokens_per_second,
                format_duration(eta_seconds).c_str());
  if (terminal_) {
    out_ << "\r\033[K" << line << std::flush;
    drawn_ = true;
  } else {
    out_ << line << '\n' << std::flush;
  }
}

void ProgressLine::message(const std::string& text) {
  if (drawn_) out_ << "\r\033[K";
  out_ << "[" << label_ << "] " << text << '\n' << std::flush;
  drawn_ = false;
}

void ProgressLine::finish() {
  if (drawn_) out_ << '\n' << std::flush;
  drawn_ = false;
}

}  // namespace attnlab
