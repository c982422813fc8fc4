#pragma once
// The special tokens every attnlab vocabulary starts with, at fixed ids.

#include <array>
#include <cstdint>
#include <string>

namespace attnlab {

enum SpecialToken : int64_t { kPad = 0, kUnk = 1, kBos = 2, kEos = 3, kCls = 4, kSep = 5, kMask = 6 };
inline constexpr int64_t kNumSpecialTokens = 7;
inline const std::array<std::string, kNumSpecialTokens> kSpecialTokenNames = {"[PAD]", "[UNK]", "[BOS]", "[EOS]",
                                                                              "[CLS]", "[SEP]", "[MASK]"};

}  // namespace attnlab
