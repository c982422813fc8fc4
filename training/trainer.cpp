#include "training/trainer.h"

#include <chrono>
#include <cmath>
#include <sstream>
#include <numeric>
#include <filesystem>
#include <optional>

#include "data/batching.h"
#include "training/metrics_log.h"
#include "training/progress.h"
#include "training/sharded_evaluation.h"

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

// What one train() call keeps between steps.
struct Trainer::Session {
  Collective& collective;
  std::shared_ptr<torch::nn::Module> model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  LearningRateSchedule schedule;
  double base_lr = 0;
  TrainOutcome outcome;
  TrainerState& state = outcome.state;
  std::string latest, previous;
  std::optional<MetricsLog> metrics_log;  // rank 0 alone
  std::optional<ProgressLine> progress;
  std::vector<std::vector<int64_t>> batches;  // of the current epoch
  std::chrono::steady_clock::time_point session_start;
  double elapsed_before = 0, session_train_seconds = 0;
  int64_t session_first_step = 0;
  // Since the last train log line:
  double logged_loss = 0;
  int64_t logged_batches = 0, tokens_at_log = 0;
  double train_seconds_at_log = 0;
  int64_t skipped_in_a_row = 0;

  explicit Session(Collective& c) : collective(c) {}
  bool is_main() const { return collective.is_main(); }
  bool data_parallel() const { return collective.world_size() > 1; }
};

struct Trainer::Step {
  double loss = 0;  // summed over the micro-batches (over all ranks' shares)
  double lr = 0;
  bool stop_requested = false;  // on any rank (data-parallel runs: decided at the step's all-reduce)
};

namespace {

/// Progress of the ranks other than 0 goes nowhere.
std::ostream& discarded_output() {
  static std::ostream nowhere(nullptr);
  return nowhere;
}

/// Sums every rank's gradients into each rank's, so that each holds the gradient of the whole
/// batch. A parameter without a gradient on every rank keeps none (as one process leaves it).
/// `extra`: numbers summed in the same call (the step's loss, tokens, stop requests).
/// Returns the bytes this rank sent in.
int64_t all_reduce_gradients(Collective& collective, const std::vector<torch::Tensor>& parameters,
                          std::vector<double>& extra) {
  std::vector<torch::Tensor> flat;
  std::vector<double> numbers = extra;
  for (const auto& p : parameters) {
    flat.push_back(p.grad().defined() ? p.grad().reshape(-1).to(torch::kFloat) : torch::zeros({p.numel()}));
    numbers.push_back(p.grad().defined() ? 1.0 : 0.0);
  }
  std::vector<torch::Tensor> reduced = {torch::cat(flat), torch::tensor(numbers, torch::kDouble)};
  collective.all_reduce_sum(reduced);
  const double* summed = reduced[1].data_ptr<double>();
  for (size_t i = 0; i < extra.size(); ++i) extra[i] = summed[i];
  int64_t offset = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    auto p = parameters[i];
    const int64_t n = p.numel();
    if (summed[extra.size() + i] > 0) {
      auto gradient = reduced[0].narrow(0, offset, n).view(p.sizes()).to(p.scalar_type());
      if (p.grad().defined()) p.mutable_grad().copy_(gradient);
      else p.mutable_grad() = gradient.clone();
    }
    offset += n;
  }
  return reduced[0].numel() * 4 + reduced[1].numel() * 8;
}

/// Buffers a rank updates by itself in training (hard attention's REINFORCE baseline) move by
/// the mean of the ranks' moves, so that every rank holds the same values; buffers no rank moved
/// (positional tables) are left alone. Returns the bytes this rank sent in.
int64_t agree_on_buffers(Collective& collective, torch::nn::Module& model, const std::vector<torch::Tensor>& before) {
  const auto buffers = model.buffers();
  std::vector<double> moved_flags;
  for (size_t i = 0; i < buffers.size(); ++i)
    moved_flags.push_back(before[i].defined() && !torch::equal(buffers[i], before[i]) ? 1.0 : 0.0);
  if (moved_flags.empty()) return 0;
  std::vector<torch::Tensor> moved = {torch::tensor(moved_flags, torch::kDouble)};
  collective.all_reduce_sum(moved);
  int64_t bytes = moved[0].numel() * 8;
  std::vector<torch::Tensor> moves;
  std::vector<size_t> which;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (moved[0][static_cast<int64_t>(i)].item<double>() == 0) continue;
    moves.push_back((buffers[i] - before[i]).to(torch::kDouble).contiguous());
    which.push_back(i);
    bytes += moves.back().numel() * 8;
  }
  if (moves.empty()) return bytes;
  collective.all_reduce_sum(moves);
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < which.size(); ++k) {
    auto buffer = buffers[which[k]];
    buffer.copy_(before[which[k]].to(torch::kDouble) + moves[k] / static_cast<double>(collective.world_size()));
  }
  return bytes;
}

/// Copies of the model's floating-point buffers (undefined for the others).
std::vector<torch::Tensor> floating_buffers(torch::nn::Module& model) {
  std::vector<torch::Tensor> copies;
  for (const auto& b : model.buffers()) copies.push_back(b.is_floating_point() ? b.clone() : torch::Tensor());
  return copies;
}

/// Throws CollectiveError unless every rank holds rank 0's weights and buffers. They should,
/// bit for bit: every rank applies the same summed gradients and agrees on the buffers it moved.
/// Checked before each validation, whose shares would otherwise come from different models.
void check_ranks_hold_one_model(Collective& collective, torch::nn::Module& model, int64_t step) {
  std::string hashes;
  const auto add = [&](const torch::Tensor& tensor) {
    const auto t = tensor.contiguous();
    hashes += content_hash(t.data_ptr(), static_cast<size_t>(t.numel()) * t.element_size());
  };
  for (const auto& parameter : model.parameters()) add(parameter);
  for (const auto& buffer : model.buffers()) add(buffer);
  const std::string mine = content_hash(hashes.data(), hashes.size());
  const bool differs = broadcast_bytes(collective, mine) != mine;
  if (any_rank(collective, differs))
    throw CollectiveError("step " + std::to_string(step) + ": " +
                          (differs ? "rank " + std::to_string(collective.rank()) + "'s weights or buffers differ from rank 0's"
                                   : std::string("another rank's weights or buffers differ from rank 0's")));
}

}  // namespace

void Trainer::save_latest(Session& s) {  // the last two kept: latest.pt and previous.pt
  if (!s.is_main()) return;
  s.state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  if (fs::exists(s.latest)) fs::rename(s.latest, s.previous);
  save_checkpoint(s.latest, *s.model, s.optimizer.get(), &s.state, run_.config_hash);
}

void Trainer::start(Session& s) {
  s.model = task_.model();
  s.optimizer = optimizer_registry().create(options_.optimizer(), s.model->parameters());
  s.schedule = schedule_registry().create(options_.schedule(), options_.max_steps());
  s.base_lr = base_learning_rate(options_.optimizer());
  s.latest = latest_checkpoint(run_.run_dir);
  s.previous = previous_checkpoint(run_.run_dir);
  if (s.is_main()) {
    fs::create_directories(fs::path(run_.run_dir) / "checkpoints");
    if (run_.resume && (fs::exists(s.latest) || fs::exists(s.previous))) {
      resume_from(s.latest, s.previous, *s.model, *s.optimizer, s.state);
      at::Generator(at::detail::getDefaultCPUGenerator()).set_state(s.state.rng_state);
    }
  }
  if (s.data_parallel()) {
    // Rank 0's weights, optimizer state, data position and RNG, on every rank: at the start and
    // on resume alike, and whether or not the other ranks can read rank 0's files.
    if (s.is_main()) s.state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    const std::string bytes = broadcast_bytes(
        s.collective, s.is_main() ? checkpoint_bytes(*s.model, s.optimizer.get(), &s.state, run_.config_hash) : "");
    if (!s.is_main()) {
      load_checkpoint_bytes(bytes, "rank 0's state", *s.model, s.optimizer.get(), &s.state, run_.config_hash);
      at::Generator(at::detail::getDefaultCPUGenerator()).set_state(s.state.rng_state);
    }
  }
  if (s.is_main()) {
    s.metrics_log.emplace((fs::path(run_.run_dir) / "metrics.jsonl").string(), s.state.step);
    s.progress.emplace(*run_.log, run_.log_is_terminal, run_.label);
  } else {
    s.progress.emplace(discarded_output(), false, run_.label);
  }
  s.batches = epoch_batches(s.state.epoch);
  s.session_start = std::chrono::steady_clock::now();
  s.elapsed_before = s.state.elapsed_seconds;
  s.session_first_step = s.state.step;
  s.tokens_at_log = s.state.tokens;
  s.train_seconds_at_log = s.state.train_seconds;
}

Trainer::Step Trainer::take_step(Session& s) {
  TrainerState& state = s.state;
  const auto step_start = std::chrono::steady_clock::now();
  const int64_t accumulation = options_.grad_accumulation();
  const auto before = s.data_parallel() ? floating_buffers(*s.model) : std::vector<torch::Tensor>{};
  // The other ranks draw (dropout, sampled alignments) from their own stream, seeded per step so
  // that a resumed run draws as an uninterrupted one; rank 0 keeps the run's generator (saved in
  // its checkpoints), so one process draws as it always has.
  if (s.collective.rank() > 0) torch::manual_seed(draw_seed(run_.seed, state.step, -s.collective.rank()));
  s.optimizer->zero_grad();
  Step step;
  int64_t tokens = 0;
  for (int64_t micro = 0; micro < accumulation; ++micro) {
    if (state.batch_in_epoch >= static_cast<int64_t>(s.batches.size())) {
      ++state.epoch;
      state.batch_in_epoch = 0;
      s.batches = epoch_batches(state.epoch);
    }
    const auto& examples = s.batches[state.batch_in_epoch++];
    const uint64_t seed = draw_seed(run_.seed, state.step, micro);
    if (!s.data_parallel()) {
      auto result = task_.train_loss(examples, seed);
      (result.loss / static_cast<double>(accumulation)).backward();
      step.loss += result.loss.item<double>();
      tokens += result.tokens;
      continue;
    }
    // This rank's share of the micro-batch; the shares' losses are weighted by what each is a
    // mean over, so that their sum is the loss of the whole micro-batch.
    const auto [begin, end] = share_of(static_cast<int64_t>(examples.size()), s.collective.rank(), s.collective.world_size());
    TrainLoss result{torch::Tensor(), 0, 0};
    if (begin < end) result = task_.train_loss_of_rows(examples, seed, begin, end);
    std::vector<torch::Tensor> count = {torch::tensor(static_cast<double>(result.loss_count), torch::kDouble)};
    const auto exchange_start = std::chrono::steady_clock::now();
    s.collective.all_reduce_sum(count);
    s.outcome.exchange_seconds += seconds_since(exchange_start);
    const double total = count[0].item<double>();
    if (result.loss_count > 0 && total > 0) {
      const double weight = static_cast<double>(result.loss_count) / total;
      (result.loss * (weight / static_cast<double>(accumulation))).backward();
      step.loss += result.loss.item<double>() * weight;
    }
    tokens += result.tokens;
  }
  if (s.data_parallel()) {
    std::vector<double> sums = {step.loss, static_cast<double>(tokens), run_.stop && run_.stop->load() ? 1.0 : 0.0};
    const auto exchange_start = std::chrono::steady_clock::now();
    s.outcome.exchange_bytes_per_step = static_cast<double>(
        all_reduce_gradients(s.collective, s.model->parameters(), sums) + accumulation * sizeof(double));
    s.outcome.exchange_seconds += seconds_since(exchange_start);
    step.loss = sums[0];
    tokens = static_cast<int64_t>(std::llround(sums[1]));
    step.stop_requested = sums[2] > 0;
  }
  state.tokens += tokens;

  // The gradient's global L2 norm, clipped to clip_norm if one is set.
  const double grad_norm = options_.clip_norm() > 0
                               ? torch::nn::utils::clip_grad_norm_(s.model->parameters(), options_.clip_norm())
                               : gradient_norm(s.model->parameters());
  step.lr = s.base_lr * s.schedule(state.step + 1);
  if (std::isfinite(step.loss) && std::isfinite(grad_norm)) {
    for (auto& group : s.optimizer->param_groups()) group.options().set_lr(step.lr);
    s.optimizer->step();
    s.skipped_in_a_row = 0;
    s.logged_loss += step.loss;  // a skipped step's loss is left out of the logged mean
    s.logged_batches += accumulation;
  } else {
    const std::string what = std::isfinite(step.loss) ? "gradient norm" : "training loss";
    const double value = std::isfinite(step.loss) ? grad_norm : step.loss;
    if (options_.non_finite() != "skip") throw_diverged(state.step + 1, what, value);
    if (++s.skipped_in_a_row >= kMaxSkippedInARow)
      throw_diverged(state.step + 1, what + " (for the " + std::to_string(kMaxSkippedInARow) + "th step in a row)", value);
    ++state.skipped_steps;  // no update: the weights stay finite
    if (s.metrics_log) s.metrics_log->append({{"event", "skipped"}, {"step", state.step + 1}, {"what", what}, {"value", value}});
  }
  if (s.data_parallel()) {
    const auto exchange_start = std::chrono::steady_clock::now();
    s.outcome.exchange_bytes_per_step += static_cast<double>(agree_on_buffers(s.collective, *s.model, before));
    s.outcome.exchange_seconds += seconds_since(exchange_start);
  }
  ++state.step;
  const double step_seconds = seconds_since(step_start);
  state.train_seconds += step_seconds;
  s.session_train_seconds += step_seconds;
  s.outcome.session_train_seconds = s.session_train_seconds;
  state.elapsed_seconds = s.elapsed_before + seconds_since(s.session_start);
  return step;
}

void Trainer::log_step(Session& s, const Step& step) {
  const TrainerState& state = s.state;
  const double seconds_per_step = s.session_train_seconds / static_cast<double>(state.step - s.session_first_step);
  const double eta = seconds_per_step * static_cast<double>(options_.max_steps() - state.step);
  const bool log_now = state.step % options_.log_every() == 0;
  const double interval_tokens_per_second =
      static_cast<double>(state.tokens - s.tokens_at_log) / std::max(1e-9, state.train_seconds - s.train_seconds_at_log);
  s.progress->update(state.step, options_.max_steps(), s.logged_loss / std::max<int64_t>(1, s.logged_batches),
                     interval_tokens_per_second, eta, log_now);
  if (!log_now) return;
  if (s.metrics_log)
    s.metrics_log->append({{"event", "train"},
                           {"step", state.step},
                           {"split", "train"},
                           {"loss", s.logged_batches > 0 ? json(s.logged_loss / s.logged_batches) : json()},  // null: all skipped
                           {"lr", step.lr},
                           {"skipped_steps", state.skipped_steps},
                           {"tokens_per_s", interval_tokens_per_second},
                           {"elapsed_s", state.elapsed_seconds}});
  s.logged_loss = 0;
  s.logged_batches = 0;
  s.tokens_at_log = state.tokens;
  s.train_seconds_at_log = state.train_seconds;
}

bool Trainer::evaluate_and_checkpoint(Session& s, double lr) {
  TrainerState& state = s.state;
  const auto& stopping = options_.early_stopping();
  // Every rank validates its share of the batches; rank 0 decides from the combined metrics and
  // the other ranks obey its decision: {diverged, stop early}.
  if (s.data_parallel()) check_ranks_hold_one_model(s.collective, *s.model, state.step);
  const Metrics metrics = evaluate_on_ranks(task_, s.collective, "valid", EvaluationPass::kValidation).metrics;
  std::vector<double> decision = {0, 0};
  std::optional<TrainingDiverged> diverged;
  if (s.is_main()) {
    try {
      auto it = metrics.find(stopping.metric());
      TORCH_CHECK(it != metrics.end(), "validation gave no metric \"", stopping.metric(), "\"");
      // Weights an update made non-finite show here first: stop before they are saved.
      if (!std::isfinite(metrics.at("loss"))) throw_diverged(state.step, "validation loss", metrics.at("loss"));
      if (!std::isfinite(it->second)) throw_diverged(state.step, "validation " + stopping.metric(), it->second);
      const bool maximize = higher_is_better(stopping);
      const bool improved = state.best_step < 0 || (maximize ? it->second > state.best_metric
                                                             : it->second < state.best_metric);
      if (improved) {
        state.best_metric = it->second;
        state.best_step = state.step;
        state.evals_without_improvement = 0;
        save_checkpoint(best_checkpoint(run_.run_dir), *s.model, nullptr, nullptr, run_.config_hash);
      } else {
        ++state.evals_without_improvement;
      }
      state.elapsed_seconds = s.elapsed_before + seconds_since(s.session_start);
      s.metrics_log->append({{"event", "eval"},
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
      s.progress->message(text);
      decision[1] = stopping.patience() > 0 && state.evals_without_improvement >= stopping.patience();
    } catch (const TrainingDiverged& e) {
      diverged = e;
      decision[0] = 1;
    }
  }
  decision = broadcast_values(s.collective, decision);
  if (diverged) throw *diverged;
  if (decision[0] > 0) throw TrainingDiverged("step " + std::to_string(state.step) + ": rank 0's validation is not finite");
  const bool stop_early = decision[1] > 0;
  state.finished = stop_early || state.step == options_.max_steps();
  save_latest(s);
  return stop_early;
}

TrainOutcome Trainer::train() {
  SingleProcess alone;
  Session s(run_.collective ? *run_.collective : alone);
  start(s);
  if (s.state.finished) return s.outcome;
  s.model->train();
  while (s.state.step < options_.max_steps()) {
    const Step step = take_step(s);
    log_step(s, step);
    bool stop_early = false;
    if (s.state.step % options_.eval_every() == 0 || s.state.step == options_.max_steps())
      stop_early = evaluate_and_checkpoint(s, step.lr);
    if (run_.after_step) run_.after_step(s.state.step);
    if (stop_early) {
      s.outcome.stopped_early = true;
      s.progress->message("stopped early: no improvement in " + std::to_string(options_.early_stopping().patience()) +
                          " evaluations");
      break;
    }
    const bool stop = s.data_parallel() ? step.stop_requested : run_.stop && run_.stop->load();
    if (stop && !s.state.finished) {
      save_latest(s);
      s.progress->finish();
      s.outcome.interrupted = true;
      return s.outcome;
    }
  }
  s.progress->finish();
  return s.outcome;
}

}  // namespace attnlab
