// attnlab translate RUN_DIR | --model FILE.pt (also `attnlab decode`): translate source lines from
// stdin with a trained seq2seq run or its export, by beam search (beam 1: greedy), one output
// line per input line (or the n best).

#include <cmath>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/special_tokens.h"
#include "models/decoding.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/commands.h"
#include "tools/cli/trained_run.h"
#include "training/runner.h"
#include "training/seq2seq_task.h"

namespace attnlab::cli {

namespace {

/// Source ids of a batch, padded: ids [B, S], lengths [B].
std::pair<torch::Tensor, torch::Tensor> source_batch(const std::vector<std::vector<int64_t>>& sources) {
  int64_t longest = 1;
  for (const auto& s : sources) longest = std::max<int64_t>(longest, static_cast<int64_t>(s.size()));
  const int64_t B = static_cast<int64_t>(sources.size());
  std::vector<int64_t> ids(B * longest, kPad), lengths(B);
  for (int64_t b = 0; b < B; ++b) {
    std::copy(sources[b].begin(), sources[b].end(), ids.begin() + b * longest);
    lengths[b] = static_cast<int64_t>(sources[b].size());
  }
  return {torch::tensor(ids).view({B, longest}), torch::tensor(lengths)};
}

/// An exported model's beam_search (models/torchscript_export.h) as models/decoding's hypotheses.
std::vector<std::vector<ScoredHypothesis>> exported_beam_search(torch::jit::Module& module, const torch::Tensor& source,
                                                                const torch::Tensor& lengths,
                                                                const BeamSearchOptions& beam) {
  auto out = module.get_method("beam_search")({source, lengths, beam.beam(), beam.max_length_ratio(), beam.max_length_extra(),
                                                beam.length_penalty(), beam.n_best()})
                 .toTuple();
  const auto& e = out->elements();
  auto tokens = e[0].toTensor(), counts = e[1].toTensor(), scores = e[2].toTensor(), log_probs = e[3].toTensor(),
       ended = e[4].toTensor();
  std::vector<std::vector<ScoredHypothesis>> hypotheses(tokens.size(0));
  for (int64_t b = 0; b < tokens.size(0); ++b)
    for (int64_t j = 0; j < tokens.size(1); ++j) {
      if (std::isinf(scores[b][j].item<double>())) continue;  // fewer hypotheses than n_best
      auto row = tokens[b][j].narrow(0, 0, counts[b][j].item<int64_t>()).contiguous();
      hypotheses[b].push_back({std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel()),
                               log_probs[b][j].item<double>(), scores[b][j].item<double>(), ended[b][j].item<bool>()});
    }
  return hypotheses;
}

void print_hypotheses(const std::vector<std::vector<ScoredHypothesis>>& hypotheses, const Tokenizer& tokenizer,
                      const BeamSearchOptions& beam) {
  for (const auto& nbest : hypotheses) {
    if (beam.n_best() == 1) {
      std::cout << (nbest.empty() ? "" : tokenizer.decode(nbest[0].tokens)) << "\n";
      continue;
    }
    for (size_t k = 0; k < nbest.size(); ++k)
      std::cout << k + 1 << "\t" << nbest[k].score << "\t" << tokenizer.decode(nbest[k].tokens) << "\n";
    std::cout << "\n";
  }
}

}  // namespace

int decode_command(int argc, char** argv) {
  const std::string program = argv[0];  // "attnlab translate" or its other name "attnlab decode"
  cxxopts::Options options(program,
                           "Decode source lines from stdin with a trained seq2seq run (its best checkpoint) or its export "
                           "(--model FILE.pt, from attnlab export), by beam "
                           "search. Prints one output line per input line; with --n-best N > 1, N lines "
                           "'rank<TAB>score<TAB>output' and a blank line per input.");
  BeamSearchOptions defaults;
  options.add_options()("run_dir", "a run directory (holds config.json and checkpoints/)", cxxopts::value<std::string>())(
      "model", "an exported file (attnlab export) instead of RUN_DIR", cxxopts::value<std::string>())(
      "beam", "beam size (1: greedy)", cxxopts::value<int64_t>()->default_value(std::to_string(defaults.beam())))(
      "n-best", "hypotheses printed per input", cxxopts::value<int64_t>()->default_value("1"))(
      "length-penalty", "GNMT length penalty alpha (0: none)",
      cxxopts::value<double>()->default_value(std::to_string(defaults.length_penalty())))(
      "max-length-ratio", "maximum output length ratio * source length + extra: the ratio",
      cxxopts::value<double>()->default_value(std::to_string(defaults.max_length_ratio())))(
      "max-length-extra", "... the extra tokens", cxxopts::value<int64_t>()->default_value(std::to_string(defaults.max_length_extra())))(
      "batch-size", "sentences decoded at once", cxxopts::value<int64_t>()->default_value("64"));
  options.parse_positional({"run_dir"});
  options.positional_help("RUN_DIR | --model FILE.pt");
  int exit_code = kExitOk;
  auto args = parse_or_exit(options, argc, argv,
                            program + " runs/quickstart/bahdanau/seed-1 --beam 5 --n-best 3 < sources.txt", exit_code);
  if (!args) return exit_code;
  if (!one_model_source(*args, program)) return kExitBadInput;
  BeamSearchOptions beam;
  beam.beam((*args)["beam"].as<int64_t>())
      .n_best((*args)["n-best"].as<int64_t>())
      .length_penalty((*args)["length-penalty"].as<double>())
      .max_length_ratio((*args)["max-length-ratio"].as<double>())
      .max_length_extra((*args)["max-length-extra"].as<int64_t>());
  const int64_t batch_size = (*args)["batch-size"].as<int64_t>();
  if (beam.beam() < 1 || beam.n_best() < 1 || beam.n_best() > beam.beam() || batch_size < 1 ||
      beam.length_penalty() < 0 || beam.max_length_ratio() < 0 || beam.max_length_extra() < 0) {
    std::cerr << program << ": need --beam >= 1, 1 <= --n-best <= --beam, --batch-size >= 1 and "
                 "non-negative length options\n";
    return kExitBadInput;
  }
  // The decoder: a run's best checkpoint, or an exported file.
  std::unique_ptr<Task> task;
  std::optional<ExportedRun> exported;
  std::function<std::vector<std::vector<ScoredHypothesis>>(const torch::Tensor&, const torch::Tensor&)> decode;
  const Tokenizer* tokenizer_of_model = nullptr;
  if (args->count("model")) {
    exported = load_export_of_kind((*args)["model"].as<std::string>(), "seq2seq");
    if (!exported) return kExitBadInput;
    tokenizer_of_model = exported->tokenizer.get();
    decode = [&](const torch::Tensor& source, const torch::Tensor& lengths) {
      return exported_beam_search(exported->module, source, lengths, beam);
    };
  } else {
    auto* seq2seq = load_trained_task_of_kind<Seq2SeqTask>((*args)["run_dir"].as<std::string>(), "sequence-to-sequence", task);
    if (!seq2seq) return kExitBadInput;
    seq2seq->seq2seq_model().eval();
    tokenizer_of_model = &seq2seq->tokenizer();
    decode = [seq2seq, &beam](const torch::Tensor& source, const torch::Tensor& lengths) {
      return beam_search(seq2seq->seq2seq_model(), source, lengths, beam);
    };
  }
  torch::NoGradGuard no_grad;
  const Tokenizer& tokenizer = *tokenizer_of_model;
  // Empty lines give empty outputs (the model needs at least one source token).
  std::vector<std::vector<int64_t>> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    auto [source, lengths] = source_batch(pending);
    print_hypotheses(decode(source, lengths), tokenizer, beam);
    pending.clear();
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    auto ids = tokenizer.encode(line);
    if (ids.empty()) {
      flush();
      std::cout << (beam.n_best() == 1 ? "\n" : "\n\n");
      continue;
    }
    pending.push_back(std::move(ids));
    if (static_cast<int64_t>(pending.size()) == batch_size) flush();
  }
  flush();
  return kExitOk;
}

}  // namespace attnlab::cli
