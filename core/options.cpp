#include "core/options.h"

#include <cstdio>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

#include <c10/util/Exception.h>

namespace attnlab {

std::string escape_control_characters(const std::string& text) {
  std::string line;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') line += "\\n";
    else if (c == '\r') line += "\\r";
    else if (c == '\t') line += "\\t";
    else if (byte < 0x20 || byte == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      line += escaped;
    } else {
      line += c;
    }
  }
  return line;
}

ConfigError::ConfigError(std::string pointer, const std::string& message)
    : std::runtime_error(escape_control_characters((pointer.empty() ? std::string("(top level)") : pointer) + ": " + message)),
      pointer_(escape_control_characters(pointer)),
      message_(escape_control_characters(message)) {}

std::string format_number(double value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

Check<std::string> one_of(std::vector<std::string> choices) {
  return [choices](const std::string& v) -> std::optional<std::string> {
    for (const auto& c : choices)
      if (c == v) return std::nullopt;
    return "unknown \"" + v + "\"; known: " + join(choices);
  };
}

Check<std::vector<int64_t>> each_at_least(int64_t min, size_t min_count) {
  return [min, min_count](const std::vector<int64_t>& v) -> std::optional<std::string> {
    if (v.size() < min_count)
      return "must hold at least " + std::to_string(min_count) + " values, got " + std::to_string(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      if (v[i] < min)
        return "element " + std::to_string(i) + " must be >= " + std::to_string(min) + ", got " +
               std::to_string(v[i]);
    return std::nullopt;
  };
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string error_message(const std::exception& error) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) return torch_error->what_without_backtrace();
  const std::string what = error.what();
  // nlohmann's messages start with a tag, "[json.exception.parse_error.101] ": keep what follows.
  const auto end = what.find("] ");
  if (dynamic_cast<const json::exception*>(&error) && what.rfind("[json.exception", 0) == 0 && end != std::string::npos)
    return what.substr(end + 2);
  return what;
}

std::string json_type_name(const json& value) {
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "null";
}

std::string pointer_join(const std::string& pointer, const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~') escaped += "~0";
    else if (c == '/') escaped += "~1";
    else escaped += c;
  }
  return pointer + "/" + escaped;
}

namespace {
[[noreturn]] void wrong_type(const json& value, const std::string& where, const char* expected) {
  throw ConfigError(where, std::string("expected ") + expected + ", got " + json_type_name(value) + " " +
                               value.dump());
}
}  // namespace

void parse_value(const json& value, const std::string& where, int64_t& out) {
  if (!value.is_number_integer()) wrong_type(value, where, "an integer");
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    throw ConfigError(where, "too large: " + value.dump() + " (at most " + std::to_string(INT64_MAX) + ")");
  out = value.get<int64_t>();
}

void parse_value(const json& value, const std::string& where, double& out) {
  if (!value.is_number()) wrong_type(value, where, "a number");
  out = value.get<double>();
  if (!std::isfinite(out)) throw ConfigError(where, "must be finite");
}

void parse_value(const json& value, const std::string& where, bool& out) {
  if (!value.is_boolean()) wrong_type(value, where, "true or false");
  out = value.get<bool>();
}

void parse_value(const json& value, const std::string& where, std::string& out) {
  if (!value.is_string()) wrong_type(value, where, "a string");
  out = value.get<std::string>();
}

void parse_value(const json& value, const std::string& where, std::vector<int64_t>& out) {
  if (!value.is_array()) wrong_type(value, where, "an array of integers");
  out.clear();
  for (size_t i = 0; i < value.size(); ++i) {
    int64_t x = 0;
    parse_value(value[i], where + "/" + std::to_string(i), x);
    out.push_back(x);
  }
}

void parse_value(const json& value, const std::string& where, std::vector<std::string>& out) {
  if (!value.is_array()) wrong_type(value, where, "an array of strings");
  out.clear();
  for (size_t i = 0; i < value.size(); ++i) {
    std::string x;
    parse_value(value[i], where + "/" + std::to_string(i), x);
    out.push_back(x);
  }
}

void parse_value(const json& value, const std::string& /*where*/, json& out) { out = value; }

OptionsReader::OptionsReader(const json& object, std::string pointer)
    : object_(object), pointer_(std::move(pointer)) {
  if (!object_.is_object()) wrong_type(object_, pointer_, "an object");
}

void OptionsReader::finish() const {
  for (const auto& item : object_.items()) {
    if (std::find(claimed_.begin(), claimed_.end(), item.key()) != claimed_.end()) continue;
    throw ConfigError(pointer_join(pointer_, item.key()), "unknown key; known: " + join(claimed_));
  }
}

}  // namespace attnlab
