#pragma once
// The progress line on stderr: step, loss, tokens/s, ETA. Redrawn in place on a
// terminal; plain lines otherwise (logs, CI).

#include <chrono>
#include <ostream>
#include <string>

namespace attnlab {

class ProgressLine {
 public:
  ProgressLine(std::ostream& out, bool is_terminal, std::string label);
  /// `force` prints even on a terminal between redraw intervals (e.g. at log steps).
  void update(int64_t step, int64_t total, double loss, double tokens_per_second, double eta_seconds, bool force);
  /// A line of its own (an evaluation), clearing the redrawn one.
  void message(const std::string& text);
  void finish();

 private:
  std::ostream& out_;
  bool terminal_;
  std::string label_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

std::string format_duration(double seconds);

}  // namespace attnlab
