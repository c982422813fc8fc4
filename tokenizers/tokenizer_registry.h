#pragma once
// The tokenizer family, and how a trained tokenizer is stored with a run.
//
// A tokenizer is made from its spec and the training split's texts (which `sentencepiece`,
// `word` and `char` learn their vocabulary from; `symbols` ignores them). save_tokenizer()
// writes what load_tokenizer() needs into one directory, so a run directory holds its own
// tokenizer and evaluating it later never retrains one:
//   tokenizer.json   {"spec": resolved spec, "kind": the concrete tokenizer ("sentencepiece", "word",
//                    …; a "saved" spec names where it came from, "kind" what it is), "vocab_size": N,
//                    "vocabulary": [...] for word / char}
//   tokenizer.model  the SentencePiece model (sentencepiece only; spm_encode reads it too)

#include <memory>
#include <string>
#include <vector>

#include "core/registry.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

using TokenizerRegistry = Registry<std::shared_ptr<Tokenizer>, const std::vector<std::string>&>;
const TokenizerRegistry& tokenizer_registry();

/// Writes `tokenizer` (made from `resolved_spec`) into `directory`, which must exist.
void save_tokenizer(const Tokenizer& tokenizer, const json& resolved_spec, const std::string& directory);
/// Reads a directory written by save_tokenizer(); throws std::runtime_error naming the file.
std::shared_ptr<Tokenizer> load_tokenizer(const std::string& directory);
/// The resolved spec a saved tokenizer was made from.
json saved_tokenizer_spec(const std::string& directory);

}  // namespace attnlab
