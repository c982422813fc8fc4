#pragma once
// Fuzz targets: each hands arbitrary bytes to one reader of user input, as a file in a scratch
// directory, and holds the reader to its contract: either it accepts the input (and what it gives
// back keeps its invariants) or it throws its one documented error type with a one-line message
// that names the file. Anything else — another exception type, a message of several lines or
// without the file, a broken invariant — is a finding: run() throws FuzzFinding.
//
// The same targets run twice: under libFuzzer (tests/fuzz/fuzz_main.cpp, built by tools/fuzz.sh
// with clang, ASan and UBSan) and in the normal test suite, over each target's built-in seeds and
// the inputs the fuzzer once crashed on (tests/fuzz/regressions/TARGET/).

#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab::fuzz {

/// A reader broke its contract on some input.
class FuzzFinding : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

struct FuzzTarget {
  std::string name;
  std::string reads;  // what the bytes are, in words
  /// Feeds one input; throws FuzzFinding (or lets an undocumented exception through) on a finding.
  void (*run)(const std::string& bytes);
  /// Valid (and a few invalid) inputs to start from, made by attnlab's own writers.
  std::vector<std::string> (*seeds)();
};

const std::vector<FuzzTarget>& fuzz_targets();
/// The target of that name; throws std::invalid_argument listing the names.
const FuzzTarget& fuzz_target(const std::string& name);

}  // namespace attnlab::fuzz
