#include "modules/scopes/local.h"

#include "modules/dropout.h"
#include "modules/masks.h"
#include "modules/band_products.h"
#include "modules/traced_shapes.h"

namespace attnlab {

LocalScopeImpl::LocalScopeImpl(const LocalScopeOptions& options_) : options(options_) {
  TORCH_CHECK(options.window() >= 0, "local scope: window must be >= 0, got ", options.window());
  if (options.predictive()) {
    TORCH_CHECK(options.query_dim() > 0, "local_p scope: query dims must be positive, got ", options.query_dim());
    predictor_hidden = register_module(
        "predictor_hidden",
        HeadLinear(
            HeadLinearOptions(options.query_dim(), options.predictor_hidden()).heads(options.heads()).bias(false)));
    predictor_out = register_module(
        "predictor_out",
        HeadLinear(HeadLinearOptions(options.predictor_hidden(), 1).heads(options.heads()).bias(false)));
  }
}

torch::Tensor gather_windows(const torch::Tensor& rows, const torch::Tensor& index) {
  const int64_t W = index.size(2), F = rows.size(2);  // set by the model, not by the data
  auto flat_index = index.flatten(1).unsqueeze(-1).expand({-1, -1, F});  // [B, Tq x W, F]
  return rows.gather(1, flat_index).unflatten(1, {-1, W});               // [B, Tq, W, F]
}

torch::Tensor LocalScopeImpl::centres(const AttentionQuery& query, const AttentionMemory& memory) {
  const auto dtype = query.query.scalar_type();
  if (options.predictive()) {
    // S = the keys each query may see: padding and attn_mask (a causal mask) both count, so
    // teacher forcing sees what step-by-step decoding sees (t + 1 keys at step t).
    auto mask = merged_mask(query, memory);                              // [B, 1 or Tq, Tk], or undefined
    auto lengths = mask.defined() ? (~mask).sum(-1).to(dtype)            // [B, 1 or Tq]
                                  : size_as_tensor(memory.keys, 1).to(dtype);  // [] = Tk
    auto share = torch::sigmoid(predictor_out(torch::tanh(predictor_hidden(query.query)))).squeeze(-1);  // [B, Tq]
    return lengths * share;  // [B, Tq] in [0, S]
  }
  auto positions = query.positions.defined() ? query.positions : step_positions(query.query);  // [Tq] or [B, Tq]
  return positions.to(dtype) + torch::zeros_like(query.query.select(-1, 0));                   // [B, Tq]
}

namespace {

/// rows [B, Tk, X] at key indices first, first + 1, ..., first + length - 1, zeros where an index
/// falls outside [0, Tk): [B, length, X]. A copy of the rows, not of every window.
torch::Tensor shifted_rows(const torch::Tensor& rows, int64_t first, int64_t length) {
  const int64_t Tk = rows.size(1);
  const int64_t lo = std::max<int64_t>(first, 0), hi = std::min<int64_t>(first + length, Tk);  // [lo, hi) inside
  if (hi <= lo) return torch::zeros({rows.size(0), length, rows.size(2)}, rows.options());
  return torch::constant_pad_nd(rows.narrow(1, lo, hi - lo), {0, 0, lo - first, first + length - hi});
}

}  // namespace

bool LocalScopeImpl::windows_are_shifted(const torch::Tensor& index) const {
  // Window slot 0 of query t at key first + t for every row: then every window is a shifted view.
  // Worth it from W queries on (fewer, as when a decoder queries one step at a time, gather less
  // than the W shifted copies of the keys would cost in operations).
  if (options.predictive() || !windows_as_views || tracing() || index.numel() == 0 || index.size(1) < index.size(2))
    return false;
  auto starts = index.select(-1, 0);  // [B, Tq]
  const int64_t first = starts[0][0].item<int64_t>();
  return starts.eq(torch::arange(first, first + starts.size(1), starts.options()).unsqueeze(0)).all().item<bool>();
}

AttentionOutput LocalScopeImpl::attend_shifted(ScoreImpl& score, const AttentionQuery& query,
                                               const AttentionMemory& memory, const torch::Tensor& index,
                                               const torch::Tensor& masked, double weight_dropout) {
  const int64_t W = index.size(2), Tq = index.size(1);
  const int64_t first = index[0][0][0].item<int64_t>();
  // Row j of these is key first + j: query t's window is rows t .. t + W - 1, a view.
  auto keys = shifted_rows(memory.keys, first, Tq + W - 1);      // [B, Tq + W - 1, Dk]
  auto values = shifted_rows(memory.values, first, Tq + W - 1);  // [B, Tq + W - 1, Dv]
  auto weights = masked_softmax(score.score_shifted(query.query, keys, index), masked);  // [B, Tq, W]
  auto mixing = philox_dropout(weights, weight_dropout, is_training());
  auto context = band_mix(mixing, values);  // [B, Tq, Dv] = Σ_w mixing[..., w] · values[t + w]
  AttentionOutput out;
  out.context = context;
  out.weights = weights;
  out.positions = index;
  return out;
}

bool LocalScopeImpl::scores_every_key(int64_t key_steps) const {
  // Scoring the window keys only costs a gathered copy of each query's window and one small
  // matrix product per query; scoring every key costs two batched matrix products over all of
  // them. Up to `dense_keys_per_window` keys per window key the second is cheaper (bench
  // attention, B 32, D 128, W 21: 12x at T 64 for one head, equal at T 256 for 8 heads of 16).
  // Exported graphs keep the windows: their cost stays linear in the length.
  return !tracing() && key_steps <= dense_keys_per_window * (2 * options.window() + 1);
}

AttentionOutput LocalScopeImpl::forward(ScoreImpl& score, const AttentionQuery& query,
                                        const AttentionMemory& memory, double weight_dropout) {
  const int64_t half_width = options.window();                                      // D
  const auto Tk = size_as_tensor(memory.keys, 1);                                    // []
  auto p = centres(query, memory);                                                    // [B, Tq]
  auto offsets = torch::arange(-half_width, half_width + 1, p.options().dtype(torch::kLong));  // [W]
  auto index = p.detach().round().to(torch::kLong).unsqueeze(-1) + offsets;          // [B, Tq, W]
  auto outside = index.lt(0) | index.ge(Tk);                                         // [B, Tq, W]
  auto inside_index = index.clamp_min(0).minimum(Tk - 1);                            // [B, Tq, W]
  const auto mask = merged_mask(query, memory);                                    // [B, 1 or Tq, Tk], or undefined
  auto gaussian = [&](const torch::Tensor& at) {  // local_p's factor at key indices `at` [B, Tq, W or Tk]
    const double sigma = options.sigma() > 0 ? options.sigma() : std::max(half_width, int64_t{1}) / 2.0;
    auto distance = at.to(p.scalar_type()) - p.unsqueeze(-1);
    return torch::exp(-distance.pow(2) / (2 * sigma * sigma));
  };

  AttentionOutput out;
  out.positions = index;
  if (scores_every_key(memory.keys.size(1))) {
    // The window as a band over every key: the same weights, with no gathered copies.
    auto key_steps = step_positions(memory.keys).unsqueeze(1);                        // [B, 1, Tk]
    auto centre = index.select(-1, 0).unsqueeze(-1) + half_width;                     // [B, Tq, 1]
    auto off_band = (key_steps - centre).abs().gt(half_width);                        // [B, Tq, Tk]
    auto hidden = mask.defined() ? off_band | mask : off_band;                        // [B, Tq, Tk]
    auto weights = masked_softmax(score.forward(query.query, memory.keys), hidden);  // [B, Tq, Tk]
    if (options.predictive()) weights = weights * gaussian(key_steps);
    out.context = mix_values(weights, memory.values, weight_dropout, is_training());  // [B, Tq, Dv]
    out.weights = weights.gather(2, inside_index).masked_fill(outside, 0.0);         // [B, Tq, W]
    return out;
  }
  auto masked = outside;
  if (mask.defined()) {  // [B, 1 or Tq, Tk] read as [B, Tq, Tk] at the window keys
    // Eager code expands a view; a traced graph builds the tensor, so its sizes follow the data.
    auto full = tracing() ? mask | torch::zeros_like(index.select(-1, 0), mask.options()).unsqueeze(-1)
                          : mask.expand({index.size(0), index.size(1), mask.size(2)});  // [B, Tq, Tk]
    masked = masked | full.gather(2, inside_index);                                      // [B, Tq, W]
  }
  if (windows_are_shifted(index)) return attend_shifted(score, query, memory, index, masked, weight_dropout);
  auto scores = score.score_window(query.query, gather_windows(memory.keys, inside_index), inside_index);  // [B, Tq, W]
  auto weights = masked_softmax(scores, masked);                                   // [B, Tq, W]
  if (options.predictive()) weights = weights * gaussian(index);
  out.context = mix_values(weights, gather_windows(memory.values, inside_index), weight_dropout, is_training());
  out.weights = weights;
  return out;
}

}  // namespace attnlab
