#include "data/masking.h"

#include "core/special_tokens.h"

namespace attnlab {

at::Generator masking_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

MaskedTokens mask_tokens(const torch::Tensor& ids, const torch::Tensor& word_start, int64_t vocab,
                         const MaskingOptions& options, at::Generator generator) {
  TORCH_CHECK(ids.dim() == 2 && ids.scalar_type() == torch::kLong, "mask_tokens: ids must be a long [B, T], got ",
              ids.sizes());
  TORCH_CHECK(vocab > kNumSpecialTokens, "mask_tokens: the vocabulary (", vocab, ") holds no real token");
  const auto real = ids.ge(kNumSpecialTokens);  // [B, T]: special tokens and padding are never selected
  const auto draw = torch::rand(ids.sizes(), generator, torch::kDouble);  // [B, T]
  torch::Tensor selected;
  if (options.whole_word()) {
    TORCH_CHECK(word_start.sizes() == ids.sizes(), "mask_tokens: word_start must be [B, T] like ids ", ids.sizes(),
                ", got ", word_start.sizes());
    // Word w of a row is the w-th position that starts a word (special tokens count as words of
    // their own); its draw decides for every piece of it.
    const auto starts = word_start.to(torch::kBool) | ~real;                 // [B, T]
    const auto word = (starts.to(torch::kLong).cumsum(1) - 1).clamp_min(0);  // [B, T] word index <= position
    selected = draw.lt(options.mask_rate()).gather(1, word) & real;          // [B, T]
  } else {
    selected = draw.lt(options.mask_rate()) & real;  // [B, T]
  }
  const auto how = torch::rand(ids.sizes(), generator, torch::kDouble);  // [B, T]
  const auto to_mask = selected & how.lt(kReplaceWithMask);
  const auto to_random = selected & how.ge(kReplaceWithMask) & how.lt(kReplaceWithMask + kReplaceWithRandom);
  const auto random = torch::randint(kNumSpecialTokens, vocab, ids.sizes(), generator, ids.options());  // [B, T]
  MaskedTokens out;
  out.input = ids.masked_fill(to_mask, kMask).where(~to_random, random);
  out.selected = selected;
  out.targets = ids.index({selected});  // [N]
  return out;
}

}  // namespace attnlab
