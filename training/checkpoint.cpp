#include "training/checkpoint.h"

#include "training/atomic_file.h"

namespace attnlab {

namespace {

void write_int(torch::serialize::OutputArchive& archive, const std::string& key, int64_t value) {
  archive.write(key, torch::tensor(value, torch::kLong));
}
int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  archive.read(key, t);
  return t.item<int64_t>();
}
void write_real(torch::serialize::OutputArchive& archive, const std::string& key, double value) {
  archive.write(key, torch::tensor(value, torch::kDouble));
}
double read_real(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  archive.read(key, t);
  return t.item<double>();
}

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                     const TrainerState* state) {
  torch::serialize::OutputArchive archive, model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  if (state) {
    torch::serialize::OutputArchive s;
    write_int(s, "step", state->step);
    write_int(s, "epoch", state->epoch);
    write_int(s, "batch_in_epoch", state->batch_in_epoch);
    write_int(s, "tokens", state->tokens);
    write_real(s, "train_seconds", state->train_seconds);
    write_real(s, "elapsed_seconds", state->elapsed_seconds);
    write_int(s, "finished", state->finished);
    write_real(s, "best_metric", state->best_metric);
    write_int(s, "best_step", state->best_step);
    write_int(s, "evals_without_improvement", state->evals_without_improvement);
    s.write("rng_state", state->rng_state);
    archive.write("trainer", s);
  }
  const std::string temporary = temporary_path(path);
  archive.save_to(temporary);
  commit_file(temporary, path);
}

void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     TrainerState* state) {
  torch::serialize::InputArchive archive, model_archive;
  archive.load_from(path);
  archive.read("model", model_archive);
  model.load(model_archive);
  if (optimizer) {
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer->load(optimizer_archive);
  }
  if (state) {
    torch::serialize::InputArchive s;
    archive.read("trainer", s);
    state->step = read_int(s, "step");
    state->epoch = read_int(s, "epoch");
    state->batch_in_epoch = read_int(s, "batch_in_epoch");
    state->tokens = read_int(s, "tokens");
    state->train_seconds = read_real(s, "train_seconds");
    state->elapsed_seconds = read_real(s, "elapsed_seconds");
    state->finished = read_int(s, "finished") != 0;
    state->best_metric = read_real(s, "best_metric");
    state->best_step = read_int(s, "best_step");
    state->evals_without_improvement = read_int(s, "evals_without_improvement");
    s.read("rng_state", state->rng_state);
  }
}

}  // namespace attnlab
