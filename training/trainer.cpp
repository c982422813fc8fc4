#include "training/trainer.h"

#include <chrono>
#include <cmath>
#include <sstream>
#include <numeric>
#include <filesystem>

#include "data/batching.h"
#include "training/metrics_log.h"
#include "training/progress.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

uint64_t draw_seed(int64_t run_seed, int64_t step, int64_t micro_batch) {
  // splitmix64 over the three numbers: nearby steps get unrelated seeds.
  auto mix = [](uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(static_cast<uint64_t>(run_seed)) ^ static_cast<uint64_t>(step)) ^ static_cast<uint64_t>(micro_batch));
}

Trainer::Trainer(Task& task, TrainOptions options, TrainerRun run)
    : task_(task), options_(std::move(options)), run_(std::move(run)) {}

std::string Trainer::latest_checkpoint(const std::string& run_dir) {
  return (fs::path(run_dir) / "checkpoints" / "latest.pt").string();
}
std::string Trainer::best_checkpoint(const std::string& run_dir) {
  return (fs::path(run_dir) / "checkpoints" / "best.pt").string();
}
std::string Trainer::previous_checkpoint(const std::string& run_dir) {
  return (fs::path(run_dir) / "checkpoints" / "previous.pt").string();
}

std::vector<std::vector<int64_t>> Trainer::epoch_batches(int64_t epoch) const {
  // The order depends only on (seed, epoch), so a resumed run sees the same batches.
  auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(run_.seed) * 1000003u + epoch);
  auto permutation = torch::randperm(task_.train_size(), generator, torch::kLong);
  std::vector<int64_t> order(permutation.data_ptr<int64_t>(), permutation.data_ptr<int64_t>() + permutation.numel());
  if (options_.batch_tokens() <= 0) return chunk(order, options_.batch_size());
  const auto lengths = task_.train_lengths();
  TORCH_CHECK(!lengths.empty(), "train.batch_tokens: this task batches by examples only; use batch_size");
  // Windows of ~100 batches' worth of examples are sorted by length, then the batches shuffled.
  const double mean_length = std::accumulate(lengths.begin(), lengths.end(), 0.0) / static_cast<double>(lengths.size());
  const auto per_batch = std::max<int64_t>(1, static_cast<int64_t>(options_.batch_tokens() / std::max(1.0, mean_length)));
  auto batches = token_budget_batches(order, lengths, options_.batch_tokens(), 100 * per_batch);
  auto shuffled = torch::randperm(static_cast<int64_t>(batches.size()), generator, torch::kLong);
  std::vector<std::vector<int64_t>> result;
  for (int64_t i = 0; i < shuffled.numel(); ++i) result.push_back(std::move(batches[shuffled[i].item<int64_t>()]));
  return result;
}

namespace {

/// The global L2 norm of the parameters' gradients (0 when none has one).
double gradient_norm(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> norms;
  for (const auto& p : parameters)
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  return norms.empty() ? 0.0 : torch::stack(norms).norm().item<double>();
}

[[noreturn]] void throw_diverged(int64_t step, const std::string& what, double value) {
  std::ostringstream message;
  message << "step " << step << ": the " << what << " is " << value
          << "; training stopped without saving, so checkpoints/ holds the last finite weights "
             "(lower the learning rate, or clip the gradient with train.clip_norm)";
  throw TrainingDiverged(message.str());
}

}  // namespace

void Trainer::resume_from(const std::string& latest, const std::string& previous, torch::nn::Module& model,
                          torch::optim::Optimizer& optimizer, TrainerState& state) const {
  const std::string start_over = "; remove " + run_.run_dir + " to train the run from the start";
  auto load = [&](const std::string& path) { load_checkpoint(path, model, &optimizer, &state, run_.config_hash); };
  if (!fs::exists(latest)) {  // stopped between keeping previous.pt and writing latest.pt
    load(previous);
    return;
  }
  try {
    load(latest);  // verified before anything is copied into the model
  } catch (const CheckpointError& e) {
    if (!e.damaged()) throw CheckpointError(e.what() + start_over, false);
    if (!fs::exists(previous)) throw CheckpointError(e.what() + std::string("; no earlier checkpoint is kept") + start_over, true);
    try {
      load(previous);
    } catch (const CheckpointError& earlier) {
      throw CheckpointError(std::string(e.what()) + "; and " + earlier.what() + start_over, true);
    }
    *run_.log << "[" << run_.label << "] " << e.what() << "; resuming from " << previous << " (step " << state.step
              << ")\n";
  }
}

TrainOutcome Trainer::train() {
  auto model = task_.model();
  auto optimizer = optimizer_registry().create(options_.optimizer(), model->parameters());
  const auto schedule = schedule_registry().create(options_.schedule(), options_.max_steps());
  const double base_lr = base_learning_rate(options_.optimizer());
  const auto& stopping = options_.early_stopping();
  const bool maximize = higher_is_better(stopping);

  fs::create_directories(fs::path(run_.run_dir) / "checkpoints");
  TrainOutcome outcome;
  TrainerState& state = outcome.state;
  const std::string latest = latest_checkpoint(run_.run_dir), previous = previous_checkpoint(run_.run_dir);
  if (run_.resume && (fs::exists(latest) || fs::exists(previous))) {
    resume_from(latest, previous, *model, *optimizer, state);
    at::Generator(at::detail::getDefaultCPUGenerator()).set_state(state.rng_state);
  }
  MetricsLog metrics_log((fs::path(run_.run_dir) / "metrics.jsonl").string(), state.step);
  ProgressLine progress(*run_.log, run_.log_is_terminal, run_.label);
  if (state.finished) return outcome;

  auto save_latest = [&] {  // the last two kept: latest.pt and previous.pt
    state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    if (fs::exists(latest)) fs::rename(latest, previous);
    save_checkpoint(latest, *model, optimizer.get(), &state, run_.config_hash);
  };

  model->train();
  auto batches = epoch_batches(state.epoch);
  const auto session_start = std::chrono::steady_clock::now();
  const double elapsed_before = state.elapsed_seconds;
  const int64_t session_first_step = state.step;
  double session_train_seconds = 0, logged_loss = 0;
  const bool skip_non_finite = options_.non_finite() == "skip";
  int64_t skipped_in_a_row = 0;
  int64_t logged_batches = 0, tokens_at_log = state.tokens;
  double train_seconds_at_log = state.train_seconds;

  while (state.step < options_.max_steps()) {
    const auto step_start = std::chrono::steady_clock::now();
    optimizer->zero_grad();
    double step_loss = 0;  // summed over the micro-batches
    for (int64_t micro = 0; micro < options_.grad_accumulation(); ++micro) {
      if (state.batch_in_epoch >= static_cast<int64_t>(batches.size())) {
        ++state.epoch;
        state.batch_in_epoch = 0;
        batches = epoch_batches(state.epoch);
      }
      auto result = task_.train_loss(batches[state.batch_in_epoch++], draw_seed(run_.seed, state.step, micro));
      (result.loss / static_cast<double>(options_.grad_accumulation())).backward();
      const double loss = result.loss.item<double>();
      step_loss += loss;
      state.tokens += result.tokens;
    }
    // The gradient's global L2 norm, clipped to clip_norm if one is set.
    const double grad_norm = options_.clip_norm() > 0
                                 ? torch::nn::utils::clip_grad_norm_(model->parameters(), options_.clip_norm())
                                 : gradient_norm(model->parameters());
    const double lr = base_lr * schedule(state.step + 1);
    if (std::isfinite(step_loss) && std::isfinite(grad_norm)) {
      for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
      optimizer->step();
      skipped_in_a_row = 0;
      logged_loss += step_loss;  // a skipped step's loss is left out of the logged mean
      logged_batches += options_.grad_accumulation();
    } else {
      const std::string what = std::isfinite(step_loss) ? "gradient norm" : "training loss";
      const double value = std::isfinite(step_loss) ? grad_norm : step_loss;
      if (!skip_non_finite) throw_diverged(state.step + 1, what, value);
      if (++skipped_in_a_row >= kMaxSkippedInARow)
        throw_diverged(state.step + 1, what + " (for the " + std::to_string(kMaxSkippedInARow) + "th step in a row)", value);
      ++state.skipped_steps;  // no update: the weights stay finite
      metrics_log.append({{"event", "skipped"}, {"step", state.step + 1}, {"what", what}, {"value", value}});
    }
    ++state.step;
    const double step_seconds = seconds_since(step_start);
    state.train_seconds += step_seconds;
    session_train_seconds += step_seconds;
    state.elapsed_seconds = elapsed_before + seconds_since(session_start);

    const double seconds_per_step = session_train_seconds / static_cast<double>(state.step - session_first_step);
    const double eta = seconds_per_step * static_cast<double>(options_.max_steps() - state.step);
    const bool log_now = state.step % options_.log_every() == 0;
    const double interval_tokens_per_second =
        static_cast<double>(state.tokens - tokens_at_log) / std::max(1e-9, state.train_seconds - train_seconds_at_log);
    progress.update(state.step, options_.max_steps(), logged_loss / std::max<int64_t>(1, logged_batches),
                    interval_tokens_per_second, eta, log_now);
    if (log_now) {
      metrics_log.append({{"event", "train"},
                          {"step", state.step},
                          {"split", "train"},
                          {"loss", logged_batches > 0 ? json(logged_loss / logged_batches) : json()},  // null: all skipped
                          {"lr", lr},
                          {"skipped_steps", state.skipped_steps},
                          {"tokens_per_s", interval_tokens_per_second},
                          {"elapsed_s", state.elapsed_seconds}});
      logged_loss = 0;
      logged_batches = 0;
      tokens_at_log = state.tokens;
      train_seconds_at_log = state.train_seconds;
    }

    bool stop_early = false;
    if (state.step % options_.eval_every() == 0 || state.step == options_.max_steps()) {
      Metrics metrics = task_.validate("valid");
      auto it = metrics.find(stopping.metric());
      TORCH_CHECK(it != metrics.end(), "validation gave no metric \"", stopping.metric(), "\"");
      // Weights an update made non-finite show here first: stop before they are saved.
      if (!std::isfinite(metrics.at("loss"))) throw_diverged(state.step, "validation loss", metrics.at("loss"));
      if (!std::isfinite(it->second)) throw_diverged(state.step, "validation " + stopping.metric(), it->second);
      const bool improved = state.best_step < 0 || (maximize ? it->second > state.best_metric
                                                             : it->second < state.best_metric);
      if (improved) {
        state.best_metric = it->second;
        state.best_step = state.step;
        state.evals_without_improvement = 0;
        save_checkpoint(best_checkpoint(run_.run_dir), *model, nullptr, nullptr, run_.config_hash);
      } else {
        ++state.evals_without_improvement;
      }
      stop_early = stopping.patience() > 0 && state.evals_without_improvement >= stopping.patience();
      state.elapsed_seconds = elapsed_before + seconds_since(session_start);
      metrics_log.append({{"event", "eval"},
                          {"step", state.step},
                          {"split", "valid"},
                          {"loss", metrics.at("loss")},
                          {"metrics", metrics},
                          {"lr", lr},
                          {"tokens_per_s", state.tokens / std::max(1e-9, state.train_seconds)},
                          {"elapsed_s", state.elapsed_seconds}});
      char text[160];
      std::snprintf(text, sizeof text, "step %lld valid %s %.4f%s", static_cast<long long>(state.step),
                    stopping.metric().c_str(), it->second, improved ? " (best)" : "");
      progress.message(text);
      state.finished = stop_early || state.step == options_.max_steps();
      save_latest();
    }
    if (run_.after_step) run_.after_step(state.step);
    if (stop_early) {
      outcome.stopped_early = true;
      progress.message("stopped early: no improvement in " + std::to_string(stopping.patience()) + " evaluations");
      break;
    }
    if (run_.stop && run_.stop->load() && !state.finished) {
      save_latest();
      progress.finish();
      outcome.interrupted = true;
      return outcome;
    }
  }
  progress.finish();
  return outcome;
}

}  // namespace attnlab
