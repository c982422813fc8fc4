#pragma once
// Greedy decoding and beam search in TorchScript source, over the traced one-step methods
// encode / decode_step / reorder_state (models/torchscript_export.h). The same algorithms as
// models/decoding.cpp, line for line, so an export decodes exactly as the C++ model does:
// greedy stops when every sentence has ended; beam search keeps K hypotheses per sentence,
// takes the 2K best candidates of each step, ranks finished ones by the GNMT length penalty
// and keeps a sentence's live beams as hypotheses when it reaches its length limit.
// (define()'s resolver knows `torch` only: no `math`, and dtypes come from *_like tensors.)

#include <string>

namespace attnlab {

/// The TorchScript source of `greedy` and `beam_search` with the special-token ids filled in.
std::string torchscript_decoding_source(int64_t pad, int64_t bos, int64_t eos);

}  // namespace attnlab
