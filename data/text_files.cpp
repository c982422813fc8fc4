#include "data/text_files.h"

#include <filesystem>
#include <fstream>

#include "core/options.h"
#include "tokenizers/utf8.h"

namespace attnlab {

DataFileError::DataFileError(const std::string& path, size_t line, const std::string& message)
    : std::runtime_error(escape_control_characters(path + (line ? ":" + std::to_string(line) : std::string()) + ": " + message)) {}

namespace {

/// The file opened for reading, or a DataFileError naming it (missing, unreadable, a directory).
std::ifstream open_data_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw DataFileError(path, 0, "is a directory, not a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataFileError(path, 0, "cannot read");
  return in;
}

/// Every line of a file (without its end), checked for UTF-8 and NUL bytes (a binary file); the
/// file must have some text.
std::vector<std::string> checked_lines(const std::string& path) {
  std::ifstream in = open_data_file(path);
  std::vector<std::string> lines;
  bool any_text = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t offset = 0;
    if (!is_valid_utf8(line, &offset))
      throw DataFileError(path, lines.size() + 1, "invalid UTF-8 at byte " + std::to_string(offset + 1));
    if (const auto nul = line.find('\0'); nul != std::string::npos)
      throw DataFileError(path, lines.size() + 1, "a NUL byte at byte " + std::to_string(nul + 1) + " (a binary file?)");
    any_text = any_text || line.find_first_not_of(" \t") != std::string::npos;
    lines.push_back(std::move(line));
  }
  if (!any_text) throw DataFileError(path, 0, "empty file");
  return lines;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab = line.find('\t'); tab != std::string::npos; tab = line.find('\t', start)) {
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  fields.push_back(line.substr(start));
  return fields;
}

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// The two fields of a "a<TAB>b" line, both non-empty.
std::pair<std::string, std::string> two_columns(const std::string& path, size_t number, const std::string& line,
                                                const char* first, const char* second) {
  const auto fields = split_tabs(line);
  const std::string expected = std::string("expected ") + first + "<TAB>" + second;
  if (fields.size() == 1) throw DataFileError(path, number, "no tab; " + expected);
  if (fields.size() != 2)
    throw DataFileError(path, number, expected + ", got " + std::to_string(fields.size()) + " tab-separated columns");
  auto a = trimmed(fields[0]), b = trimmed(fields[1]);
  if (a.empty()) throw DataFileError(path, number, std::string("empty ") + first);
  if (b.empty()) throw DataFileError(path, number, std::string("empty ") + second);
  return {a, b};
}

}  // namespace

std::vector<TextPair> read_parallel_tsv(const std::string& path) {
  std::vector<TextPair> pairs;
  const auto lines = checked_lines(path);
  for (size_t i = 0; i < lines.size(); ++i) {
    auto [source, target] = two_columns(path, i + 1, lines[i], "source", "target");
    pairs.push_back({std::move(source), std::move(target)});
  }
  return pairs;
}

std::vector<TextPair> read_parallel_files(const std::string& source_path, const std::string& target_path) {
  const auto sources = checked_lines(source_path), targets = checked_lines(target_path);
  if (sources.size() != targets.size())
    throw DataFileError(target_path, 0,
                        std::to_string(targets.size()) + " lines, but " + source_path + " has " +
                            std::to_string(sources.size()) + "; line-aligned files must have the same count");
  std::vector<TextPair> pairs;
  for (size_t i = 0; i < sources.size(); ++i) {
    auto source = trimmed(sources[i]), target = trimmed(targets[i]);
    if (source.empty()) throw DataFileError(source_path, i + 1, "empty line (its pair has none)");
    if (target.empty()) throw DataFileError(target_path, i + 1, "empty line (its pair has none)");
    pairs.push_back({std::move(source), std::move(target)});
  }
  return pairs;
}

std::vector<std::string> read_text_lines(const std::string& path) {
  std::vector<std::string> segments;
  for (const auto& line : checked_lines(path))
    if (auto text = trimmed(line); !text.empty()) segments.push_back(std::move(text));
  return segments;
}

std::vector<LabelledText> read_labelled_tsv(const std::string& path, const std::string& sentence_separator) {
  if (sentence_separator.empty()) throw DataFileError(path, 0, "the sentence separator is empty");
  std::vector<LabelledText> documents;
  const auto lines = checked_lines(path);
  for (size_t i = 0; i < lines.size(); ++i) {
    auto [label, text] = two_columns(path, i + 1, lines[i], "label", "text");
    LabelledText document{std::move(label), {}};
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find(sentence_separator, start);
      if (end == std::string::npos) end = text.size();
      if (auto sentence = trimmed(text.substr(start, end - start)); !sentence.empty())
        document.sentences.push_back(std::move(sentence));
      start = end + sentence_separator.size();
    }
    if (document.sentences.empty()) throw DataFileError(path, i + 1, "no sentence in the text");
    documents.push_back(std::move(document));
  }
  return documents;
}

std::vector<WordAlignment> read_alignments(const std::string& path, size_t expected_lines) {
  std::ifstream in = open_data_file(path);
  std::vector<WordAlignment> alignments;
  for (std::string line; std::getline(in, line);) {
    try {
      alignments.push_back(parse_pharaoh(line));
    } catch (const std::invalid_argument& e) {
      throw DataFileError(path, alignments.size() + 1, e.what());
    }
  }
  if (alignments.size() != expected_lines)
    throw DataFileError(path, 0,
                        std::to_string(alignments.size()) + " lines, expected " + std::to_string(expected_lines) +
                            " (one per sentence pair)");
  return alignments;
}

}  // namespace attnlab
