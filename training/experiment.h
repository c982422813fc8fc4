#pragma once
// Experiment files: a base config, `variants` (RFC 7386 merge patches over the base)
// and `seeds`. Loading resolves every variant strictly; any problem is one line naming
// the file and the JSON pointer of the field.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "training/experiment_options.h"

namespace attnlab {

/// A problem with an experiment file or a command line's overrides: one line, ready to print.
class ExperimentError : public std::runtime_error {
 public:
  explicit ExperimentError(const std::string& message) : std::runtime_error(escape_control_characters(message)) {}
};

struct ExperimentOverrides {
  /// Run only these variants (all if empty).
  std::vector<std::string> variants;
  /// Run this many seeds: the file's first ones, continued by consecutive numbers.
  std::optional<int64_t> seeds;
  /// "/json/pointer=VALUE", applied to every variant after its patch; VALUE is JSON, or else a string.
  std::vector<std::string> sets;
};

struct Variant {
  std::string name;
  ExperimentOptions options;
  json resolved;  // every field, defaults filled in
};

struct Experiment {
  std::string path;
  std::string name;
  std::vector<Variant> variants;
};

/// Reads, patches and resolves every variant. Throws ExperimentError.
Experiment load_experiment(const std::string& path, const ExperimentOverrides& overrides = {});

/// Resolves one variant's config object (an experiment file's keys, less "variants"). Throws ConfigError.
Variant resolve_variant(const std::string& name, const json& config);

/// A run directory's config.json: one variant, one seed.
struct RunConfig {
  Variant variant;
  int64_t seed;
};
/// The config.json of a run: the variant's resolved config with "seeds": [seed], plus
/// "schema_version", "variant" and "seed".
json make_run_config(const std::string& experiment, const Variant& variant, int64_t seed);
/// Reads and resolves a run's config.json. Throws ExperimentError naming the file.
RunConfig read_run_config(const std::string& path);

/// Reads a JSON file; throws ExperimentError "<path>: ..." if missing or malformed.
json read_json_file(const std::string& path);

}  // namespace attnlab
