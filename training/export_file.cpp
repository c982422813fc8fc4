#include "training/export_file.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include "models/torchscript_export.h"
#include "training/checkpoint.h"
#include "training/classification_task.h"
#include "training/experiment.h"
#include "training/runner.h"
#include "tokenizers/symbol_tokenizer.h"
#include "tokenizers/tokenizer_registry.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "attnlab-torchscript";

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ExperimentError(path.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_whole(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw ExperimentError(path.string() + ": cannot write");
}

/// A directory under the system temp dir, removed when the object goes away.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    path_ = fs::temp_directory_path() / ("attnlab-export-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// The tokenizer files of a run: its saved tokenizer/ directory, or (synthetic tasks, whose
/// tokenizer is made from the data spec and never saved) the symbol tokenizer saved now.
std::map<std::string, std::string> tokenizer_files(const std::string& run_dir, const Tokenizer& tokenizer) {
  ScratchDirectory scratch;
  fs::path directory = fs::path(run_dir) / "tokenizer";
  if (!fs::exists(directory)) {
    const auto* symbols = dynamic_cast<const SymbolTokenizer*>(&tokenizer);
    if (!symbols) throw ExperimentError(directory.string() + ": missing (the run's tokenizer)");
    save_tokenizer(tokenizer, json{{"type", "symbols"}, {"symbols", tokenizer.vocab_size() - kNumSpecialTokens}},
                   scratch.path().string());
    directory = scratch.path();
  }
  std::map<std::string, std::string> files;
  for (const char* name : {"tokenizer.json", "tokenizer.model"})
    if (fs::exists(directory / name)) files[name] = read_whole(directory / name);
  std::string vocabulary;
  for (int64_t id = 0; id < tokenizer.vocab_size(); ++id) vocabulary += tokenizer.piece(id) + "\n";
  files["vocabulary.txt"] = vocabulary;
  return files;
}

/// The first line of an exception's message (LibTorch appends a C++ stack).
std::string first_line(const std::exception& e) {
  std::string message = e.what();
  return message.substr(0, message.find('\n'));
}

}  // namespace

void export_run(const std::string& run_dir, const std::string& checkpoint, const std::string& out_path) {
  auto task = load_trained_task(run_dir, checkpoint);
  const json config = read_json_file((fs::path(run_dir) / "config.json").string());
  ExportedModule exported;
  try {
    exported = export_torchscript(*task->model());
  } catch (const std::exception& e) {
    throw ExperimentError(run_dir + ": cannot export its model: " + first_line(e));
  }

  torch::jit::ExtraFilesMap extra;
  auto files = tokenizer_files(run_dir, task->tokenizer());
  json special = json::object();
  for (int64_t id = 0; id < kNumSpecialTokens; ++id) special[kSpecialTokenNames[id]] = id;
  json manifest = {{"format", kFormat},
                   {"format_version", kExportFormatVersion},
                   {"kind", exported.kind},
                   {"model", config.at("model").at("type")},
                   {"task", config.at("task").at("type")},
                   {"methods", exported.methods},
                   {"special_tokens", special},
                   {"tokenizer", {{"kind", json::parse(files.at("tokenizer.json")).at("kind")}, {"files", json::array()}}}};
  for (const auto& [name, bytes] : files) {
    manifest["tokenizer"]["files"].push_back(name);
    extra[name] = bytes;
  }
  if (const auto* classification = dynamic_cast<const ClassificationTask*>(task.get())) {
    extra["labels.json"] = json(classification->data().labels).dump();
  }
  extra["attnlab.json"] = manifest.dump(1);
  extra["config.json"] = config.dump(1);

  // Written whole or not at all: a temporary sibling, then a rename.
  const fs::path out(out_path);
  if (out.has_parent_path() && !fs::exists(out.parent_path()))
    throw ExperimentError(out_path + ": its directory does not exist");
  const fs::path temporary = out.string() + ".tmp-" + std::to_string(::getpid());
  try {
    exported.module.save(temporary.string(), extra);
    fs::rename(temporary, out);
  } catch (const std::exception& e) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw ExperimentError(out_path + ": cannot write: " + first_line(e));
  }
}

ExportedRun load_exported_run(const std::string& path) {
  if (!fs::is_regular_file(path)) throw ExperimentError(path + ": no such file");
  if (is_attnlab_checkpoint(path))
    throw ExperimentError(path + ": a checkpoint, not an export (make one from its run directory with `attnlab export`)");
  torch::jit::ExtraFilesMap extra{{"attnlab.json", ""}, {"config.json", ""}, {"tokenizer.json", ""},
                                  {"tokenizer.model", ""}, {"labels.json", ""}};
  ExportedRun run;
  try {
    run.module = torch::jit::load(path, c10::nullopt, extra);
  } catch (const std::exception& e) {
    throw ExperimentError(path + ": not a TorchScript file (" + first_line(e) + ")");
  }
  try {
    run.manifest = json::parse(extra.at("attnlab.json"));
    if (run.manifest.value("format", "") != kFormat) throw std::runtime_error("no attnlab.json");
  } catch (const std::exception&) {
    throw ExperimentError(path + ": not an attnlab export (it has no attnlab.json; make one with `attnlab export`)");
  }
  const int64_t version = run.manifest.value("format_version", int64_t{0});
  if (version > kExportFormatVersion)
    throw ExperimentError(path + ": export format version " + std::to_string(version) + " is newer than this attnlab's " +
                          std::to_string(kExportFormatVersion) + "; re-export it or update attnlab");
  try {
    run.config = json::parse(extra.at("config.json"));
    if (!extra.at("labels.json").empty()) run.labels = json::parse(extra.at("labels.json")).get<std::vector<std::string>>();
    ScratchDirectory scratch;
    for (const char* name : {"tokenizer.json", "tokenizer.model"})
      if (!extra.at(name).empty()) write_whole(scratch.path() / name, extra.at(name));
    run.tokenizer = load_tokenizer(scratch.path().string());
  } catch (const ExperimentError&) {
    throw;
  } catch (const std::exception& e) {
    throw ExperimentError(path + ": a damaged attnlab export: " + first_line(e));
  }
  return run;
}

}  // namespace attnlab
