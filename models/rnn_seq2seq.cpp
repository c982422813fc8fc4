#include "models/rnn_seq2seq.h"

#include "core/special_tokens.h"
#include "modules/masks.h"
#include "modules/packed_rnn.h"

namespace attnlab {

const std::vector<DecoderStyleEntry>& decoder_styles() {
  static const std::vector<DecoderStyleEntry> styles = {
      {"bahdanau", DecoderStyle::kBahdanau,
       "the attention is queried by the previous state s(t-1); its context goes into the RNN and the readout "
       "(Bahdanau et al. 2014)"},
      {"luong", DecoderStyle::kLuong,
       "the attention is queried by the current state h(t); tanh(W_c [c; h]) goes to the output and, with "
       "input_feeding, into the next step (Luong et al. 2015)"},
  };
  return styles;
}

std::vector<std::string> decoder_style_names() {
  std::vector<std::string> names;
  for (const auto& s : decoder_styles()) names.push_back(s.name);
  return names;
}

DecoderStyle decoder_style(const std::string& name) {
  const auto& styles = decoder_styles();
  auto found = std::find_if(styles.begin(), styles.end(), [&](const DecoderStyleEntry& s) { return name == s.name; });
  TORCH_CHECK(found != styles.end(), "rnn_seq2seq: unknown decoder style \"", name, "\"; known: ",
              join(decoder_style_names()));
  return found->style;
}

void validate_options(const RnnSeq2SeqOptions& o, const std::string& pointer) {
  if (o.bidirectional() && o.hidden() % 2 != 0)
    throw ConfigError(pointer_join(pointer, "hidden"),
                      "must be even with bidirectional: true (H/2 units per direction), got " +
                          std::to_string(o.hidden()));
}

RnnSeq2SeqImpl::RnnSeq2SeqImpl(const RnnSeq2SeqOptions& options_)
    : options(options_), style(decoder_style(options_.decoder())) {
  const auto& o = options;
  TORCH_CHECK(o.source_vocab() > 0 && o.target_vocab() > 0, "rnn_seq2seq: vocab sizes must be positive");
  validate_options(o, "");
  const int64_t E = o.embedding(), H = o.hidden(), N = o.layers();
  const int64_t per_direction = o.bidirectional() ? H / 2 : H;
  const bool lstm = o.cell() == "lstm";
  TORCH_CHECK(lstm || o.cell() == "gru", "rnn_seq2seq: cell must be gru or lstm, got ", o.cell());

  source_embedding =
      register_module("source_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(o.source_vocab(), E).padding_idx(kPad)));
  target_embedding =
      register_module("target_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(o.target_vocab(), E).padding_idx(kPad)));
  const double between_layers = N > 1 ? o.dropout() : 0.0;
  if (lstm) {
    encoder_lstm = register_module("encoder", torch::nn::LSTM(torch::nn::LSTMOptions(E, per_direction).num_layers(N).batch_first(true).bidirectional(o.bidirectional()).dropout(between_layers)));
  } else {
    encoder_gru = register_module("encoder", torch::nn::GRU(torch::nn::GRUOptions(E, per_direction).num_layers(N).batch_first(true).bidirectional(o.bidirectional()).dropout(between_layers)));
  }
  bridge = register_module("bridge", torch::nn::Linear(H, N * H));
  const int64_t first_input = luong() ? E + (o.input_feeding() ? H : 0) : E + H;
  for (int64_t layer = 0; layer < N; ++layer) {
    const int64_t input = layer == 0 ? first_input : H;
    const std::string name = "decoder_cell_" + std::to_string(layer);
    if (lstm) decoder_lstm.push_back(register_module(name, torch::nn::LSTMCell(input, H)));
    else decoder_gru.push_back(register_module(name, torch::nn::GRUCell(input, H)));
  }
  attention = attention_registry().create(o.attention(), AttentionDims{H, H});
  if (attention) register_module("attention", attention);
  if (luong()) attentional = register_module("attentional", torch::nn::Linear(2 * H, H));
  else readout_hidden = register_module("readout_hidden", torch::nn::Linear(2 * H + E, H));
  output = register_module("output", torch::nn::Linear(H, o.target_vocab()));
  dropout = register_module("dropout", Dropout(o.dropout()));
}

RnnSeq2SeqImpl::Memory RnnSeq2SeqImpl::encode(const torch::Tensor& source, const torch::Tensor& source_lengths) {
  TORCH_CHECK(source.dim() == 2 && source_lengths.dim() == 1 && source.size(0) == source_lengths.size(0),
              "rnn_seq2seq: source must be [B, S] with lengths [B]; got ", source.sizes(), " and ",
              source_lengths.sizes());
  auto embedded = dropout(source_embedding(source));  // [B, S, E]
  auto encoded = encoder_lstm ? run_packed(encoder_lstm, embedded, source_lengths)
                              : run_packed(encoder_gru, embedded, source_lengths);  // outputs [B, S, H]
  const auto& h_n = encoded.h_n;  // [N x directions, B, H / directions]
  Memory memory;
  memory.padding = key_padding_mask_like(source_lengths, source);  // [B, S]
  // Last layer's final states: forward (and backward) direction, side by side.
  memory.summary = options.bidirectional() ? torch::cat({h_n[-2], h_n[-1]}, -1) : h_n[-1];  // [B, H]
  if (attention) memory.attention = attention->prepare(encoded.outputs, encoded.outputs, mask_if_any(memory.padding));
  return memory;
}

RnnState RnnSeq2SeqImpl::initial_state(const Memory& memory) {
  const int64_t N = options.layers(), H = options.hidden();
  auto h = torch::tanh(bridge(memory.summary))  // [B, N x H]
               .unflatten(1, {N, H})            // [B, N, H]
               .transpose(0, 1)                 // [N, B, H]
               .contiguous();
  const bool feeding = luong() && options.input_feeding();
  return {h, options.cell() == "lstm" ? torch::zeros_like(h) : torch::Tensor(),
          feeding ? torch::zeros_like(h[0]) : torch::Tensor()};
}

RnnSeq2SeqImpl::Attended RnnSeq2SeqImpl::context_for(const torch::Tensor& query, const Memory& memory,
                                                     const torch::Tensor& t) {
  if (!attention) return {memory.summary, {}, {}, {}};
  auto out = attention->attend({query.unsqueeze(1), {}, t}, memory.attention);  // query [B, Tq = 1, H]
  auto squeeze = [](const torch::Tensor& x) { return x.defined() ? x.squeeze(1) : x; };
  return {out.context.squeeze(1), dense_weights(out, memory.padding).squeeze(1),  // [B, H], [B, S]
          squeeze(out.sample_log_prob), squeeze(out.entropy)};                        // [B], [B]
}

torch::Tensor RnnSeq2SeqImpl::embed_targets(const torch::Tensor& tokens) { return dropout(target_embedding(tokens)); }

RnnSeq2SeqImpl::Step RnnSeq2SeqImpl::decode_step(const torch::Tensor& embedded, const RnnState& state,
                                                 const Memory& memory, const torch::Tensor& t) {
  Step step;
  torch::Tensor input;  // [B, first layer input]
  if (luong()) {
    input = state.feed.defined() ? torch::cat({embedded, state.feed}, -1) : embedded;
  } else {
    step.attended = context_for(state.h[-1], memory, t);  // query: s_{t-1}, top layer
    input = torch::cat({embedded, step.attended.context}, -1);
  }
  std::vector<torch::Tensor> hs, cs;
  for (int64_t layer = 0; layer < options.layers(); ++layer) {
    if (layer > 0) input = dropout(input);
    if (!decoder_lstm.empty()) {
      auto hc = decoder_lstm[layer]->forward(input, std::make_tuple(state.h[layer], state.c[layer]));
      hs.push_back(std::get<0>(hc));
      cs.push_back(std::get<1>(hc));
    } else {
      hs.push_back(decoder_gru[layer]->forward(input, state.h[layer]));
    }
    input = hs.back();  // [B, H]
  }
  step.state = {torch::stack(hs), cs.empty() ? torch::Tensor() : torch::stack(cs), torch::Tensor()};  // [N, B, H]
  if (luong()) {
    step.attended = context_for(hs.back(), memory, t);  // query: h_t
    step.features = torch::tanh(attentional(torch::cat({step.attended.context, hs.back()}, -1)));  // h~_t [B, H]
    if (state.feed.defined()) step.state.feed = step.features;
  } else {
    step.features = torch::cat({hs.back(), step.attended.context, embedded}, -1);  // [B, 2H + E]
  }
  return step;
}

torch::Tensor RnnSeq2SeqImpl::readout(const torch::Tensor& features) {
  auto hidden = luong() ? features : torch::tanh(readout_hidden(features));  // [..., H]
  return output(dropout(hidden));                                           // [..., V]
}

Seq2SeqOutput RnnSeq2SeqImpl::forward(const torch::Tensor& source, const torch::Tensor& source_lengths,
                                      const torch::Tensor& target_in) {
  TORCH_CHECK(target_in.dim() == 2 && target_in.size(0) == source.size(0),
              "rnn_seq2seq: target_in must be [B, T] with B = ", source.size(0), ", got ", target_in.sizes());
  auto memory = encode(source, source_lengths);
  auto state = initial_state(memory);
  const auto embedded = embed_targets(target_in);  // [B, T, E]
  std::vector<torch::Tensor> features, weights, log_probs, entropies;
  for (int64_t t = 0; t < target_in.size(1); ++t) {
    auto step = decode_step(embedded.select(1, t), state, memory, torch::full({1}, t, source.options().dtype(torch::kLong)));
    features.push_back(step.features);
    if (step.attended.weights.defined()) weights.push_back(step.attended.weights);
    if (step.attended.sample_log_prob.defined()) log_probs.push_back(step.attended.sample_log_prob);
    if (step.attended.entropy.defined()) entropies.push_back(step.attended.entropy);
    state = step.state;
  }
  auto stacked = [](const std::vector<torch::Tensor>& steps) {  // T x [B, ...] -> [B, T, ...]
    return steps.empty() ? torch::Tensor() : torch::stack(steps, 1);
  };
  // The readout of all steps at once: [B, T, features] -> [B, T, V].
  return {torch::log_softmax(readout(torch::stack(features, 1)), -1), stacked(weights), stacked(log_probs),
          stacked(entropies)};
}

torch::Tensor RnnSeq2SeqImpl::estimator_loss(const Seq2SeqOutput& output, const torch::Tensor& reward,
                                             const torch::Tensor& step_mask) {
  if (!attention || !output.attention_sample_log_prob.defined()) return {};
  return attention->estimator_loss(output.attention_sample_log_prob, output.attention_entropy, reward, step_mask);
}

RnnState RnnState::select_rows(const torch::Tensor& rows) const {
  auto pick = [&](const torch::Tensor& t, int64_t dim) { return t.defined() ? t.index_select(dim, rows) : t; };
  return {pick(h, 1), pick(c, 1), pick(feed, 0)};  // h, c: [N, B, H]; feed: [B, H]
}

/// The decoder state between incremental steps: the source memory, the RNN state, the step.
class RnnSeq2SeqImpl::IncrementalState : public DecoderState {
 public:
  IncrementalState(Memory memory_, RnnState rnn_, torch::Tensor step_, std::shared_ptr<AttentionImpl> attention_)
      : memory(std::move(memory_)), rnn(std::move(rnn_)), step(std::move(step_)), attention(std::move(attention_)) {}
  void select_rows(const torch::Tensor& rows) override {
    memory.summary = memory.summary.index_select(0, rows);  // [R, H]
    memory.padding = memory.padding.index_select(0, rows);  // [R, S]
    if (attention) memory.attention = attention->select_memory_rows(memory.attention, rows);
    rnn = rnn.select_rows(rows);
  }
  /// step, padding, summary, h, then c (LSTM), feed (input feeding), the attention memory.
  std::vector<torch::Tensor> tensors() const override {
    std::vector<torch::Tensor> out{step, memory.padding, memory.summary, rnn.h};
    if (rnn.c.defined()) out.push_back(rnn.c);
    if (rnn.feed.defined()) out.push_back(rnn.feed);
    if (attention) append_tensors(memory.attention, out);
    return out;
  }
  Memory memory;
  RnnState rnn;
  torch::Tensor step;  // [1] int64: the step the next decode_next computes
  std::shared_ptr<AttentionImpl> attention;
};

std::unique_ptr<DecoderState> RnnSeq2SeqImpl::start_decoding(const torch::Tensor& source,
                                                            const torch::Tensor& source_lengths) {
  auto memory = encode(source, source_lengths);
  auto rnn = initial_state(memory);
  auto step = torch::zeros({1}, source.options().dtype(torch::kLong));
  return std::make_unique<IncrementalState>(std::move(memory), std::move(rnn), std::move(step), attention);
}

std::unique_ptr<DecoderState> RnnSeq2SeqImpl::state_from_tensors(const std::vector<torch::Tensor>& tensors) {
  StateTensorReader read(tensors, "rnn_seq2seq");
  Memory memory;
  RnnState rnn;
  auto step = read.next();
  memory.padding = read.next();
  memory.summary = read.next();
  rnn.h = read.next();
  if (options.cell() == "lstm") rnn.c = read.next();
  if (luong() && options.input_feeding()) rnn.feed = read.next();
  if (attention) memory.attention = read.memory();
  read.expect_end();
  return std::make_unique<IncrementalState>(std::move(memory), std::move(rnn), std::move(step), attention);
}

DecoderStep RnnSeq2SeqImpl::decode_next(DecoderState& state, const torch::Tensor& previous_tokens) {
  auto& s = dynamic_cast<IncrementalState&>(state);
  auto step = decode_step(embed_targets(previous_tokens), s.rnn, s.memory, s.step);
  s.step = s.step + 1;
  s.rnn = step.state;
  return {readout(step.features), step.attended.weights};  // [R, V], [R, S]
}

}  // namespace attnlab
