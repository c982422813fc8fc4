// attnlab tokenizer train|encode|decode: train a tokenizer on text files and use it from the
// shell (stdin -> stdout, a line per line), the same tokenizer a run stores in its directory.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "tokenizers/tokenizer_registry.h"
#include "tokenizers/utf8.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"

namespace attnlab::cli {

namespace {

namespace fs = std::filesystem;

int bad_input(const std::string& program, const std::string& message) {
  std::cerr << program << ": " << message << "\n";
  return kExitBadInput;
}

/// The lines of `path`; throws std::runtime_error "path:line: ..." on invalid UTF-8.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::vector<std::string> lines;
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t offset = 0;
    if (!is_valid_utf8(line, &offset))
      throw std::runtime_error(path + ":" + std::to_string(number) + ": invalid UTF-8 at byte " +
                               std::to_string(offset + 1));
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

int train(int argc, char** argv) {
  cxxopts::Options options("attnlab tokenizer train",
                           "Train a tokenizer on text files (one sentence per line) and write it to a directory "
                           "(tokenizer.json, and tokenizer.model for SentencePiece types, which spm_encode reads too).");
  options.add_options()("input", "training text files (repeatable or comma-separated)",
                        cxxopts::value<std::vector<std::string>>())(
      "type", "unigram or bpe (SentencePiece), word or char", cxxopts::value<std::string>()->default_value("unigram"))(
      "vocab-size", "vocabulary size, special tokens included (unigram, bpe; word and char: at most)",
      cxxopts::value<int64_t>()->default_value("8000"))(
      "character-coverage", "SentencePiece character coverage", cxxopts::value<double>()->default_value("1.0"))(
      "min-count", "word, char: pieces seen fewer times are [UNK]", cxxopts::value<int64_t>()->default_value("1"))(
      "out", "directory to write (must not exist)", cxxopts::value<std::string>());
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv,
                            "attnlab tokenizer train --input corpora/bible/kjv.txt --type unigram --vocab-size 8000 "
                            "--out tok",
                            exit_code);
  if (!args) return exit_code;
  const std::string program = "attnlab tokenizer train";
  if (!args->count("input") || !args->count("out"))
    return bad_input(program, "--input and --out are required (see " + program + " --help)");
  const std::string type = (*args)["type"].as<std::string>();
  fs::path out_path = fs::path((*args)["out"].as<std::string>()).lexically_normal();
  if (out_path.filename().empty()) out_path = out_path.parent_path();  // "tok/"
  const std::string out = out_path.string();
  json spec;
  if (type == "unigram" || type == "bpe") {
    spec = {{"type", "sentencepiece"},
            {"model_type", type},
            {"vocab_size", (*args)["vocab-size"].as<int64_t>()},
            {"character_coverage", (*args)["character-coverage"].as<double>()}};
  } else if (type == "word" || type == "char") {
    spec = {{"type", type},
            {"min_count", (*args)["min-count"].as<int64_t>()},
            {"max_size", std::max<int64_t>(0, (*args)["vocab-size"].as<int64_t>() - kNumSpecialTokens)}};
  } else {
    return bad_input(program, "--type: unknown \"" + type + "\"; known: unigram, bpe, word, char");
  }
  if (fs::exists(out)) return bad_input(program, out + ": already exists; choose a new --out directory");
  json resolved;
  try {
    resolved = tokenizer_registry().resolve(spec, "");
  } catch (const ConfigError& e) {
    std::string flag = e.pointer().empty() ? "type" : e.pointer().substr(1);  // "/vocab_size" -> "vocab-size"
    std::replace(flag.begin(), flag.end(), '_', '-');
    return bad_input(program, "--" + flag + ": " + e.message());
  }
  std::vector<std::string> texts;
  try {
    for (const auto& path : (*args)["input"].as<std::vector<std::string>>()) {
      auto lines = read_lines(path);
      if (lines.empty()) return bad_input(program, path + ": no text");
      texts.insert(texts.end(), std::make_move_iterator(lines.begin()), std::make_move_iterator(lines.end()));
    }
  } catch (const std::runtime_error& e) {
    return bad_input(program, e.what());
  }
  auto tokenizer = tokenizer_registry().create(resolved, texts);
  // Written beside the target and renamed into place: an interrupted run leaves no half tokenizer.
  const fs::path temporary = fs::path(out).string() + ".tmp-" + std::to_string(::getpid());
  fs::create_directories(temporary);
  save_tokenizer(*tokenizer, resolved, temporary.string());
  fs::rename(temporary, out);
  std::cout << "trained " << type << " tokenizer on " << texts.size() << " lines: " << tokenizer->vocab_size()
            << " pieces -> " << out << "\n";
  return kExitOk;
}

int encode_or_decode(int argc, char** argv, bool encode) {
  const std::string program = std::string("attnlab tokenizer ") + (encode ? "encode" : "decode");
  cxxopts::Options options(program, encode ? "Tokenize stdin, a line per line: pieces separated by spaces (or ids)."
                                           : "Detokenize stdin: a line of space-separated ids or pieces per line.");
  options.add_options()("model", "a tokenizer directory (attnlab tokenizer train --out, or a run's tokenizer/)",
                        cxxopts::value<std::string>());
  if (encode) options.add_options()("ids", "print ids instead of pieces");
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv, program + " --model tok" + (encode ? " --ids < in.txt" : " < ids.txt"),
                            exit_code);
  if (!args) return exit_code;
  if (!args->count("model")) return bad_input(program, "--model is required (see " + program + " --help)");
  std::shared_ptr<Tokenizer> tokenizer;
  try {
    tokenizer = load_tokenizer((*args)["model"].as<std::string>());
  } catch (const std::runtime_error& e) {
    return bad_input(program, e.what());
  }
  const bool ids = encode && args->count("ids") > 0;
  size_t number = 0;
  for (std::string line; std::getline(std::cin, line);) {
    ++number;
    if (encode) {
      std::string out;
      if (ids) {
        for (int64_t id : tokenizer->encode(line)) out += (out.empty() ? "" : " ") + std::to_string(id);
      } else {
        for (const auto& piece : tokenizer->encode_pieces(line)) out += (out.empty() ? "" : " ") + piece;
      }
      std::cout << out << "\n";
      continue;
    }
    std::vector<int64_t> tokens;
    std::istringstream items(line);
    for (std::string item; items >> item;) {
      const bool numeric = item.find_first_not_of("0123456789") == std::string::npos && item.size() < 10;
      const int64_t id = numeric ? std::stoll(item) : tokenizer->piece_id(item);
      if (id >= tokenizer->vocab_size())
        return bad_input(program, "stdin:" + std::to_string(number) + ": id " + item + " is past the vocabulary (" +
                                      std::to_string(tokenizer->vocab_size()) + ")");
      tokens.push_back(id);
    }
    std::cout << tokenizer->decode(tokens) << "\n";
  }
  return kExitOk;
}

}  // namespace

int tokenizer_command(int argc, char** argv) {
  const std::string usage =
      "Train and use tokenizers.\nUsage:\n  attnlab tokenizer train --input FILE... --type unigram|bpe|word|char "
      "--vocab-size N --out DIR\n  attnlab tokenizer encode --model DIR [--ids] < text\n  attnlab tokenizer decode "
      "--model DIR < ids\nExample:\n  attnlab tokenizer train --input corpora/bible/kjv.txt --vocab-size 8000 --out tok\n";
  if (argc < 2) {
    std::cerr << "attnlab tokenizer: missing the action: train, encode or decode (see attnlab tokenizer --help)\n";
    return kExitBadInput;
  }
  const std::string action = argv[1];
  if (action == "-h" || action == "--help") {
    std::cout << usage;
    return kExitOk;
  }
  std::string program = "attnlab tokenizer " + action;
  argv[1] = program.data();
  if (action == "train") return train(argc - 1, argv + 1);
  if (action == "encode") return encode_or_decode(argc - 1, argv + 1, true);
  if (action == "decode") return encode_or_decode(argc - 1, argv + 1, false);
  std::cerr << "attnlab tokenizer: unknown action \"" << action << "\"; known: train, encode, decode\n";
  return kExitBadInput;
}

}  // namespace attnlab::cli
