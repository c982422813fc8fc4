#pragma once
// A score function: how well each key matches each query, before any normalisation.
// Legend: B batch, Tq query steps, Tk key steps, W keys in a query's window, Dq query dims, Dk key dims,
//         H heads.
//   forward:      query [B, Tq, Dq], keys [B, Tk, Dk]                 -> scores [B, Tq, Tk]
//   score_window: query [B, Tq, Dq], keys [B, Tq, W, Dk], positions [B, Tq, W] -> scores [B, Tq, W]
//   score_shifted: query [B, Tq, Dq], key rows [B, Tq + W - 1, Dk], positions [B, Tq, W] -> scores [B, Tq, W]
// score_window lets local scopes score only the 2D+1 keys around each query, so their cost
// grows linearly with the number of keys.
// A score built for H heads (inside multi_head) has its own parameters per head and is given
// rows laid out head-fastest: B above is then B x H, and row b x H + h belongs to head h.
// A new score needs only forward (and project_keys if part of it depends on the keys alone);
// the window forms have defaults built on forward.

#include <torch/torch.h>

namespace attnlab {

class ScoreImpl : public torch::nn::Module {
 public:
  /// `heads`: how many heads the score serves, each with its own parameters.
  explicit ScoreImpl(int64_t heads = 1) : heads_(heads) {}
  int64_t heads() const { return heads_; }

  /// The query-independent part of the score, computed once per key sequence.
  virtual torch::Tensor project_keys(const torch::Tensor& keys) { return keys; }
  /// Scores of every query against every (projected) key: [B, Tq, Tk].
  virtual torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& projected_keys) = 0;
  /// For scores that are a matrix product, bmm(q', projected_keysᵀ) (dot, scaled_dot, general):
  /// q' [B, Tq, Dk], the queries as the product takes them (divided by √D when scaled), so that a
  /// scope can fuse the product with what follows (modules/dot_product_attention.h). Undefined
  /// for every other score, the default.
  virtual torch::Tensor product_query(const torch::Tensor& /*query*/) { return {}; }
  /// Scores of each query against its own window of (projected) keys, which sit at the key
  /// indices `positions` (for scores that depend on where a key is): [B, Tq, W]. By default
  /// forward with each query as a sequence of one step against its window; scores that depend
  /// on the positions (location) or have a cheaper form (dot products) override it.
  virtual torch::Tensor score_window(const torch::Tensor& query, const torch::Tensor& window_keys,
                                     const torch::Tensor& positions);
  /// score_window for windows that shift by one key per query: query t's window is key rows
  /// t .. t + W - 1 (W = positions.size(2)), at key indices `positions`. By default one
  /// score_window per window slot over a view of the rows; dot products override it.
  virtual torch::Tensor score_shifted(const torch::Tensor& query, const torch::Tensor& key_rows,
                                      const torch::Tensor& positions);

 private:
  int64_t heads_;
};

}  // namespace attnlab
