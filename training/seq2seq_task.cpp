// Legend: B batch, S source steps, T target steps (target + EOS), L decoded steps, V vocab.

#include "training/seq2seq_task.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/special_tokens.h"
#include "data/batching.h"
#include "models/decoding.h"
#include "modules/attention.h"
#include "training/alignment_error_rate.h"
#include "training/translation_metrics.h"

namespace attnlab {

Seq2SeqTask::Seq2SeqTask(std::shared_ptr<Seq2SeqData> data, std::shared_ptr<Seq2SeqModelImpl> model,
                         EvalOptions eval, Seq2SeqTaskOptions options)
    : data_(std::move(data)), model_(std::move(model)), eval_(std::move(eval)), options_(options) {
  TORCH_CHECK(data_ && model_, "seq2seq task: needs data and a seq2seq model");
}

int64_t Seq2SeqTask::train_size() const { return static_cast<int64_t>(data_->split("train").size()); }

TrainLoss Seq2SeqTask::train_loss(const std::vector<int64_t>& examples, uint64_t /*draw_seed*/) {
  auto batch = make_batch(data_->split("train"), examples);
  auto out = model_->forward(batch.source, batch.source_lengths, batch.target_in);
  auto loss = label_smoothed_nll(out.log_probs.flatten(0, 1), batch.target_out.flatten(), options_.label_smoothing(),
                                 kPad);
  // A score-function estimator (hard attention, REINFORCE) adds its term; its reward is each
  // sequence's log-likelihood log p(y | sampled alignments) (Xu et al. 2015) per target token,
  // so that sequences of different lengths are compared by how well they were attended, not
  // by their length.
  auto step_mask = batch.target_out.ne(kPad);  // [B, T]
  auto token_log_probs = out.log_probs.gather(-1, batch.target_out.unsqueeze(-1)).squeeze(-1);  // [B, T]
  auto reward = ((token_log_probs * step_mask).sum(1) / step_mask.sum(1)).detach();               // [B]
  if (auto extra = model_->estimator_loss(out, reward, step_mask); extra.defined()) loss = loss + extra;
  return {loss, batch.target_tokens(), batch.target_tokens()};
}

std::vector<int64_t> Seq2SeqTask::train_lengths() const {
  std::vector<int64_t> lengths;
  for (const auto& ex : data_->split("train"))
    lengths.push_back(static_cast<int64_t>(std::max(ex.source.size(), ex.target.size() + 1)));
  return lengths;
}

std::vector<std::string> Seq2SeqTask::bucket_names() const {
  std::vector<std::string> names;
  int64_t low = 1;
  for (int64_t edge : eval_.length_buckets()) {
    if (edge < low) continue;
    names.push_back(std::to_string(low) + "-" + std::to_string(edge));
    low = edge + 1;
  }
  names.push_back(std::to_string(low) + "+");
  return names;
}

int64_t Seq2SeqTask::bucket_of(int64_t source_length) const {
  int64_t bucket = 0, low = 1;
  for (int64_t edge : eval_.length_buckets()) {
    if (edge < low) continue;
    if (source_length <= edge) return bucket;
    ++bucket;
    low = edge + 1;
  }
  return bucket;
}

std::vector<std::string> Seq2SeqTask::splits() const {
  std::vector<std::string> names;
  for (const auto& split : data_->splits) names.push_back(split.first);
  return names;
}

std::vector<std::string> Seq2SeqTask::filled_buckets(const std::string& split) const {
  const auto names = bucket_names();
  std::vector<bool> filled(names.size(), false);
  for (const auto& ex : data_->split(split)) filled[bucket_of(static_cast<int64_t>(ex.source.size()))] = true;
  std::vector<std::string> result;
  for (size_t k = 0; k < names.size(); ++k)
    if (filled[k]) result.push_back(names[k]);
  return result;
}

bool Seq2SeqTask::has_word_alignments(const std::string& split) const {
  const auto& examples = data_->split(split);
  return std::any_of(examples.begin(), examples.end(), [](const auto& ex) { return ex.word_alignment.has_value(); });
}

std::vector<std::string> Seq2SeqTask::metric_names(const std::string& split, bool decode) const {
  std::vector<std::string> names = {"loss", "ppl"};
  if (decode) names.insert(names.end(), {"token_accuracy", "exact_match"});
  if (decode && data_->has_text) names.insert(names.end(), {"bleu", "chrf"});
  if (has_word_alignments(split)) {
    if (model_->has_attention()) names.push_back("aer");
    names.push_back("aer_diagonal");
  }
  if (model_->has_attention()) {
    if (!data_->has_text) names.push_back("alignment_accuracy");  // text has word alignments instead (aer)
    names.push_back("attention_entropy");
  }
  for (const auto& b : filled_buckets(split)) {
    if (!decode) break;
    names.push_back("token_accuracy@" + b);
    names.push_back("exact_match@" + b);
  }
  return names;
}

std::vector<std::string> Seq2SeqTask::table_metrics(const std::string& split) const {
  if (data_->has_text) {  // translation: corpus metrics; "–" where a variant has no attention
    std::vector<std::string> names = {"bleu", "chrf", "ppl"};
    if (has_word_alignments(split)) names.insert(names.end(), {"aer", "aer_diagonal"});
    names.push_back("attention_entropy");
    return names;
  }
  std::vector<std::string> names = {"exact_match", "token_accuracy"};
  for (const auto& b : filled_buckets(split)) names.push_back("token_accuracy@" + b);
  // Columns for every variant: "–" where there is no attention.
  names.push_back("alignment_accuracy");
  names.push_back("attention_entropy");
  return names;
}

// The sums of a share (MetricSums), each a vector:
//   "loss"          {Σ −log p of target tokens, target tokens (EOS included)}
//   "attention"     {steps whose most-attended position is the gold one, steps with a gold
//                    position, Σ attention entropy over target steps}
//   "aer", "aer_diagonal"  {predicted links, gold links, matched links}
//   "bucket <name>" {correct tokens, target tokens, exact outputs, examples}   (decoding passes)
//   "bleu", "chrf"  sacreBLEU's statistics summed over sentences             (decoding passes, text)
MetricSums Seq2SeqTask::measure(const std::string& split, EvaluationPass pass, EvaluationShare share,
                                Predictions* predictions) {
  const auto& examples = data_->split(split);
  TORCH_CHECK(!examples.empty(), "seq2seq task: split \"", split, "\" is empty");
  torch::NoGradGuard no_grad;
  EvalModeGuard eval_mode(*model_);
  const bool decode = decodes(pass);

  MetricSums sums = {{"loss", {0, 0}}, {"attention", {0, 0, 0}}, {"aer", {0, 0, 0}}, {"aer_diagonal", {0, 0, 0}}};
  const auto names = bucket_names();
  for (size_t k = 0; decode && k < names.size(); ++k) sums["bucket " + names[k]] = {0, 0, 0, 0};
  if (decode && data_->has_text) {
    sums["bleu"].assign(kBleuStatistics, 0.0);
    sums["chrf"].assign(kChrfStatistics, 0.0);
  }
  auto& loss = sums["loss"];
  auto& attention = sums["attention"];
  const auto add = [](std::vector<double>& sum, const std::vector<double>& values) {
    for (size_t i = 0; i < values.size(); ++i) sum[i] += values[i];
  };
  const auto add_links = [](std::vector<double>& sum, const AlignmentErrorCounts& counts) {
    sum[0] += static_cast<double>(counts.predicted);
    sum[1] += static_cast<double>(counts.gold);
    sum[2] += static_cast<double>(counts.matched);
  };
  const bool word_alignments = has_word_alignments(split);
  auto spaced_pieces = [&](const std::vector<int64_t>& ids) {
    std::string text;
    for (int64_t id : ids) text += (text.empty() ? "" : " ") + data_->tokenizer->piece(id);
    return text;
  };
  auto output_ids = [](const torch::Tensor& row) {  // [L] -> the ids before the first EOS
    std::vector<int64_t> ids;
    auto values = row.accessor<int64_t, 1>();
    for (int64_t t = 0; t < values.size(0) && values[t] != kEos && values[t] != kPad; ++t) ids.push_back(values[t]);
    return ids;
  };

  // Batches of similar source lengths: a batch decodes until its longest source's step limit,
  // so mixing lengths would make every short verse wait for the longest one. Corpus metrics
  // do not depend on the order.
  std::vector<int64_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return examples[a].source.size() < examples[b].source.size(); });
  const auto batches = chunk(order, eval_.batch_size());
  for (size_t batch_index = 0; batch_index < batches.size(); ++batch_index) {
    if (!share.takes(batch_index)) continue;
    throw_if_stopped();
    const auto& indices = batches[batch_index];
    auto batch = make_batch(examples, indices);
    auto target_mask = batch.target_out.ne(kPad);  // [B, T]

    // Teacher forcing: loss and attention against the gold alignment.
    auto forced = model_->forward(batch.source, batch.source_lengths, batch.target_in);
    loss[0] += torch::nll_loss(forced.log_probs.flatten(0, 1), batch.target_out.flatten(), {}, at::Reduction::Sum, kPad)
                   .item<double>();
    loss[1] += target_mask.sum().item<double>();
    if (forced.attention.defined()) {
      auto gold = batch.alignment.ge(0);                                 // [B, T]
      auto hit = forced.attention.argmax(-1).eq(batch.alignment) & gold;  // [B, T]
      attention[0] += hit.sum().item<double>();
      attention[1] += gold.sum().item<double>();
      attention[2] += (weight_entropy(forced.attention) * target_mask).sum().item<double>();
    }
    // Gold word alignments: the teacher-forced attention summed to words, and the diagonal.
    for (size_t b = 0; word_alignments && b < indices.size(); ++b) {
      const auto& ex = examples[indices[b]];
      if (!ex.word_alignment) continue;
      const auto words = [](const std::vector<int64_t>& word_of_piece) {
        return word_of_piece.empty() ? int64_t{0} : *std::max_element(word_of_piece.begin(), word_of_piece.end()) + 1;
      };
      AlignmentErrorCounts diagonal, attended;
      diagonal.add(diagonal_alignment(words(ex.source_word_of_piece), words(ex.target_word_of_piece)),
                   *ex.word_alignment);
      add_links(sums["aer_diagonal"], diagonal);
      if (!forced.attention.defined()) continue;
      const auto S = static_cast<int64_t>(ex.source.size()), T = static_cast<int64_t>(ex.target.size());
      auto weights = forced.attention[static_cast<int64_t>(b)].narrow(0, 0, T).narrow(1, 0, S);  // [T, S], EOS row left out
      attended.add(alignment_from_attention(weights, ex.source_word_of_piece, ex.target_word_of_piece),
                   *ex.word_alignment);
      add_links(sums["aer"], attended);
    }

    // The model's own outputs, greedy or by beam search.
    if (!decode) continue;
    auto hyp = decode_outputs(batch);  // [B, L]
    std::vector<std::string> hypotheses;  // texts, for BLEU and chrF
    if (data_->has_text) {
      for (size_t b = 0; b < indices.size(); ++b) {
        auto row = hyp[static_cast<int64_t>(b)].contiguous();
        hypotheses.push_back(data_->tokenizer->decode(std::vector<int64_t>(
            row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel())));  // EOS and kPad are left out
      }
    }
    const auto hyp_ids = hyp;  // [B, L], before padding to the target length
    const int64_t T = batch.target_out.size(1), L = hyp.size(1);
    if (L < T) hyp = torch::constant_pad_nd(hyp, {0, T - L}, kPad);  // [B, >= T]
    auto correct = hyp.narrow(1, 0, T).eq(batch.target_out) & target_mask;  // [B, T]
    auto correct_per_example = correct.sum(1);                             // [B]
    auto exact = correct_per_example.eq(batch.target_lengths);             // [B]

    auto lengths = batch.source_lengths.accessor<int64_t, 1>();
    auto n_correct = correct_per_example.accessor<int64_t, 1>();
    auto n_target = batch.target_lengths.accessor<int64_t, 1>();
    auto is_exact = exact.accessor<bool, 1>();
    for (int64_t b = 0; b < lengths.size(0); ++b) {
      auto& bucket = sums["bucket " + names[static_cast<size_t>(bucket_of(lengths[b]))]];
      bucket[0] += static_cast<double>(n_correct[b]);
      bucket[1] += static_cast<double>(n_target[b]);
      bucket[2] += is_exact[b];
      bucket[3] += 1;
      const auto& ex = examples[indices[b]];
      std::vector<double> bleu, chrf;
      if (data_->has_text) {
        bleu = bleu_statistics(hypotheses[static_cast<size_t>(b)], ex.target_text);
        chrf = chrf_statistics(hypotheses[static_cast<size_t>(b)], ex.target_text);
        add(sums["bleu"], bleu);
        add(sums["chrf"], chrf);
      }
      if (!predictions) continue;
      Prediction p;
      p.id = indices[b];
      p.statistics["exact_match"] = ratio_statistics(is_exact[b], 1);
      p.statistics["token_accuracy"] = ratio_statistics(static_cast<double>(n_correct[b]), static_cast<double>(n_target[b]));
      if (data_->has_text) {
        p.source = ex.source_text;
        p.reference = ex.target_text;
        p.hypothesis = hypotheses[static_cast<size_t>(b)];
        p.statistics["bleu"] = std::move(bleu);
        p.statistics["chrf"] = std::move(chrf);
      } else {  // synthetic symbols: the tokens, spaced
        p.source = spaced_pieces(ex.source);
        p.reference = spaced_pieces(ex.target);
        p.hypothesis = spaced_pieces(output_ids(hyp_ids[b]));
      }
      predictions->push_back(std::move(p));
    }
  }
  return sums;
}

Metrics Seq2SeqTask::metrics_from(const std::string& split, EvaluationPass pass, const MetricSums& sums) const {
  const bool decode = decodes(pass);
  const auto& loss = sums.at("loss");
  const double tokens = loss.at(1);
  Metrics m;
  m["loss"] = loss.at(0) / tokens;
  m["ppl"] = std::exp(m["loss"]);
  if (decode) {
    double correct = 0, exact = 0, decoded = 0;
    for (const auto& name : bucket_names()) {
      const auto& bucket = sums.at("bucket " + name);
      correct += bucket.at(0);
      exact += bucket.at(2);
      decoded += bucket.at(3);
      if (bucket.at(3) == 0) continue;  // an empty bucket has no accuracy
      m["token_accuracy@" + name] = bucket.at(0) / bucket.at(1);
      m["exact_match@" + name] = bucket.at(2) / bucket.at(3);
    }
    m["token_accuracy"] = correct / tokens;
    m["exact_match"] = exact / decoded;
  }
  if (decode && data_->has_text) {
    m["bleu"] = bleu_from_statistics(sums.at("bleu")).score;
    m["chrf"] = chrf_from_statistics(sums.at("chrf"));
  }
  const auto rate = [](const std::vector<double>& links) {
    AlignmentErrorCounts counts;
    counts.predicted = static_cast<int64_t>(links.at(0));
    counts.gold = static_cast<int64_t>(links.at(1));
    counts.matched = static_cast<int64_t>(links.at(2));
    return counts.rate();
  };
  if (has_word_alignments(split)) {
    if (model_->has_attention()) m["aer"] = rate(sums.at("aer"));
    m["aer_diagonal"] = rate(sums.at("aer_diagonal"));
  }
  if (model_->has_attention()) {
    const auto& attention = sums.at("attention");
    if (!data_->has_text) m["alignment_accuracy"] = attention.at(1) > 0 ? attention.at(0) / attention.at(1) : 0.0;
    m["attention_entropy"] = attention.at(2) / tokens;  // nats per target step
  }
  return m;
}

torch::Tensor Seq2SeqTask::decode_outputs(const Seq2SeqBatch& batch) {
  if (eval_.beam() <= 1) {
    // Greedy decodes the batch up to its longest source's limit; each row is then cut at its own
    // limit (as beam search does), so an output does not depend on the sentences batched with it.
    const auto lengths = batch.source_lengths.contiguous();
    std::vector<int64_t> limits;
    for (int64_t b = 0; b < lengths.size(0); ++b)
      limits.push_back(
          decoding_step_limit(lengths[b].item<int64_t>(), eval_.max_length_ratio(), eval_.max_length_extra()));
    auto tokens = model_->greedy(batch.source, batch.source_lengths, *std::max_element(limits.begin(), limits.end()))
                      .tokens;                                                          // [B, L]
    auto steps = torch::arange(tokens.size(1), torch::kLong).unsqueeze(0);              // [1, L]
    auto limit = torch::tensor(limits, torch::kLong).unsqueeze(1);                      // [B, 1]
    return tokens.masked_fill(steps.ge(limit), kPad);
  }
  const auto beam = BeamSearchOptions()
                        .beam(eval_.beam())
                        .length_penalty(eval_.length_penalty())
                        .max_length_ratio(eval_.max_length_ratio())
                        .max_length_extra(eval_.max_length_extra());
  const auto best = beam_search(*model_, batch.source, batch.source_lengths, beam);
  int64_t longest = 1;
  for (const auto& nbest : best)
    if (!nbest.empty()) longest = std::max<int64_t>(longest, static_cast<int64_t>(nbest[0].tokens.size()) + 1);
  auto tokens = torch::full({static_cast<int64_t>(best.size()), longest}, kPad, torch::kLong);  // [B, L]
  auto out = tokens.accessor<int64_t, 2>();
  for (size_t b = 0; b < best.size(); ++b) {
    if (best[b].empty()) continue;  // no hypothesis: an empty output
    const auto& ids = best[b][0].tokens;
    for (size_t t = 0; t < ids.size(); ++t) out[static_cast<int64_t>(b)][static_cast<int64_t>(t)] = ids[t];
    if (best[b][0].ended) out[static_cast<int64_t>(b)][static_cast<int64_t>(ids.size())] = kEos;
  }
  return tokens;
}

void Seq2SeqTask::add_layer_panels(const Seq2SeqBatch& batch, const torch::Tensor& decoded,
                                   std::vector<AttentionMap>& maps) {
  // Teacher forcing on the model's own output reproduces the greedy pass's attention, row by row.
  auto bos = torch::full({decoded.size(0), 1}, kBos, torch::kLong);
  auto target_in = torch::cat({bos, decoded.narrow(1, 0, decoded.size(1) - 1)}, 1);  // [B, L]
  const auto layers = model_->every_attention(batch.source, batch.source_lengths, target_in);
  for (size_t b = 0; b < maps.size(); ++b) {
    auto& map = maps[b];
    const auto tokens_of = [&](bool source) { return source ? map.source_tokens : map.output_tokens; };
    for (const auto& layer : layers) {
      const auto rows = tokens_of(layer.query_is_source), columns = tokens_of(layer.key_is_source);
      auto weights = layer.weights[static_cast<int64_t>(b)]  // [H, Tq, Tk]
                         .narrow(1, 0, static_cast<int64_t>(rows.size()))
                         .narrow(2, 0, static_cast<int64_t>(columns.size()))
                         .to(torch::kDouble)
                         .contiguous();
      for (int64_t h = 0; h < weights.size(0); ++h) {
        AttentionMap panel;
        panel.name = layer.name + (weights.size(0) > 1 ? ", head " + std::to_string(h + 1) : "");
        panel.output_tokens = rows;
        panel.source_tokens = columns;
        for (int64_t i = 0; i < weights.size(1); ++i) {
          auto row = weights[h][i];
          panel.weights.emplace_back(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
        }
        map.panels.push_back(std::move(panel));
      }
    }
  }
}

std::vector<AttentionMap> Seq2SeqTask::attention_maps(const std::string& split, int64_t count) {
  const auto& examples = data_->split(split);
  count = std::min<int64_t>(count, static_cast<int64_t>(examples.size()));
  if (count <= 0 || !model_->has_attention()) return {};
  torch::NoGradGuard no_grad;
  EvalModeGuard eval_mode(*model_);
  std::vector<int64_t> first(count);
  std::iota(first.begin(), first.end(), 0);
  auto batch = make_batch(examples, first);
  const int64_t max_steps =
      decoding_step_limit(batch.source.size(1), eval_.max_length_ratio(), eval_.max_length_extra());
  auto hyp = model_->greedy(batch.source, batch.source_lengths, max_steps);  // attention [B, L, S]

  const auto& tokenizer = *data_->tokenizer;
  auto pieces = [&](const std::vector<int64_t>& ids) {
    std::vector<std::string> out;
    for (int64_t id : ids) out.push_back(tokenizer.piece(id));
    return out;
  };
  std::vector<AttentionMap> maps;
  for (int64_t b = 0; b < count; ++b) {
    const auto& ex = examples[b];
    AttentionMap map;
    map.name = split + "-" + std::to_string(b);
    map.source_tokens = pieces(ex.source);
    map.reference_tokens = pieces(ex.target);
    if (std::any_of(ex.alignment.begin(), ex.alignment.end(), [](int64_t j) { return j >= 0; }))
      map.gold_columns = ex.alignment;
    // Rows: the decoded tokens up to and including the first EOS.
    const int64_t rows = std::min(hyp.lengths[b].item<int64_t>() + 1, hyp.tokens.size(1));
    auto weights = hyp.attention[b].narrow(0, 0, rows).narrow(1, 0, static_cast<int64_t>(ex.source.size()))
                       .to(torch::kDouble).contiguous();  // [rows, S_b]
    for (int64_t i = 0; i < rows; ++i) {
      map.output_tokens.push_back(tokenizer.piece(hyp.tokens[b][i].item<int64_t>()));
      auto row = weights[i];
      map.weights.emplace_back(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
    }
    maps.push_back(std::move(map));
  }
  add_layer_panels(batch, hyp.tokens, maps);
  return maps;
}

}  // namespace attnlab
