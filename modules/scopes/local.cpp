#include "modules/scopes/local.h"

#include "modules/masks.h"

namespace attnlab {

LocalScopeImpl::LocalScopeImpl(const LocalScopeOptions& options_) : options(options_) {
  TORCH_CHECK(options.window() >= 0, "local scope: window must be >= 0, got ", options.window());
  if (options.predictive()) {
    TORCH_CHECK(options.query_dim() > 0, "local_p scope: query dims must be positive, got ", options.query_dim());
    predictor_hidden = register_module(
        "predictor_hidden",
        torch::nn::Linear(torch::nn::LinearOptions(options.query_dim(), options.predictor_hidden()).bias(false)));
    predictor_out = register_module(
        "predictor_out", torch::nn::Linear(torch::nn::LinearOptions(options.predictor_hidden(), 1).bias(false)));
  }
}

torch::Tensor gather_windows(const torch::Tensor& rows, const torch::Tensor& index) {
  const int64_t B = rows.size(0), Tk = rows.size(1);
  auto offsets = torch::arange(B, index.options()).mul(Tk).view({B, 1, 1});  // [B, 1, 1]
  return rows.flatten(0, 1)                                                  // [B x Tk, D]
      .index_select(0, (index + offsets).flatten())                          // [B x Tq x W, D]
      .view({index.size(0), index.size(1), index.size(2), rows.size(2)});    // [B, Tq, W, D]
}

torch::Tensor LocalScopeImpl::centres(const AttentionQuery& query, const AttentionMemory& memory) {
  const int64_t B = memory.keys.size(0), Tq = query.query.size(1), Tk = memory.keys.size(1);
  if (options.predictive()) {
    auto lengths = memory.key_padding_mask.defined()
                       ? (~memory.key_padding_mask).sum(1).to(query.query.scalar_type())  // [B]
                       : torch::full({B}, static_cast<double>(Tk), query.query.options());
    auto share = torch::sigmoid(predictor_out(torch::tanh(predictor_hidden(query.query)))).squeeze(-1);  // [B, Tq]
    return lengths.unsqueeze(1) * share;  // [B, Tq] in [0, S]
  }
  auto positions = query.positions.defined() ? query.positions
                                             : torch::arange(Tq, memory.keys.options().dtype(torch::kLong));
  return positions.expand({B, Tq}).to(query.query.scalar_type());  // [B, Tq]
}

AttentionOutput LocalScopeImpl::forward(ScoreImpl& score, const AttentionQuery& query,
                                        const AttentionMemory& memory, double weight_dropout) {
  const int64_t Tk = memory.keys.size(1), D = options.window();
  auto p = centres(query, memory);                                                 // [B, Tq]
  auto offsets = torch::arange(-D, D + 1, p.options().dtype(torch::kLong));        // [W]
  auto index = p.detach().round().to(torch::kLong).unsqueeze(-1) + offsets;        // [B, Tq, W]
  auto outside = index.lt(0) | index.ge(Tk);                                       // [B, Tq, W]
  auto inside_index = index.clamp(0, Tk - 1);                                      // [B, Tq, W]

  auto masked = outside;
  if (auto mask = merged_mask(query, memory); mask.defined()) {
    auto full = mask.expand({index.size(0), index.size(1), Tk});                   // [B, Tq, Tk]
    masked = masked | full.gather(2, inside_index);                                // [B, Tq, W]
  }
  auto scores = score.score_window(query.query, gather_windows(memory.keys, inside_index), inside_index);  // [B, Tq, W]
  auto weights = masked_softmax(scores, masked);                                   // [B, Tq, W]
  if (options.predictive()) {
    const double sigma = options.sigma() > 0 ? options.sigma() : std::max(D, int64_t{1}) / 2.0;
    auto distance = index.to(p.scalar_type()) - p.unsqueeze(-1);                  // [B, Tq, W]
    weights = weights * torch::exp(-distance.pow(2) / (2 * sigma * sigma));
  }
  AttentionOutput out;
  out.context = mix_values(weights, gather_windows(memory.values, inside_index), weight_dropout, is_training());
  out.weights = weights;
  out.positions = index;
  return out;
}

}  // namespace attnlab
