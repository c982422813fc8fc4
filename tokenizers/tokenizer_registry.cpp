#include "tokenizers/tokenizer_registry.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "core/special_tokens.h"
#include "core/strict_json.h"
#include "tokenizers/binary_file.h"
#include "tokenizers/sentencepiece_tokenizer.h"
#include "tokenizers/symbol_tokenizer.h"
#include "tokenizers/vocabulary_tokenizer.h"

namespace attnlab {

namespace {

using Product = std::shared_ptr<Tokenizer>;
using Texts = std::vector<std::string>;

template <class T>
Product vocabulary_tokenizer(const VocabularyOptions& o, const Texts& texts) {
  auto tokenizer = std::make_shared<T>();
  tokenizer->build(texts, o);
  return tokenizer;
}

json read_saved(const std::string& directory) {
  const std::string path = directory + "/tokenizer.json";
  try {
    return parse_strict_json(read_binary_file(path));
  } catch (const ConfigError& e) {
    throw std::runtime_error(path + ": not a tokenizer file: " + e.what());
  }
}

/// "saved": the tokenizer another run trained (RUN_DIR/tokenizer), so that a model fine-tuned
/// from that run's weights reads the same ids.
struct SavedTokenizerOptions {
  /// A directory written by save_tokenizer (a run's tokenizer/).
  TORCH_ARG(std::string, directory) = "";
};
template <class Fields>
void visit_fields(Fields& f, SavedTokenizerOptions& o) {
  f.require("directory");
  f("directory", o.directory());
}

/// The concrete kind of a tokenizer, as load_tokenizer() rebuilds it.
std::string kind_of(const Tokenizer& tokenizer, const json& spec) {
  if (dynamic_cast<const SentencePieceTokenizer*>(&tokenizer)) return "sentencepiece";
  if (dynamic_cast<const WordTokenizer*>(&tokenizer)) return "word";
  if (dynamic_cast<const CharTokenizer*>(&tokenizer)) return "char";
  return spec.at("type").get<std::string>();
}

/// A saved vocabulary holds each piece once, none empty and none a special token's name (piece()
/// and piece_id() are each other's inverse); otherwise it is refused naming its first bad entry.
std::vector<std::string> checked_vocabulary(std::vector<std::string> pieces, const std::string& path) {
  std::unordered_set<std::string> seen(kSpecialTokenNames.begin(), kSpecialTokenNames.end());
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!pieces[i].empty() && seen.insert(pieces[i]).second) continue;
    const std::string quoted = json(pieces[i]).dump(-1, ' ', false, json::error_handler_t::replace);
    throw std::runtime_error(path + ": /vocabulary/" + std::to_string(i) + ": " + quoted +
                             (pieces[i].empty() ? " is empty" : " is there twice (or is a special token's name)"));
  }
  return pieces;
}

}  // namespace

const TokenizerRegistry& tokenizer_registry() {
  static const TokenizerRegistry registry(
      "tokenizer",
      {
          options_entry<Product, const Texts&>(
              "symbols", "synthetic-task symbols written as numbers 0..N-1, space separated", SymbolTokenizerOptions{},
              [](const SymbolTokenizerOptions& o, const Texts&) { return std::make_shared<SymbolTokenizer>(o); }),
          options_entry<Product, const Texts&>(
              "sentencepiece", "SentencePiece unigram or BPE subwords trained on the training split",
              SentencePieceOptions{},
              [](const SentencePieceOptions& o, const Texts& texts) -> Product {
                return SentencePieceTokenizer::train(texts, o);
              }),
          options_entry<Product, const Texts&>("word", "whitespace + punctuation split, vocabulary by count",
                                               VocabularyOptions{}, vocabulary_tokenizer<WordTokenizer>),
          options_entry<Product, const Texts&>("char", "Unicode characters, vocabulary by count", VocabularyOptions{},
                                               vocabulary_tokenizer<CharTokenizer>),
          options_entry<Product, const Texts&>(
              "saved", "the tokenizer a run trained (its tokenizer/ directory): fine-tuning reads the pre-trained ids",
              SavedTokenizerOptions{},
              [](const SavedTokenizerOptions& o, const Texts&) { return load_tokenizer(o.directory()); }),
      });
  return registry;
}

void save_tokenizer(const Tokenizer& tokenizer, const json& resolved_spec, const std::string& directory) {
  json saved = {{"spec", resolved_spec}, {"kind", kind_of(tokenizer, resolved_spec)}, {"vocab_size", tokenizer.vocab_size()}};
  if (auto* pieces = dynamic_cast<const SentencePieceTokenizer*>(&tokenizer))
    write_binary_file(directory + "/tokenizer.model", pieces->serialized_model());
  if (auto* vocabulary = dynamic_cast<const VocabularyTokenizer*>(&tokenizer))
    saved["vocabulary"] = vocabulary->learned_pieces();
  write_binary_file(directory + "/tokenizer.json", saved.dump(1) + "\n");
}

json saved_tokenizer_spec(const std::string& directory) {
  const json saved = read_saved(directory);
  if (!saved.contains("spec") || !saved["spec"].is_object())
    throw std::runtime_error(directory + "/tokenizer.json: missing \"spec\"");
  return saved["spec"];
}

std::shared_ptr<Tokenizer> load_tokenizer(const std::string& directory) {
  const json saved = read_saved(directory);
  const std::string path = directory + "/tokenizer.json";
  try {
    const json& spec = saved.at("spec");
    // "kind" is the concrete tokenizer (a "saved" spec names where it came from, not what it is).
    const std::string type = saved.value("kind", spec.at("type").get<std::string>());
    if (type == "saved")
      throw std::runtime_error(path + ": a saved tokenizer of kind \"saved\" cannot be rebuilt");
    std::shared_ptr<Tokenizer> tokenizer;
    if (type == "sentencepiece") {
      tokenizer = SentencePieceTokenizer::load(directory + "/tokenizer.model");
    } else if (type == "word" || type == "char") {
      auto vocabulary = type == "word" ? std::shared_ptr<VocabularyTokenizer>(std::make_shared<WordTokenizer>())
                                       : std::shared_ptr<VocabularyTokenizer>(std::make_shared<CharTokenizer>());
      vocabulary->set_learned_pieces(checked_vocabulary(saved.at("vocabulary").get<std::vector<std::string>>(), path));
      tokenizer = vocabulary;
    } else if (type == "symbols" && spec.at("type") == "symbols") {  // the one kind made without texts
      tokenizer = tokenizer_registry().create(tokenizer_registry().resolve(spec, ""), Texts{});
    } else {
      throw std::runtime_error(path + ": unknown tokenizer kind " +
                               escape_control_characters(json(type).dump(-1, ' ', false, json::error_handler_t::replace)) +
                               " (a \"symbols\" spec: kind symbols); known: sentencepiece, word, char, symbols");
    }
    if (tokenizer->vocab_size() != saved.at("vocab_size").get<int64_t>())
      throw std::runtime_error(path + ": vocab_size " + std::to_string(saved.at("vocab_size").get<int64_t>()) +
                               " but the tokenizer has " + std::to_string(tokenizer->vocab_size()));
    return tokenizer;
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": " + error_message(e));
  } catch (const ConfigError& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace attnlab
