#pragma once
// Readers of the text formats researchers bring. Every problem is reported as
// "path:line: what is wrong" (DataFileError), so a bad line is found at once:
//   parallel text  TSV "source<TAB>target", or two line-aligned files
//   monolingual    one segment per line
//   labelled text  TSV "label<TAB>text", the text's sentences separated by a separator string
//   alignments     one Pharaoh line per sentence pair, line-aligned with the pairs
// Files must be valid UTF-8 and not empty; "\r\n" line ends are accepted.

#include <stdexcept>
#include <string>
#include <vector>

#include "data/word_alignment.h"

namespace attnlab {

class DataFileError : public std::runtime_error {
 public:
  /// line 0: the file as a whole ("path: message").
  DataFileError(const std::string& path, size_t line, const std::string& message);
};

struct TextPair {
  std::string source, target;
};

struct LabelledText {
  std::string label;
  std::vector<std::string> sentences;
};

std::vector<TextPair> read_parallel_tsv(const std::string& path);
/// Line i of each file is pair i; the files must have the same number of lines.
std::vector<TextPair> read_parallel_files(const std::string& source_path, const std::string& target_path);
/// Non-empty lines (blank lines are skipped).
std::vector<std::string> read_text_lines(const std::string& path);
/// Sentences are the text split at `sentence_separator` (trimmed; empty ones dropped).
std::vector<LabelledText> read_labelled_tsv(const std::string& path, const std::string& sentence_separator);
/// Exactly `expected_lines` lines of Pharaoh links.
std::vector<WordAlignment> read_alignments(const std::string& path, size_t expected_lines);

}  // namespace attnlab
