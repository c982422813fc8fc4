#pragma once
// metrics.jsonl: one JSON object per line, per log or evaluation event.

#include <string>

#include "core/options.h"

namespace attnlab {

class MetricsLog {
 public:
  /// Opens `path` for appending after dropping every line whose step is beyond
  /// `keep_through_step` (events a resumed run will log again); 0 starts afresh.
  MetricsLog(std::string path, int64_t keep_through_step);
  void append(const json& event);

 private:
  std::string path_;
};

}  // namespace attnlab
