// The fuzz targets in the normal suite: every target's seeds, the repository's experiment files
// and every input a fuzzer once crashed on (tests/fuzz/regressions/TARGET/) must meet the reader's
// contract (fuzz_targets.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/fuzz/fuzz_targets.h"

namespace attnlab::fuzz {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs one input, failing the test with the finding.
void expect_contract_kept(const FuzzTarget& target, const std::string& input, const std::string& origin) {
  try {
    target.run(input);
  } catch (const std::exception& e) {
    ADD_FAILURE() << target.name << " on " << origin << ": " << e.what();
  }
}

TEST(Fuzz, EveryTargetKeepsItsContractOnItsSeeds) {
  ASSERT_EQ(fuzz_targets().size(), 8u);
  for (const auto& target : fuzz_targets()) {
    const auto seeds = target.seeds();
    ASSERT_GE(seeds.size(), 3u) << target.name;
    for (size_t i = 0; i < seeds.size(); ++i) expect_contract_kept(target, seeds[i], "seed " + std::to_string(i));
  }
}

TEST(Fuzz, ExperimentFilesOfTheRepositoryLoad) {
  const auto& target = fuzz_target("experiment");
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(ATTNLAB_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".json") continue;
    expect_contract_kept(target, read_file(entry.path()), entry.path().string());
    ++files;
  }
  EXPECT_GE(files, 5u);
}

TEST(Fuzz, CrashInputsStayFixed) {
  const fs::path root = fs::path(ATTNLAB_SOURCE_DIR) / "tests/fuzz/regressions";
  ASSERT_TRUE(fs::is_directory(root));
  size_t inputs = 0;
  for (const auto& directory : fs::directory_iterator(root)) {
    const auto& target = fuzz_target(directory.path().filename().string());  // a directory per target
    for (const auto& entry : fs::directory_iterator(directory.path())) {
      expect_contract_kept(target, read_file(entry.path()), entry.path().string());
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u);
}

TEST(Fuzz, AnUnknownTargetIsNamedWithTheKnownOnes) {
  try {
    fuzz_target("jpeg");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("experiment, parallel_tsv"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnlab::fuzz
