#pragma once
// Strict JSON <-> options structs.
//
// Every options struct lists its JSON fields once, in a `visit_fields` function:
//
//   template <class Fields> void visit_fields(Fields& f, GruOptions& o) {
//     f("hidden", o.hidden(), at_least(1));
//   }
//
// The same list reads (OptionsReader: type and range checks, unknown keys rejected,
// errors carry the JSON pointer of the field) and writes (OptionsWriter: the fully
// resolved config). Defaults live in the options struct only.

#include <cstdint>
#include <functional>
#include <optional>
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace attnlab {

using json = nlohmann::ordered_json;  // keeps keys in the order written: files, variants, resolved configs

/// `text` with its control characters escaped ("\n", "\x1b"): a message that quotes input stays
/// one line and cannot move a terminal's cursor.
std::string escape_control_characters(const std::string& text);

/// A bad value in a config, located by the JSON pointer of the field (both control-escaped).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string pointer, const std::string& message);
  const std::string& pointer() const { return pointer_; }
  const std::string& message() const { return message_; }

 private:
  std::string pointer_;
  std::string message_;
};

/// A check on a value: returns an error message, or nothing when the value is fine.
template <class T>
using Check = std::function<std::optional<std::string>(const T&)>;

std::string format_number(double value);

/// value >= min (integers or reals).
inline auto at_least(double min) {
  return [min](const auto& v) -> std::optional<std::string> {
    if (static_cast<double>(v) >= min) return std::nullopt;
    return "must be >= " + format_number(min) + ", got " + format_number(static_cast<double>(v));
  };
}
/// value > min.
inline auto greater_than(double min) {
  return [min](const auto& v) -> std::optional<std::string> {
    if (static_cast<double>(v) > min) return std::nullopt;
    return "must be > " + format_number(min) + ", got " + format_number(static_cast<double>(v));
  };
}
/// min <= value <= max.
inline auto in_range(double min, double max) {
  return [min, max](const auto& v) -> std::optional<std::string> {
    const double x = static_cast<double>(v);
    if (x >= min && x <= max) return std::nullopt;
    return "must be in [" + format_number(min) + ", " + format_number(max) + "], got " + format_number(x);
  };
}
Check<std::string> one_of(std::vector<std::string> choices);
/// A list of at least `min_count` integers, each >= min.
Check<std::vector<int64_t>> each_at_least(int64_t min, size_t min_count = 1);

std::string json_type_name(const json& value);
/// "a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");
/// An exception's message without LibTorch's backtrace or nlohmann's "[json.exception...]" tag: one
/// line for the user.
std::string error_message(const std::exception& error);
/// Appends a key to a JSON pointer, escaping '~' and '/' as RFC 6901 says.
std::string pointer_join(const std::string& pointer, const std::string& key);

/// Cross-field checks of an options struct after its fields are read; overload it next to
/// the struct (found by argument-dependent lookup) where fields constrain each other.
template <class Options>
void validate_options(const Options& /*options*/, const std::string& /*pointer*/) {}

/// Parse one JSON value into a field, or throw ConfigError at `where` naming the
/// expected and actual types.
void parse_value(const json& value, const std::string& where, int64_t& out);
void parse_value(const json& value, const std::string& where, double& out);
void parse_value(const json& value, const std::string& where, bool& out);
void parse_value(const json& value, const std::string& where, std::string& out);
void parse_value(const json& value, const std::string& where, std::vector<int64_t>& out);
void parse_value(const json& value, const std::string& where, std::vector<std::string>& out);
/// Any JSON value, taken as it is (a nested spec that a registry resolves).
void parse_value(const json& value, const std::string& where, json& out);

/// Reads an object's fields into an options struct, checking each, and rejects keys
/// that no field claimed (finish()).
class OptionsReader {
  template <class T>
  struct Identity { using type = T; };
  template <class T>
  using NotDeduced = typename Identity<T>::type;

 public:
  /// `object` must be a JSON object; `pointer` is where it sits in the whole config.
  OptionsReader(const json& object, std::string pointer);

  template <class T>
  void operator()(const char* key, T& value, const Check<NotDeduced<T>>& check = {}) {
    claim(key);
    if (!object_.contains(key)) return;
    const std::string where = pointer_join(pointer_, key);
    T parsed{};
    parse_value(object_.at(key), where, parsed);
    if (check) {
      if (auto problem = check(parsed)) throw ConfigError(where, *problem);
    }
    value = std::move(parsed);
  }

  /// A nested spec that `registry` resolves ("type" + that type's options); the default
  /// is resolved too, so the result is always complete.
  template <class Registry>
  void nested(const char* key, json& value, const Registry& registry) {
    claim(key);
    const std::string where = pointer_join(pointer_, key);
    if (!object_.contains(key)) {
      value = registry.resolve(value, where);
      return;
    }
    json spec = object_.at(key);
    // An object without a "type" keeps the default's type: {"lr": 0.01} tunes the default optimizer.
    if (spec.is_object() && !spec.contains("type") && value.is_object() && value.contains("type"))
      spec["type"] = value["type"];
    value = registry.resolve(spec, where);
  }

  /// A nested options struct with its own visit_fields (e.g. /train/early_stopping).
  template <class Options>
  void object(const char* key, Options& value) {
    claim(key);
    if (!object_.contains(key)) return;
    OptionsReader inner(object_.at(key), pointer_join(pointer_, key));
    visit_fields(inner, value);
    inner.finish();
    validate_options(value, inner.pointer());
  }

  /// Throws "missing" at `key` when the object lacks it: for fields without a default.
  void require(const char* key) const {
    if (!object_.contains(key)) throw ConfigError(pointer_join(pointer_, key), "missing (required)");
  }

  /// Marks a key as known without reading it (e.g. `type`, read by a registry).
  void claim(const char* key) {
    if (std::find(claimed_.begin(), claimed_.end(), key) == claimed_.end()) claimed_.push_back(key);
  }
  /// Throws for the first key that no field claimed, naming the known ones.
  void finish() const;

  const std::string& pointer() const { return pointer_; }

 private:
  const json& object_;
  std::string pointer_;
  std::vector<std::string> claimed_;  // in the order the fields are declared
};

/// Writes an options struct's fields into a JSON object.
class OptionsWriter {
 public:
  template <class T, class C>
  void operator()(const char* key, const T& value, const C& /*check*/) {
    out[key] = value;
  }
  template <class T>
  void operator()(const char* key, const T& value) {
    out[key] = value;
  }
  template <class Registry>
  void nested(const char* key, const json& value, const Registry& /*registry*/) {
    out[key] = value;
  }
  template <class Options>
  void object(const char* key, Options& value) {
    OptionsWriter inner;
    visit_fields(inner, value);
    out[key] = inner.out;
  }
  void require(const char* /*key*/) const {}
  json out = json::object();
};

/// Reads `object` into `options` through its visit_fields list; rejects unknown keys
/// except those in `also_allowed`.
template <class Options>
void read_options(const json& object, const std::string& pointer, Options& options,
                  std::initializer_list<const char*> also_allowed = {}) {
  OptionsReader reader(object, pointer);
  for (const char* key : also_allowed) reader.claim(key);
  visit_fields(reader, options);
  reader.finish();
  validate_options(options, pointer);
}

template <class Options>
json write_options(Options options) {
  OptionsWriter writer;
  visit_fields(writer, options);
  return writer.out;
}

}  // namespace attnlab
