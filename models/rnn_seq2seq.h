#pragma once
// RNN encoder-decoder (Cho et al. 2014; Bahdanau et al. 2014; Luong et al. 2015).
//   encoder: embedding -> GRU/LSTM (layers; bidirectional: H/2 units per direction, so
//            encoder outputs, keys and decoder states all have H dims)
//   decoder "bahdanau": context c_t from the attention queried by the previous state s_{t-1};
//            RNN input [e(y_{t-1}); c_t]; readout tanh(W [s_t; c_t; e(y_{t-1})]) -> linear.
//   decoder "luong": RNN input [e(y_{t-1}); h~_{t-1}] (input feeding) or e(y_{t-1});
//            c_t from the attention queried by the current state h_t;
//            attentional vector h~_t = tanh(W_c [c_t; h_t]) -> linear.
//   With attention "none", c_t is the encoder's final state for every t (fixed context).
// Legend: B batch, S source steps, T target steps, E embedding dims, H hidden dims
//         (encoder outputs, context, decoder state), N layers, V vocab.

#include "core/options.h"
#include "models/seq2seq_model.h"
#include "modules/attention.h"
#include "modules/attention_registry.h"
#include "modules/dropout.h"

namespace attnlab {

/// How the decoder is wired around its attention (the option "decoder"). Not to be confused
/// with the attention "bahdanau" (a scope and a score), which either style can use.
enum class DecoderStyle { kBahdanau, kLuong };
struct DecoderStyleEntry {
  const char* name;
  DecoderStyle style;
  const char* description;  // one line, shown by `attnlab list`
};
/// Every decoder style, as `attnlab list` shows them.
const std::vector<DecoderStyleEntry>& decoder_styles();
/// The style a (checked) name means.
DecoderStyle decoder_style(const std::string& name);
/// Their names, in the order of decoder_styles() (what the option accepts).
std::vector<std::string> decoder_style_names();

struct RnnSeq2SeqOptions {
  RnnSeq2SeqOptions(int64_t source_vocab, int64_t target_vocab)
      : source_vocab_(source_vocab), target_vocab_(target_vocab) {}
  /// Source vocabulary size (set from the data).
  TORCH_ARG(int64_t, source_vocab);
  /// Target vocabulary size (set from the data).
  TORCH_ARG(int64_t, target_vocab);
  /// Embedding size E (source and target).
  TORCH_ARG(int64_t, embedding) = 64;
  /// Hidden size H of encoder outputs and decoder states (H/2 per direction if bidirectional).
  TORCH_ARG(int64_t, hidden) = 128;
  /// "gru" or "lstm".
  TORCH_ARG(std::string, cell) = "gru";
  /// Layers of the encoder and of the decoder.
  TORCH_ARG(int64_t, layers) = 1;
  /// Read the source in both directions.
  TORCH_ARG(bool, bidirectional) = true;
  /// Dropout on embeddings, between layers and before the output layer.
  TORCH_ARG(double, dropout) = 0.1;
  /// "bahdanau" (query = previous state, context into the RNN) or "luong" (query = current state,
  /// attentional vector tanh(W_c [c; h]) to the output).
  TORCH_ARG(std::string, decoder) = "bahdanau";
  /// Luong decoder: feed the previous attentional vector into the next step's input.
  TORCH_ARG(bool, input_feeding) = true;
  /// The decoder's attention, from the attention registry.
  TORCH_ARG(json, attention) = json{{"type", "bahdanau"}};
};

template <class Fields>
void visit_fields(Fields& f, RnnSeq2SeqOptions& o) {
  f("embedding", o.embedding(), at_least(1));
  f("hidden", o.hidden(), at_least(1));
  f("cell", o.cell(), one_of({"gru", "lstm"}));
  f("layers", o.layers(), at_least(1));
  f("bidirectional", o.bidirectional());
  f("dropout", o.dropout(), in_range(0.0, 1.0));
  f("decoder", o.decoder(), one_of(decoder_style_names()));
  f("input_feeding", o.input_feeding());
  f.nested("attention", o.attention(), attention_registry());
}

void validate_options(const RnnSeq2SeqOptions& o, const std::string& pointer);

/// A decoder state: h (and c for LSTM), [N, B, H] each.
struct RnnState {
  torch::Tensor h;
  torch::Tensor c;     // undefined for GRU
  torch::Tensor feed;  // [B, H] the previous attentional vector (Luong input feeding), or undefined
  RnnState select_rows(const torch::Tensor& rows) const;
};

class RnnSeq2SeqImpl : public Seq2SeqModelImpl {
 public:
  explicit RnnSeq2SeqImpl(const RnnSeq2SeqOptions& options);

  Seq2SeqOutput forward(const torch::Tensor& source, const torch::Tensor& source_lengths,
                        const torch::Tensor& target_in) override;
  std::unique_ptr<DecoderState> start_decoding(const torch::Tensor& source, const torch::Tensor& source_lengths) override;
  DecoderStep decode_next(DecoderState& state, const torch::Tensor& previous_tokens) override;
  std::unique_ptr<DecoderState> state_from_tensors(const std::vector<torch::Tensor>& tensors) override;
  bool has_attention() const override { return attention != nullptr; }
  torch::Tensor estimator_loss(const Seq2SeqOutput& output, const torch::Tensor& reward,
                               const torch::Tensor& step_mask) override;

  RnnSeq2SeqOptions options;
  DecoderStyle style;  // options.decoder, read once

 private:
  /// What the decoder reads of the source, computed once per batch.
  struct Memory {
    torch::Tensor padding;           // [B, S] true at padded source steps
    torch::Tensor summary;           // [B, H] encoder final state (last layer, both directions)
    AttentionMemory attention;       // keys and values from the encoder outputs [B, S, H], mask [B, S]
  };
  /// What the attention gave one decoder step (all undefined without attention).
  struct Attended {
    torch::Tensor context;           // [B, H]
    torch::Tensor weights;           // [B, S]
    torch::Tensor sample_log_prob;   // [B] (hard attention, REINFORCE, training)
    torch::Tensor entropy;           // [B]
  };
  struct Step {
    torch::Tensor features;  // [B, 2H + E] (bahdanau) or [B, H] (luong h~) input of the readout
    Attended attended;
    RnnState state;
  };

  class IncrementalState;

  Memory encode(const torch::Tensor& source, const torch::Tensor& source_lengths);
  RnnState initial_state(const Memory& memory);
  /// e(y): embedded target tokens [B, ...] -> [B, ..., E], with dropout.
  torch::Tensor embed_targets(const torch::Tensor& tokens);
  /// Decoder step t ([1] int64, 0-based; local_m attention centres its window on t) from the
  /// embedded previous tokens e(y_{t-1}) [B, E]. Teacher forcing embeds the whole target at
  /// once: one embedding gradient [V, E] per batch, not one per step.
  Step decode_step(const torch::Tensor& embedded, const RnnState& state, const Memory& memory,
                   const torch::Tensor& t);
  torch::Tensor readout(const torch::Tensor& features);  // [..., features] -> logits [..., V]
  /// The context c_t and what came with it; without attention, the fixed context.
  Attended context_for(const torch::Tensor& query, const Memory& memory, const torch::Tensor& t);
  bool luong() const { return style == DecoderStyle::kLuong; }

  torch::nn::Embedding source_embedding{nullptr}, target_embedding{nullptr};
  torch::nn::GRU encoder_gru{nullptr};    // one of these two, as options.cell says
  torch::nn::LSTM encoder_lstm{nullptr};
  torch::nn::Linear bridge{nullptr};      // summary -> initial decoder state of every layer
  std::vector<torch::nn::GRUCell> decoder_gru;  // one cell per layer, as options.cell says
  std::vector<torch::nn::LSTMCell> decoder_lstm;
  std::shared_ptr<AttentionImpl> attention;  // null: fixed context
  torch::nn::Linear readout_hidden{nullptr};  // bahdanau: [s; c; e] -> H
  torch::nn::Linear attentional{nullptr};     // luong: W_c [c; h] -> H
  torch::nn::Linear output{nullptr};
  Dropout dropout{nullptr};
};

}  // namespace attnlab
