#include "training/masked_lm_task.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/special_tokens.h"
#include "data/batching.h"

namespace attnlab {

namespace {
// Evaluation masks: drawn per sequence from a seed fixed by the split and the sequence's index,
// the same for every run.
constexpr uint64_t kEvaluationMaskSeed = 20190524;  // BERT's NAACL publication date
constexpr int64_t kTopK = 5;
}  // namespace

torch::Tensor masked_lm_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  TORCH_CHECK(logits.dim() == 2 && targets.dim() == 1 && logits.size(0) == targets.size(0),
              "masked_lm_loss: logits must be [N, V] with targets [N]; got ", logits.sizes(), " and ", targets.sizes());
  const auto summed = torch::nn::functional::cross_entropy(
      logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  return summed / static_cast<double>(std::max<int64_t>(1, targets.size(0)));
}

MaskedLMTask::MaskedLMTask(std::shared_ptr<MonolingualData> data, std::shared_ptr<BertMaskedLMImpl> model,
                           EvalOptions eval, MaskedLMTaskOptions options)
    : data_(std::move(data)), model_(std::move(model)), eval_(std::move(eval)), options_(options) {
  TORCH_CHECK(data_ && model_, "masked LM task: needs monolingual text and a masked LM");
  const int64_t V = data_->tokenizer->vocab_size();
  auto counts = torch::ones({V}, torch::kDouble);  // add-one smoothing
  counts.narrow(0, 0, kNumSpecialTokens).zero_();  // special tokens are never targets
  auto count = counts.accessor<double, 1>();
  for (const auto& s : data_->split("train"))
    for (int64_t id : s.ids)
      if (id >= kNumSpecialTokens && id < V) count[id] += 1;
  most_frequent_ = counts.argmax().item<int64_t>();
  unigram_log_probs_ = (counts / counts.sum()).log();  // [V]; -inf for the special tokens
}

int64_t MaskedLMTask::train_size() const { return static_cast<int64_t>(data_->split("train").size()); }

std::vector<int64_t> MaskedLMTask::train_lengths() const {
  std::vector<int64_t> lengths;
  for (const auto& s : data_->split("train")) lengths.push_back(static_cast<int64_t>(s.ids.size()));
  return lengths;
}

TrainLoss MaskedLMTask::train_loss(const std::vector<int64_t>& examples, uint64_t draw_seed) {
  return train_loss_of_rows(examples, draw_seed, 0, static_cast<int64_t>(examples.size()));
}

TrainLoss MaskedLMTask::train_loss_of_rows(const std::vector<int64_t>& examples, uint64_t draw_seed, int64_t begin,
                                           int64_t end) {
  // The masks are drawn for the whole micro-batch, then the rows taken: data-parallel ranks that
  // share a micro-batch mask it as one process would.
  auto batch = make_text_sequence_batch(data_->split("train"), examples);
  auto masked = mask_tokens(batch.ids, batch.word_start, data_->tokenizer->vocab_size(), options_,
                            masking_generator(draw_seed));
  auto rows = [&](const torch::Tensor& t) { return t.narrow(0, begin, end - begin); };  // [B, T] -> [rows, T]
  auto selected = rows(masked.selected);
  auto targets = rows(batch.ids).masked_select(selected);                            // [N]
  auto logits = model_->logits_at(rows(masked.input), rows(batch.segments), selected);  // [N, V]
  return {masked_lm_loss(logits, targets), rows(batch.ids).ne(kPad).sum().item<int64_t>(), targets.numel()};
}

std::vector<std::string> MaskedLMTask::metric_names(const std::string&) const {
  return {"loss", "masked_accuracy", "top5_accuracy", "perplexity", "unigram_accuracy", "unigram_perplexity", "masked_tokens"};
}

std::vector<std::string> MaskedLMTask::table_metrics(const std::string&) const {
  return {"masked_accuracy", "top5_accuracy", "perplexity", "unigram_accuracy", "unigram_perplexity"};
}

const std::vector<TextSequence>& MaskedLMTask::evaluation_inputs(const std::string& split) {
  auto it = evaluation_inputs_.find(split);
  if (it != evaluation_inputs_.end()) return it->second;
  const auto names = splits();
  const auto split_index = static_cast<uint64_t>(std::find(names.begin(), names.end(), split) - names.begin());
  std::vector<TextSequence> inputs;
  const auto& sequences = data_->split(split);
  for (size_t i = 0; i < sequences.size(); ++i) {
    // One generator per sequence: its masks do not depend on how sequences are batched.
    auto batch = make_text_sequence_batch(sequences, {static_cast<int64_t>(i)});  // [1, T]
    auto masked = mask_tokens(batch.ids, batch.word_start, data_->tokenizer->vocab_size(), options_,
                              masking_generator(kEvaluationMaskSeed + 1000003 * split_index + i));
    TextSequence input = sequences[i];
    const auto ids = masked.input.accessor<int64_t, 2>();
    const auto selected = masked.selected.accessor<bool, 2>();
    for (size_t t = 0; t < input.ids.size(); ++t) {
      input.ids[t] = ids[0][static_cast<int64_t>(t)];
      input.word_start[t] = selected[0][static_cast<int64_t>(t)];
    }
    inputs.push_back(std::move(input));
  }
  return evaluation_inputs_[split] = std::move(inputs);
}

void MaskedLMTask::record_predictions(const std::vector<TextSequence>& sequences, const std::vector<TextSequence>& inputs,
                                      const std::vector<int64_t>& indices, const TextSequenceBatch& masked,
                                      const torch::Tensor& top, const torch::Tensor& hit, Predictions* predictions) const {
  // The selected positions in row-major order, as index() and logits_at() take them: row b owns
  // the next `selected_in_row[b]` rows of top [N, k] and hit [N, k].
  const auto counts = masked.word_start.sum(1).contiguous();  // [B]
  const auto selected_in_row = counts.accessor<int64_t, 1>();
  const auto top_ids = top.accessor<int64_t, 2>();            // [N, k]
  const auto hits = hit.accessor<bool, 2>();                   // [N, k]
  const auto& tokenizer = *data_->tokenizer;
  auto spaced = [](std::string& text, const std::string& piece) { text += (text.empty() ? "" : " ") + piece; };
  int64_t n = 0;
  for (size_t b = 0; b < indices.size(); ++b) {
    const int64_t count = selected_in_row[static_cast<int64_t>(b)];
    const TextSequence &original = sequences[indices[b]], &input = inputs[indices[b]];
    Prediction p;
    p.id = indices[b];
    // source: the pieces as the model read them ([MASK] and the random replacements);
    // reference: the original pieces at the selected positions; hypothesis: the model's first choice there.
    for (size_t t = 0; t < input.ids.size(); ++t) {
      spaced(p.source, tokenizer.piece(input.ids[t]));
      if (input.word_start[t]) spaced(p.reference, tokenizer.piece(original.ids[t]));
    }
    double correct = 0, in_top = 0;
    for (int64_t i = 0; i < count; ++i, ++n) {
      spaced(p.hypothesis, tokenizer.piece(top_ids[n][0]));
      correct += hits[n][0];
      bool any = false;
      for (int64_t k = 0; k < hits.size(1); ++k) any = any || hits[n][k];
      in_top += any;
    }
    p.statistics["masked_accuracy"] = ratio_statistics(correct, static_cast<double>(count));
    p.statistics["top5_accuracy"] = ratio_statistics(in_top, static_cast<double>(count));
    predictions->push_back(std::move(p));
  }
}

// The sums of a share (MetricSums), each over the selected positions:
//   "model"   {Σ −log p(original token), top-1 hits, top-5 hits, positions}
//   "unigram" {Σ −log p_unigram(original token), hits of the most frequent token}
MetricSums MaskedLMTask::measure(const std::string& split, EvaluationPass /*pass*/, EvaluationShare share,
                                 Predictions* predictions) {
  const auto& sequences = data_->split(split);
  TORCH_CHECK(!sequences.empty(), "masked LM task: split \"", split, "\" is empty");
  const auto& inputs = evaluation_inputs(split);
  torch::NoGradGuard no_grad;
  EvalModeGuard eval_mode(*model_);
  MetricSums sums = {{"model", {0, 0, 0, 0}}, {"unigram", {0, 0}}};
  auto& model = sums["model"];
  auto& unigram = sums["unigram"];
  std::vector<int64_t> order(sequences.size());
  std::iota(order.begin(), order.end(), 0);
  const auto batches = chunk(order, eval_.batch_size());
  for (size_t batch_index = 0; batch_index < batches.size(); ++batch_index) {
    if (!share.takes(batch_index)) continue;
    throw_if_stopped();
    const auto& indices = batches[batch_index];
    auto original = make_text_sequence_batch(sequences, indices);
    auto masked = make_text_sequence_batch(inputs, indices);  // word_start holds the selection
    const auto targets_here = original.ids.index({masked.word_start});  // [N]
    const int64_t N = targets_here.size(0);
    if (N == 0) continue;
    auto logits = model_->logits_at(masked.ids, masked.segments, masked.word_start);  // [N, V]
    const auto top = std::get<1>(logits.topk(std::min<int64_t>(kTopK, logits.size(1)), -1));  // [N, 5]
    const auto hit = top.eq(targets_here.unsqueeze(1));                                         // [N, 5]
    model[0] += masked_lm_loss(logits, targets_here).item<double>() * static_cast<double>(N);
    model[1] += hit.select(1, 0).sum().item<double>();
    model[2] += hit.any(1).sum().item<double>();
    model[3] += static_cast<double>(N);
    if (predictions) record_predictions(sequences, inputs, indices, masked, top, hit, predictions);
    unigram[0] -= unigram_log_probs_.index_select(0, targets_here).sum().item<double>();
    unigram[1] += targets_here.eq(most_frequent_).sum().item<double>();
  }
  return sums;
}

Metrics MaskedLMTask::metrics_from(const std::string& split, EvaluationPass /*pass*/, const MetricSums& sums) const {
  const auto& model = sums.at("model");
  const auto& unigram = sums.at("unigram");
  const double n = model.at(3);
  TORCH_CHECK(n > 0, "masked LM task: no position of split \"", split, "\" was selected (mask_rate ",
              options_.mask_rate(), ")");
  Metrics m;
  m["loss"] = model.at(0) / n;
  m["masked_accuracy"] = model.at(1) / n;
  m["top5_accuracy"] = model.at(2) / n;
  m["perplexity"] = std::exp(model.at(0) / n);
  m["unigram_accuracy"] = unigram.at(1) / n;
  m["unigram_perplexity"] = std::exp(unigram.at(0) / n);
  m["masked_tokens"] = n;
  return m;
}

std::vector<AttentionMap> MaskedLMTask::attention_maps(const std::string& split, int64_t count) {
  const auto& inputs = evaluation_inputs(split);
  const auto& sequences = data_->split(split);
  count = std::min<int64_t>(count, static_cast<int64_t>(inputs.size()));
  torch::NoGradGuard no_grad;
  EvalModeGuard eval_mode(*model_);
  const auto& tokenizer = *data_->tokenizer;
  auto as_rows = [](const torch::Tensor& weights) {  // [T, T] -> rows
    auto w = weights.to(torch::kDouble).contiguous();
    std::vector<std::vector<double>> rows;
    for (int64_t i = 0; i < w.size(0); ++i) rows.emplace_back(w[i].data_ptr<double>(), w[i].data_ptr<double>() + w.size(1));
    return rows;
  };
  std::vector<AttentionMap> maps;
  for (int64_t b = 0; b < count; ++b) {
    auto batch = make_text_sequence_batch(inputs, {b});  // [1, T]
    const auto encoding = model_->encoder->forward(batch.ids, batch.segments, /*with_attention=*/true);
    const int64_t T = batch.ids.size(1), shown = std::min(T, kMapTokens);
    AttentionMap map;
    map.name = split + "-" + std::to_string(b);
    for (int64_t t = 0; t < shown; ++t) {
      map.source_tokens.push_back(tokenizer.piece(inputs[static_cast<size_t>(b)].ids[static_cast<size_t>(t)]));
      map.reference_tokens.push_back(tokenizer.piece(sequences[static_cast<size_t>(b)].ids[static_cast<size_t>(t)]));
    }
    map.output_tokens = map.source_tokens;
    for (size_t l = 0; l < encoding.attention.size(); ++l) {
      auto heads = dense_head_weights(encoding.attention[l], T)[0].narrow(1, 0, shown).narrow(2, 0, shown);  // [H, t, t]
      if (l + 1 == encoding.attention.size()) map.weights = as_rows(heads.mean(0));
      for (int64_t h = 0; h < heads.size(0); ++h) {
        AttentionMap panel;
        panel.name = "self-attention, layer " + std::to_string(l + 1) + (heads.size(0) > 1 ? ", head " + std::to_string(h + 1) : "");
        panel.source_tokens = panel.output_tokens = map.source_tokens;
        panel.weights = as_rows(heads[h]);
        map.panels.push_back(std::move(panel));
      }
    }
    maps.push_back(std::move(map));
  }
  return maps;
}

MaskedLogits masked_logits_of(BertMaskedLMImpl& model) {
  return [&model](const torch::Tensor& ids, const torch::Tensor& segments, const torch::Tensor& selected) {
    EvalModeGuard eval_mode(model);
    return model.logits_at(ids, segments, selected);
  };
}

FilledText fill_masks(BertMaskedLMImpl& model, const Tokenizer& tokenizer, const std::string& text, int64_t top_k,
                      int64_t max_length) {
  return fill_masks(masked_logits_of(model), tokenizer, text, top_k, max_length);
}

FilledText fill_masks(const MaskedLogits& logits, const Tokenizer& tokenizer, const std::string& text, int64_t top_k,
                      int64_t max_length) {
  // SentencePiece writes a word-start mark before every word, so "the [MASK] and" gives a lone
  // "▁" piece before [MASK]; in training [MASK] replaced whole pieces ("▁heavens"), so the lone
  // mark is dropped to show the model what it was trained on.
  const std::string word_mark = "\xE2\x96\x81";
  FilledText out;
  const auto pieces = tokenizer.encode(text);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i + 1 < pieces.size() && pieces[i + 1] == kMask && tokenizer.piece(pieces[i]) == word_mark) continue;
    out.ids.push_back(pieces[i]);
  }
  const auto length = static_cast<int64_t>(out.ids.size()) + 2;
  if (length > max_length)
    throw std::invalid_argument(std::to_string(length) + " pieces with [CLS] and [SEP]; the model reads at most " +
                                std::to_string(max_length));
  std::vector<int64_t> sequence{kCls};
  sequence.insert(sequence.end(), out.ids.begin(), out.ids.end());
  sequence.push_back(kSep);
  const auto input = torch::tensor(sequence, torch::kLong).unsqueeze(0);  // [1, T]
  const auto selected = input.eq(kMask);                                   // [1, T]
  if (!selected.any().item<bool>()) return out;
  torch::NoGradGuard no_grad;
  const auto probs = torch::softmax(logits(input, torch::zeros_like(input), selected), -1);  // [N, V]
  const auto [values, indices] = probs.topk(std::min<int64_t>(top_k, probs.size(1)), -1);          // [N, k]
  const auto positions = selected.squeeze(0).nonzero().squeeze(1);                                   // [N]
  for (int64_t n = 0; n < values.size(0); ++n) {
    FilledText::Mask mask{positions[n].item<int64_t>() - 1, {}};  // without [CLS]
    for (int64_t k = 0; k < values.size(1); ++k) {
      const int64_t id = indices[n][k].item<int64_t>();
      mask.candidates.push_back({id, tokenizer.piece(id), values[n][k].item<double>()});
    }
    out.masks.push_back(std::move(mask));
  }
  return out;
}

}  // namespace attnlab
