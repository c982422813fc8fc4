#pragma once
// Dynamic masking for masked language modelling (Devlin et al. 2019), drawn afresh for every
// batch from a generator the caller seeds:
//   - each real token (not a special token, not padding) is selected with probability
//     `mask_rate`; with `whole_word`, each word is, and all its pieces go together (a piece
//     that does not start a word belongs to the word before it);
//   - of the selected tokens, 80% become [MASK], 10% a random non-special token, 10% stay.
// The model is trained to predict the original token at every selected position.
// Legend: B batch, T steps, V vocab, N selected positions.

#include <torch/torch.h>

#include "core/options.h"

namespace attnlab {

struct MaskingOptions {
  /// Share of the real tokens (or, with whole_word, of the words) selected for prediction.
  TORCH_ARG(double, mask_rate) = 0.15;
  /// Select whole words rather than single pieces.
  TORCH_ARG(bool, whole_word) = false;
};

template <class Fields>
void visit_fields(Fields& f, MaskingOptions& o) {
  f("mask_rate", o.mask_rate(), in_range(0.0, 1.0));
  f("whole_word", o.whole_word());
}

/// Of the selected tokens, the shares that become [MASK] and a random token (the rest stay).
inline constexpr double kReplaceWithMask = 0.8, kReplaceWithRandom = 0.1;

struct MaskedTokens {
  torch::Tensor input;     // [B, T] ids, selected positions replaced
  torch::Tensor selected;  // [B, T] bool
  torch::Tensor targets;   // [N] the original ids at the selected positions, row-major
};

/// ids [B, T]; word_start [B, T] bool (true where a piece starts a word; ignored without
/// whole_word); random tokens are drawn from [kNumSpecialTokens, vocab).
MaskedTokens mask_tokens(const torch::Tensor& ids, const torch::Tensor& word_start, int64_t vocab,
                         const MaskingOptions& options, at::Generator generator);

/// A generator seeded by `seed`, for mask_tokens.
at::Generator masking_generator(uint64_t seed);

}  // namespace attnlab
