#include "core/strict_json.h"

#include <set>
#include <sstream>
#include <vector>

namespace attnlab {

namespace {

/// Where the parser is: the open objects and arrays, the last key of each object, the number of
/// elements each array holds so far.
class Position {
 public:
  void open(bool object) {
    if (static_cast<int>(levels_.size()) >= kMaxJsonDepth)
      throw ConfigError(pointer(), "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    levels_.push_back({object, 0, "", {}});
  }
  void close() {
    levels_.pop_back();
    element_done();
  }
  void key(const std::string& name) {
    auto& level = levels_.back();
    level.key = name;
    if (!level.keys.insert(name).second) throw ConfigError(pointer(), "key repeated in one object");
  }
  /// A value (a scalar, or an object or array just closed) ended.
  void element_done() {
    if (!levels_.empty() && !levels_.back().object) ++levels_.back().elements;
  }
  /// The pointer of the value being read.
  std::string pointer() const {
    std::string out;
    for (const auto& level : levels_)
      out = level.object ? pointer_join(out, level.key) : out + "/" + std::to_string(level.elements);
    return out;
  }

 private:
  struct Level {
    bool object;
    int64_t elements;  // arrays: elements so far
    std::string key;   // objects: the last key read
    std::set<std::string> keys;
  };
  std::vector<Level> levels_;
};

}  // namespace

json parse_strict_json(std::istream& text) {
  Position position;
  auto track = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: position.open(true); break;
      case json::parse_event_t::array_start: position.open(false); break;
      case json::parse_event_t::key: position.key(parsed.get<std::string>()); break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end: position.close(); break;
      case json::parse_event_t::value: position.element_done(); break;
    }
    return true;
  };
  try {
    return json::parse(text, track);
  } catch (const json::out_of_range& e) {  // 406: a number that overflows a double
    throw ConfigError(position.pointer(), error_message(e));
  } catch (const json::exception& e) {
    throw JsonSyntaxError(error_message(e));
  }
}

json parse_strict_json(const std::string& text) {
  std::istringstream in(text);
  return parse_strict_json(in);
}

}  // namespace attnlab
