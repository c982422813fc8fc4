// The folder picture of the house (README "Layout"): each library includes only the ones below
// it. A sideways or upward include fails here, naming the file and the line.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace attnlab {
namespace {

TEST(Layering, EveryLibraryIncludesOnlyTheOnesBelowIt) {
  const std::map<std::string, std::set<std::string>> below = {
      {"core", {}},
      {"modules", {"core"}},
      {"tokenizers", {"core"}},
      {"data", {"core", "tokenizers"}},
      {"models", {"core", "modules"}},
      {"training", {"core", "modules", "tokenizers", "data", "models"}},
      {"tools", {"core", "modules", "tokenizers", "data", "models", "training"}},
  };
  const std::regex include(R"(^\s*#include "([a-z_]+)/)");
  const std::filesystem::path root = ATTNLAB_SOURCE_DIR;
  int files = 0;
  for (const auto& [folder, allowed] : below) {
    ASSERT_TRUE(std::filesystem::is_directory(root / folder)) << folder;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / folder)) {
      const auto extension = entry.path().extension();
      if (extension != ".h" && extension != ".cpp") continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        std::smatch match;
        if (!std::regex_search(line, match, include)) continue;
        const std::string target = match[1];
        if (target == folder || !below.count(target)) continue;  // its own folder, or not a library
        EXPECT_TRUE(allowed.count(target)) << std::filesystem::relative(entry.path(), root).string() << ":" << number
                                           << ": " << folder << "/ includes " << target << "/, which is not below it";
      }
    }
  }
  EXPECT_GT(files, 100);  // the walk found the sources
}

}  // namespace
}  // namespace attnlab
