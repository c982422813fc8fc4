#pragma once
// One TorchScript file per run (`attnlab export`): the model's methods
// (models/torchscript_export.h), its parameters under the C++ names, and as extra files what a
// client needs with no attnlab installed:
//   attnlab.json     {"format": "attnlab-torchscript", "format_version", "kind" (seq2seq,
//                    classifier, masked_lm), "model" (its type), "task", "methods",
//                    "special_tokens": {name: id}, "tokenizer": {"kind", "files"}}
//   config.json      the run's resolved config
//   tokenizer.json   the tokenizer as the run saved it (tokenizers/tokenizer_registry.h)
//   tokenizer.model  the SentencePiece model (sentencepiece tokenizers only)
//   vocabulary.txt   one piece per line, line i = id i (every tokenizer)
//   labels.json      the class names in id order (classifiers only)
// Python reads them with torch.jit.load(path, _extra_files={...}) (tools/python).

#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "core/options.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

/// Exports the run's `checkpoint` ("best" or "latest") to `out_path`, written whole or not at
/// all (a temporary file renamed). Throws ExperimentError with one line naming the file.
void export_run(const std::string& run_dir, const std::string& checkpoint, const std::string& out_path);

struct ExportedRun {
  torch::jit::Module module;
  json manifest;  // attnlab.json
  json config;    // config.json
  std::shared_ptr<Tokenizer> tokenizer;
  std::vector<std::string> labels;  // classifiers only
  std::string kind() const { return manifest.at("kind").get<std::string>(); }
};

/// Loads a file written by export_run. A file that is not an attnlab export, or of a newer
/// format version, throws ExperimentError with one line naming the file.
ExportedRun load_exported_run(const std::string& path);

}  // namespace attnlab
