#pragma once
// attnlab bench: benchmarks that print figures (never timed unit tests).
//   bench attention (bench_attention.cpp): forward + backward of every registered attention.
//   bench model (bench_model.cpp): training and decoding speed and peak memory of whole models.
//   bench export (bench_export.cpp): exported TorchScript modules against the eager C++ models.
//   bench data-parallel (bench_data_parallel.cpp): one process against data-parallel ranks.

namespace attnlab::cli {

/// `attnlab bench attention|model|export|data-parallel [options]`: dispatches to the benchmark named first.
/// Each returns 0 on success, 1 on failure while running, 2 on a bad command line.
int bench_command(int argc, char** argv);
int bench_attention_command(int argc, char** argv);
int bench_model_command(int argc, char** argv);
int bench_export_command(int argc, char** argv);
int bench_data_parallel_command(int argc, char** argv);

}  // namespace attnlab::cli
