#pragma once
// A registry per family (attention, model, data, task, optimizer, schedule, tokenizer),
// filled from one explicit list in the family's .cpp file: no static self-registration,
// which static libraries silently drop.
//
// A spec in a config is either a name ("bahdanau") or an object with a "type" and the
// options of that type ({"type": "bahdanau", "hidden": 64}). `resolve` checks it and
// returns it with every default filled in; `create` builds the product from a resolved spec.
// An entry can read its options from a spec that also holds keys another reader claims
// (a single-head attention's scope options sit beside its "score"): those are `shared_keys`.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/options.h"

namespace attnlab {

template <class Product, class... Context>
class Registry {
 public:
  struct Entry {
    std::string name;
    std::string description;  // one line, shown by `attnlab list`
    /// The spec's options with every default filled in (without "type"); keys in `shared_keys`
    /// belong to someone else and are neither read nor refused.
    std::function<json(const json& spec, const std::string& pointer, const std::vector<std::string>& shared_keys)>
        resolve;
    /// The product of a resolved spec (its "type" and `shared_keys` are ignored).
    std::function<Product(const json& resolved, const std::vector<std::string>& shared_keys, Context... context)>
        create;
  };

  Registry(std::string family, std::vector<Entry> entries)
      : family_(std::move(family)), entries_(std::move(entries)) {}

  const std::string& family() const { return family_; }
  const std::vector<Entry>& entries() const { return entries_; }

  /// The entry a spec names; an unknown name fails at the spec's "type" with the known ones.
  const Entry& entry_for(const json& spec, const std::string& pointer) const {
    std::string name;
    std::string where = pointer;
    if (spec.is_string()) {
      name = spec.get<std::string>();
    } else if (spec.is_object()) {
      where = pointer_join(pointer, "type");
      if (!spec.contains("type")) throw ConfigError(where, "missing; known: " + known_names());
      parse_value(spec.at("type"), where, name);
    } else {
      throw ConfigError(pointer, "expected a " + family_ + " name or an object with a \"type\", got " +
                                     json_type_name(spec) + " " + spec.dump());
    }
    for (const auto& e : entries_)
      if (e.name == name) return e;
    throw ConfigError(where, "unknown \"" + name + "\"; known: " + known_names());
  }

  json resolve(const json& spec, const std::string& pointer) const {
    const Entry& e = entry_for(spec, pointer);
    json resolved = {{"type", e.name}};
    resolved.update(e.resolve(spec.is_object() ? spec : json::object(), pointer, {}));
    return resolved;
  }

  Product create(const json& resolved, Context... context) const {
    return entry_for(resolved, "").create(resolved, {}, context...);
  }

  std::string known_names() const {
    std::vector<std::string> names;
    for (const auto& e : entries_) names.push_back(e.name);
    return join(names);
  }

 private:
  std::string family_;
  std::vector<Entry> entries_;
};

/// An entry whose options struct (with visit_fields) is read from the spec, and whose
/// product is made from those options: `make(options, context...)`.
template <class Product, class... Context, class Options, class Make>
typename Registry<Product, Context...>::Entry options_entry(std::string name, std::string description,
                                                            Options defaults, Make make) {
  auto read = [defaults](const json& spec, const std::string& pointer, const std::vector<std::string>& shared_keys) {
    Options options = defaults;
    OptionsReader reader(spec, pointer);
    reader.claim("type");
    for (const auto& key : shared_keys) reader.claim(key.c_str());
    visit_fields(reader, options);
    reader.finish();
    validate_options(options, pointer);
    return options;
  };
  return {std::move(name), std::move(description),
          [read](const json& spec, const std::string& pointer, const std::vector<std::string>& shared_keys) {
            return write_options(read(spec, pointer, shared_keys));
          },
          [read, make](const json& resolved, const std::vector<std::string>& shared_keys, Context... context) -> Product {
            return make(read(resolved, "", shared_keys), context...);
          }};
}

/// An options struct with no fields, for entries that take none.
struct NoOptions {};
template <class Fields>
void visit_fields(Fields& /*fields*/, NoOptions& /*options*/) {}

}  // namespace attnlab
