#include "tests/test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace attnlab::test_util {

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() / ("attnlab-test-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void flip_byte(const std::string& path, size_t offset) {
  std::string bytes = read_text(path);
  ASSERT_LT(offset, bytes.size()) << path;
  bytes[offset] = static_cast<char>(~bytes[offset]);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TrainOutcome train_quietly(Task& task, const ExperimentOptions& options, const std::string& dir, int64_t seed,
                           const std::function<void(TrainerRun&)>& adjust) {
  TrainerRun run;
  run.run_dir = dir;
  run.seed = seed;
  std::ostringstream quiet;
  run.log = &quiet;
  if (adjust) adjust(run);
  return Trainer(task, options.train(), run).train();
}

torch::Tensor tensor3(const double* data, int64_t a, int64_t b, int64_t c) {
  return torch::from_blob(const_cast<double*>(data), {a, b, c}, torch::kDouble).clone();
}

void copy_multi_head_weights(const torch::nn::MultiheadAttention& reference, MultiHeadAttentionImpl& ours) {
  torch::NoGradGuard no_grad;
  auto w = reference->in_proj_weight.chunk(3, 0);
  auto b = reference->in_proj_bias.chunk(3, 0);
  ours.query_proj->weight.copy_(w[0]);
  ours.key_proj->weight.copy_(w[1]);
  ours.value_proj->weight.copy_(w[2]);
  ours.query_proj->bias.copy_(b[0]);
  ours.key_proj->bias.copy_(b[1]);
  ours.value_proj->bias.copy_(b[2]);
  ours.output_proj->weight.copy_(reference->out_proj->weight);
  ours.output_proj->bias.copy_(reference->out_proj->bias);
}

}  // namespace attnlab::test_util
