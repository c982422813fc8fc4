#include "training/experiment.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/strict_json.h"

namespace attnlab {

namespace {

std::vector<int64_t> take_seeds(std::vector<int64_t> seeds, int64_t count) {
  while (static_cast<int64_t>(seeds.size()) < count) seeds.push_back(seeds.empty() ? 1 : seeds.back() + 1);
  seeds.resize(count);
  return seeds;
}

bool holds_pointer(const json& document, const std::string& pointer) {
  try {
    return document.contains(json::json_pointer(pointer));
  } catch (const json::exception&) {
    return false;
  }
}

}  // namespace

json read_json_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw ExperimentError(path + ": is a directory, not a JSON file");
  std::ifstream in(path);
  if (!in) throw ExperimentError(path + ": cannot open file");
  try {
    return parse_strict_json(in);
  } catch (const JsonSyntaxError& e) {
    throw ExperimentError(path + ": not valid JSON: " + e.message());
  } catch (const ConfigError& e) {
    throw ExperimentError(path + ": " + e.what());
  }
}

namespace {

const std::regex& valid_name() {
  static const std::regex pattern("[A-Za-z0-9_.-]+");
  return pattern;
}

Variant resolve(const std::string& name, const json& config, std::initializer_list<const char*> also_allowed) {
  ExperimentOptions options;
  read_options(config, "", options, also_allowed);
  if (!options.name().empty() && !std::regex_match(options.name(), valid_name()))
    throw ConfigError("/name", "may hold only letters, digits, _ . - (it names a directory)");
  const auto& seeds = options.seeds();
  for (size_t i = 0; i < seeds.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (seeds[i] == seeds[j]) throw ConfigError("/seeds/" + std::to_string(i), "repeats seed " + std::to_string(seeds[i]));
  json resolved = write_options(options);
  return {name, std::move(options), std::move(resolved)};
}

}  // namespace

Variant resolve_variant(const std::string& name, const json& config) { return resolve(name, config, {"variants"}); }

json make_run_config(const std::string& experiment, const Variant& variant, int64_t seed) {
  json config = {{"schema_version", kConfigSchemaVersion}, {"variant", variant.name}, {"seed", seed}};
  config.update(variant.resolved);
  config["name"] = experiment;
  config["seeds"] = {seed};
  return config;
}

RunConfig read_run_config(const std::string& path) {
  const json config = read_json_file(path);
  try {
    if (!config.is_object()) throw ConfigError("", "expected an object, got " + json_type_name(config));
    int64_t version = 0, seed = 0;
    std::string variant;
    for (const char* key : {"schema_version", "variant", "seed"})
      if (!config.contains(key)) throw ConfigError(pointer_join("", key), "missing (required)");
    parse_value(config.at("schema_version"), "/schema_version", version);
    if (version != kConfigSchemaVersion)
      throw ConfigError("/schema_version", "is " + std::to_string(version) + "; this attnlab reads " +
                                               std::to_string(kConfigSchemaVersion));
    parse_value(config.at("variant"), "/variant", variant);
    parse_value(config.at("seed"), "/seed", seed);
    return {resolve(variant, config, {"schema_version", "variant", "seed"}), seed};
  } catch (const ConfigError& e) {
    throw ExperimentError(path + ": " + e.what());
  }
}

Experiment load_experiment(const std::string& path, const ExperimentOverrides& overrides) {
  const json file = read_json_file(path);
  auto fail = [&](const std::string& pointer, const std::string& message) -> ExperimentError {
    return ExperimentError(path + ": " + (pointer.empty() ? "" : pointer + ": ") + message);
  };
  if (!file.is_object()) throw fail("", "expected an object at the top level, got " + json_type_name(file));

  // Variants: name -> merge patch. No variants: one, "default", the base itself.
  json patches = json::object({{"default", json::object()}});
  if (file.contains("variants")) {
    patches = file.at("variants");
    if (!patches.is_object() || patches.empty())
      throw fail("/variants", "expected an object of variant name -> merge patch, got " + patches.dump());
    for (const auto& item : patches.items()) {
      if (!std::regex_match(item.key(), valid_name()))
        throw fail(pointer_join("/variants", item.key()), "a variant name may hold only letters, digits, _ . -");
      if (!item.value().is_object())
        throw fail(pointer_join("/variants", item.key()), "expected an object (a merge patch), got " +
                                                              json_type_name(item.value()));
    }
  }
  for (const auto& wanted : overrides.variants) {
    if (!patches.contains(wanted)) {
      std::vector<std::string> known;
      for (const auto& item : patches.items()) known.push_back(item.key());
      throw ExperimentError("--variant " + wanted + ": unknown variant of " + path + "; known: " + join(known));
    }
  }

  // --set: parsed once, applied to every variant after its patch.
  std::vector<std::pair<std::string, json>> sets;
  for (const auto& set : overrides.sets) {
    const auto equals = set.find('=');
    if (equals == std::string::npos || set.empty() || set[0] != '/')
      throw ExperimentError("--set " + set + ": expected /json/pointer=VALUE");
    const std::string pointer = set.substr(0, equals), text = set.substr(equals + 1);
    json value;
    try {
      value = parse_strict_json(text);
    } catch (const JsonSyntaxError&) {
      value = text;  // not JSON: a string
    } catch (const ConfigError& e) {
      throw ExperimentError("--set " + pointer + ": " + (e.pointer().empty() ? "" : "in the value, " + e.pointer() + ": ") +
                            e.message());
    }
    sets.emplace_back(pointer, value);
  }

  json base = file;
  base.erase("variants");
  Experiment experiment;
  experiment.path = path;
  for (const auto& item : patches.items()) {
    const std::string& name = item.key();
    if (!overrides.variants.empty() &&
        std::find(overrides.variants.begin(), overrides.variants.end(), name) == overrides.variants.end())
      continue;
    json config = base;
    config.merge_patch(item.value());
    for (const auto& [pointer, value] : sets) {
      try {
        config[json::json_pointer(pointer)] = value;
      } catch (const json::exception&) {
        throw ExperimentError("--set " + pointer + ": no such place: a value on the way is not an object (in variant \"" +
                              name + "\")");
      }
    }
    try {
      Variant variant = resolve_variant(name, config);
      if (overrides.seeds) {
        variant.options.seeds(take_seeds(variant.options.seeds(), *overrides.seeds));
        variant.resolved["seeds"] = variant.options.seeds();
      }
      experiment.variants.push_back(std::move(variant));
    } catch (const ConfigError& e) {
      // Point to where the value came from: a --set, the variant's patch, or the base.
      std::string where = e.pointer();
      std::string note;
      for (const auto& [pointer, value] : sets)
        if (where.rfind(pointer, 0) == 0) note = " (set by --set " + pointer + ")";
      if (note.empty() && file.contains("variants")) {
        if (!where.empty() && holds_pointer(item.value(), where)) where = pointer_join("/variants", name) + where;
        else note = " (in variant \"" + name + "\")";
      }
      throw fail(where, e.message() + note);
    }
  }
  const std::string stem = std::filesystem::path(path).stem().string();
  experiment.name = experiment.variants.front().options.name().empty() ? stem
                                                                         : experiment.variants.front().options.name();
  return experiment;
}

}  // namespace attnlab
