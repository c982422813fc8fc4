#pragma once
// The attnlab subcommands, one file each. Each returns the process exit code:
// 0 success, 1 failure while running, 2 bad input (command line or experiment file),
// 130 interrupted by Ctrl-C.

namespace attnlab::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

int run_command(int argc, char** argv);
int validate_command(int argc, char** argv);
int eval_command(int argc, char** argv);
int list_command(int argc, char** argv);
int train_run_command(int argc, char** argv);
int decode_command(int argc, char** argv);
int classify_command(int argc, char** argv);
int tokenizer_command(int argc, char** argv);
int doctor_command(int argc, char** argv);
int fill_mask_command(int argc, char** argv);
int export_command(int argc, char** argv);
int report_command(int argc, char** argv);

}  // namespace attnlab::cli
