#include "data/tokenizer_store.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

#include "tokenizers/tokenizer_registry.h"

namespace attnlab {

namespace fs = std::filesystem;

std::string stable_hash(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

json tokenizer_key(const json& data_spec, const std::vector<std::string>& files) {
  json key = {{"data", data_spec}, {"files", json::array()}};
  for (const auto& file : files) {
    std::error_code error;
    const auto size = fs::file_size(file, error);
    const auto time = fs::last_write_time(file, error).time_since_epoch().count();
    key["files"].push_back({file, error ? -1 : static_cast<int64_t>(size), error ? 0 : static_cast<int64_t>(time)});
  }
  return key;
}

namespace {

/// Writes the tokenizer into `directory` through a temporary sibling and a rename; if another
/// process got there first, theirs (the same tokenizer) is kept.
void save_once(const Tokenizer& tokenizer, const json& spec, const std::string& directory) {
  if (fs::exists(directory)) return;
  fs::create_directories(fs::path(directory).parent_path());
  const std::string temporary = directory + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(temporary);
  fs::create_directories(temporary);
  save_tokenizer(tokenizer, spec, temporary);
  std::error_code error;
  fs::rename(temporary, directory, error);
  if (error) {
    fs::remove_all(temporary);
    if (!fs::exists(directory)) throw std::runtime_error(directory + ": cannot write the tokenizer: " + error.message());
  }
}

std::shared_ptr<Tokenizer> load_checked(const std::string& directory, const json& spec) {
  if (saved_tokenizer_spec(directory) != spec)
    throw std::runtime_error(directory + ": holds a tokenizer of another spec than the data's; remove it");
  return load_tokenizer(directory);
}

}  // namespace

std::shared_ptr<Tokenizer> obtain_tokenizer(const json& tokenizer_spec, const json& data_key,
                                            const std::function<std::vector<std::string>()>& training_texts,
                                            const DataContext& context) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<Tokenizer>> trained;  // key -> tokenizer, this process
  const std::string key = stable_hash(data_key.dump());
  std::lock_guard<std::mutex> lock(mutex);

  std::shared_ptr<Tokenizer> tokenizer;
  bool from_run = false;
  const std::string cached = context.shared_cache_directory.empty()
                                 ? std::string()
                                 : (fs::path(context.shared_cache_directory) / key).string();
  if (!context.run_tokenizer_directory.empty() && fs::exists(context.run_tokenizer_directory)) {
    tokenizer = load_checked(context.run_tokenizer_directory, tokenizer_spec);
    from_run = true;  // a trained run reads its own copy and writes nothing
  } else if (auto found = trained.find(key); found != trained.end()) {
    tokenizer = found->second;
  } else if (!cached.empty() && fs::exists(cached)) {
    tokenizer = load_checked(cached, tokenizer_spec);
  } else {
    tokenizer = tokenizer_registry().create(tokenizer_spec, training_texts());
  }
  trained.emplace(key, tokenizer);
  if (from_run) return tokenizer;
  if (!cached.empty()) save_once(*tokenizer, tokenizer_spec, cached);
  if (!context.run_tokenizer_directory.empty()) save_once(*tokenizer, tokenizer_spec, context.run_tokenizer_directory);
  return tokenizer;
}

}  // namespace attnlab
