#pragma once
// TorchScript export of every model of the registry (DESIGN.md, "Export-friendly forward code";
// ../shared/notes/torchscript.md). The exported module holds the model's own parameters and
// buffers under the C++ names. One step of the C++ forward code is traced per method (no loop,
// no host decision inside a trace); the loops are TorchScript source (models/torchscript_decoding.h).
//
// Methods, by kind:
//   seq2seq     encode(src, src_lengths) -> state
//               decode_step(tokens, state) -> (log_probs, attention, state)
//               decode_step_logits(tokens, state) -> (logits, attention, state)  (what greedy takes the argmax of)
//               reorder_state(state, rows) -> state
//               greedy(src, src_lengths, max_length) -> (tokens, lengths, attention)
//               beam_search(src, src_lengths, beam, max_length_ratio, max_length_extra, alpha, n_best)
//                 -> (tokens, lengths, scores, log_probs, ended, attention)
//   classifier  forward(words, sentence_lengths, sentence_counts, flat_words, flat_lengths)
//                 -> (log_probs, word_weights, sentence_weights)
//   masked_lm   forward(ids, segments) -> logits
// Legend: B sentences, S source steps, R rows (B, or B x beams), V vocab, L decoded steps,
//         K beam, n n-best, N sentences of a document, W words per sentence, T steps, C classes.
//   src [B, S] int64, src_lengths [B]; state: the DecoderState's tensors (a list);
//   tokens [R] -> log_probs or logits [R, V], attention [R, S] ([R, 0] for a model without attention);
//   greedy: tokens [B, L] (first EOS included, padding after), lengths [B], attention [B, L, S];
//   beam_search: tokens [B, n, L] (no EOS; padding), lengths [B, n], scores / log_probs [B, n]
//     (float64; -inf where a sentence has fewer hypotheses), ended [B, n] (false: cut at the
//     length limit), attention [B, n, L + 1, S] (one row per decoded step, EOS included);
//   classifier: log_probs [B, C], word_weights [B, N, W] / [B, L] / [B, 0] when the model has
//     none, sentence_weights [B, N] or [B, 0]; masked LM: logits [B, T, V].

#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/torch.h>

namespace attnlab {

/// The version of the exported interface (methods, arguments, results); readers refuse newer.
constexpr int64_t kExportFormatVersion = 1;

struct ExportedModule {
  torch::jit::Module module;
  std::string kind;                  // "seq2seq", "classifier" or "masked_lm"
  std::vector<std::string> methods;  // the methods above, for this kind
};

/// Exports a model built by the model registry. The model is traced in eval mode and without
/// gradients; its training mode is restored afterwards.
ExportedModule export_torchscript(torch::nn::Module& model);

}  // namespace attnlab
