#pragma once
// Strict JSON for the files people write and share (experiments, run configs, tokenizer files):
// nlohmann's parser, plus what it lets through or reports without a place —
//   - a key repeated in one object (nlohmann keeps the last one silently),
//   - nesting deeper than kMaxJsonDepth (everything after parsing walks values recursively; 100k
//     levels overflowed the stack),
//   - numbers that do not fit a double (1e400),
// each refused as a ConfigError with the JSON pointer where it happened. Syntax errors keep
// nlohmann's line and column, without its exception tag.

#include <istream>
#include <string>

#include "core/options.h"

namespace attnlab {

/// Objects and arrays nested deeper than this are refused (experiment files use ~5 levels).
constexpr int kMaxJsonDepth = 64;

/// Text that is not JSON at all (nlohmann's parse errors: message with line and column).
class JsonSyntaxError : public ConfigError {
 public:
  explicit JsonSyntaxError(const std::string& message) : ConfigError("", message) {}
};

/// Parses `text` strictly. Throws JsonSyntaxError, or ConfigError(pointer, message) for the rest.
json parse_strict_json(std::istream& text);
json parse_strict_json(const std::string& text);

}  // namespace attnlab
