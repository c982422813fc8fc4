// The text readers: what they read, and one test per kind of bad input, each naming file:line.

#include <gtest/gtest.h>

#include "data/text_files.h"
#include "tests/test_support.h"

namespace attnlab {
namespace {

using test_util::TempDir;
using test_util::write_text;

/// The message a reader throws on `text` (written to a file named `name`), or "" if none.
template <class Read>
std::string error_of(const TempDir& dir, const std::string& name, const std::string& text, Read read) {
  write_text(dir.file(name), text);
  try {
    read(dir.file(name));
  } catch (const DataFileError& e) {
    return e.what();
  }
  return "";
}

TEST(TextFiles, ParallelTsvPairsAndItsErrors) {
  TempDir dir;
  write_text(dir.file("ok.tsv"), "En el principio\tIn the beginning\r\n y la luz \t and light\n");
  const auto pairs = read_parallel_tsv(dir.file("ok.tsv"));
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1].source, "y la luz");
  EXPECT_EQ(pairs[1].target, "and light");
  auto read = [](const std::string& path) { read_parallel_tsv(path); };
  EXPECT_EQ(error_of(dir, "a.tsv", "a\tb\nno tab here\n", read),
            dir.file("a.tsv") + ":2: no tab; expected source<TAB>target");
  EXPECT_EQ(error_of(dir, "b.tsv", "a\tb\tc\n", read),
            dir.file("b.tsv") + ":1: expected source<TAB>target, got 3 tab-separated columns");
  EXPECT_EQ(error_of(dir, "c.tsv", "a\tb\n\tb\n", read), dir.file("c.tsv") + ":2: empty source");
  EXPECT_EQ(error_of(dir, "d.tsv", "a\tb\nok\tb\xff\n", read), dir.file("d.tsv") + ":2: invalid UTF-8 at byte 5");
  EXPECT_EQ(error_of(dir, "e.tsv", "\n \n", read), dir.file("e.tsv") + ": empty file");
  EXPECT_EQ(error_of(dir, "missing.tsv", "", [&](const std::string&) { read_parallel_tsv(dir.file("none.tsv")); }),
            dir.file("none.tsv") + ": cannot read");
  EXPECT_EQ(error_of(dir, "f.tsv", std::string("a\tb\nc\td\0e\n", 9), read),
            dir.file("f.tsv") + ":2: a NUL byte at byte 4 (a binary file?)");
  EXPECT_EQ(error_of(dir, "dir.tsv", "", [&](const std::string&) { read_parallel_tsv(dir.path().string()); }),
            dir.path().string() + ": is a directory, not a text file");
}

TEST(TextFiles, LineAlignedFilesMustHaveTheSameCount) {
  TempDir dir;
  write_text(dir.file("s.es"), "uno\ndos\n");
  write_text(dir.file("t.en"), "one\ntwo\n");
  EXPECT_EQ(read_parallel_files(dir.file("s.es"), dir.file("t.en")).size(), 2u);
  write_text(dir.file("short.en"), "one\n");
  try {
    read_parallel_files(dir.file("s.es"), dir.file("short.en"));
    FAIL();
  } catch (const DataFileError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("short.en") + ": 1 lines, but " + dir.file("s.es") +
                                         " has 2; line-aligned files must have the same count");
  }
  write_text(dir.file("gap.en"), "one\n\n");
  EXPECT_EQ(error_of(dir, "gap.en", "one\n \n", [&](const std::string& p) { read_parallel_files(dir.file("s.es"), p); }),
            dir.file("gap.en") + ":2: empty line (its pair has none)");
}

TEST(TextFiles, MonolingualAndLabelledText) {
  TempDir dir;
  write_text(dir.file("m.txt"), "one line\n\n  two  \n");
  EXPECT_EQ(read_text_lines(dir.file("m.txt")), (std::vector<std::string>{"one line", "two"}));
  write_text(dir.file("l.tsv"), "wisdom\tKnow thyself. ||| Then others. ||| \nlinux\tRTFM\n");
  const auto docs = read_labelled_tsv(dir.file("l.tsv"), "|||");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].label, "wisdom");
  EXPECT_EQ(docs[0].sentences, (std::vector<std::string>{"Know thyself.", "Then others."}));
  EXPECT_EQ(docs[1].sentences, (std::vector<std::string>{"RTFM"}));
  auto read = [](const std::string& p) { read_labelled_tsv(p, "|||"); };
  EXPECT_EQ(error_of(dir, "x.tsv", "a\tb\nlabel only\n", read), dir.file("x.tsv") + ":2: no tab; expected label<TAB>text");
  EXPECT_EQ(error_of(dir, "y.tsv", "a\t ||| \n", read), dir.file("y.tsv") + ":1: no sentence in the text");
}

TEST(TextFiles, AlignmentsAreCheckedLineByLine) {
  TempDir dir;
  write_text(dir.file("ok.align"), "0-0 1-2\n\n2-1\n");
  const auto links = read_alignments(dir.file("ok.align"), 3);
  EXPECT_EQ(links[0], (WordAlignment{{0, 0}, {1, 2}}));
  EXPECT_TRUE(links[1].empty());
  EXPECT_EQ(error_of(dir, "bad.align", "0-0\n1:2\n", [](const std::string& p) { read_alignments(p, 2); }),
            dir.file("bad.align") + ":2: bad alignment link \"1:2\" (expected i-j with word indices i, j >= 0)");
  EXPECT_EQ(error_of(dir, "few.align", "0-0\n", [](const std::string& p) { read_alignments(p, 2); }),
            dir.file("few.align") + ": 1 lines, expected 2 (one per sentence pair)");
}

}  // namespace
}  // namespace attnlab
