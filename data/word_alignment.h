#pragma once
// Word alignments between a source and a target sentence: links (i, j) = source word i and
// target word j, 0-based indices of whitespace-separated words, as the Pharaoh format "i-j"
// writes them (one line per sentence pair, links separated by spaces).

#include <cstdint>
#include <set>
#include <string>
#include <utility>

namespace attnlab {

using WordAlignment = std::set<std::pair<int64_t, int64_t>>;  // (source word i, target word j)

/// Parses "0-0 1-2 3-1" (an empty line: no links); throws std::invalid_argument naming the bad item.
WordAlignment parse_pharaoh(const std::string& line);
std::string to_pharaoh(const WordAlignment& links);

}  // namespace attnlab
