#include "data/word_alignment.h"

#include <sstream>
#include <stdexcept>

namespace attnlab {

WordAlignment parse_pharaoh(const std::string& line) {
  WordAlignment links;
  std::istringstream items(line);
  for (std::string item; items >> item;) {
    const size_t dash = item.find('-');
    size_t used_i = 0, used_j = 0;
    long long i = -1, j = -1;
    try {
      if (dash != std::string::npos && dash > 0 && dash + 1 < item.size()) {
        i = std::stoll(item.substr(0, dash), &used_i);
        j = std::stoll(item.substr(dash + 1), &used_j);
      }
    } catch (const std::exception&) {
      i = -1;
    }
    if (i < 0 || j < 0 || used_i != dash || used_j != item.size() - dash - 1)
      throw std::invalid_argument("bad alignment link \"" + item + "\" (expected i-j with word indices i, j >= 0)");
    links.emplace(i, j);
  }
  return links;
}

std::string to_pharaoh(const WordAlignment& links) {
  std::string out;
  for (const auto& [i, j] : links) {
    if (!out.empty()) out += ' ';
    out += std::to_string(i) + "-" + std::to_string(j);
  }
  return out;
}

}  // namespace attnlab
