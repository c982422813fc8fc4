#pragma once
// Shared by the tests that run the attnlab binary as a user runs it.

#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "tests/test_support.h"

namespace attnlab::test_util {

struct CliResult {
  int exit_code;
  std::string out, err;
};

/// A tiny reverse-task experiment of two variants (none, bahdanau) x two seeds, 40 steps.
extern const char* const kTinyExperiment;

/// `s` in single quotes, for a shell command line.
std::string quote(const std::string& s);

/// Runs `attnlab ARGS` in a shell, stdout and stderr kept in files of `dir`; `environment`, if
/// given, is an `env` argument list ("-u X Y=1") it runs under.
CliResult attnlab_cli(const std::string& args, const TempDir& dir, const std::string& stdin_path = "/dev/null",
                      const std::string& environment = "");

/// Starts `attnlab ARGS`, waits until `file` holds `text`, sends `signal`, returns the wait status.
int run_and_signal(const std::vector<std::string>& cli_args, const std::filesystem::path& file, const std::string& text,
                   int signal, const std::string& log);

/// The parameters of a run directory's latest checkpoint, loaded into the model its config.json builds.
std::vector<torch::Tensor> checkpoint_weights(const std::filesystem::path& run);

/// A tiny translation corpus in `dir`: Spanish numerals to English ones in reverse order
/// ({train,valid,test}.tsv, with gold word alignments in .align: i-j with j = n - 1 - i).
void write_numeral_corpus(const TempDir& dir);

}  // namespace attnlab::test_util
