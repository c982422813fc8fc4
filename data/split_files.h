#pragma once
// The three files of a text dataset, as its options name them: "train", "valid", "test"
// (paths relative to the working directory), each required.

#include <string>

namespace attnlab {

struct SplitFiles {
  std::string train, valid, test;
};

/// The visit_fields lines of a dataset's three required files.
template <class Fields>
void visit_split_files(Fields& f, SplitFiles& files) {
  for (auto [key, path] : {std::pair<const char*, std::string*>{"train", &files.train}, {"valid", &files.valid},
                          {"test", &files.test}}) {
    f.require(key);
    f(key, *path);
  }
}

}  // namespace attnlab
