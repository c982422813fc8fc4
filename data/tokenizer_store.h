#pragma once
// Where a text dataset keeps the tokenizer it trains on its training split, so that the
// tokenizer is trained once and everything after (other variants and seeds of the experiment,
// a resumed run, a later `attnlab eval`) reads the same one:
//   1. the run's own copy, RUN_DIR/tokenizer/, if it exists (a run is self-contained);
//   2. the experiment's shared cache, OUT/EXPERIMENT/tokenizers/<key>/, keyed by a hash of the
//      resolved data spec (same data spec = same tokenizer: the comparison stays fair);
//   3. otherwise it is trained, then written to the cache and the run (whichever are given).
// Within one process the result is also remembered, so checking an experiment's variants
// trains each distinct tokenizer once.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/options.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

/// Where the data family may read and write what it derives from the data. Empty: nowhere.
struct DataContext {
  std::string run_tokenizer_directory;  // RUN_DIR/tokenizer
  std::string shared_cache_directory;   // OUT/EXPERIMENT/tokenizers
};

/// The tokenizer `tokenizer_spec` (resolved) for the data identified by `data_key`
/// (tokenizer_key(); its hash names the cache entry); `training_texts` is called only if the
/// tokenizer must be trained.
std::shared_ptr<Tokenizer> obtain_tokenizer(const json& tokenizer_spec, const json& data_key,
                                            const std::function<std::vector<std::string>()>& training_texts,
                                            const DataContext& context);

/// 16 hex digits of the FNV-1a hash of `text` (stable across runs and machines).
std::string stable_hash(const std::string& text);

/// What identifies the data a tokenizer is trained on: the resolved data spec and, for each of
/// `files`, its size and modification time (a regenerated corpus gets a new tokenizer).
json tokenizer_key(const json& data_spec, const std::vector<std::string>& files);

}  // namespace attnlab
