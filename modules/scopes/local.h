#pragma once
// Local scopes of Luong et al. 2015: each query sees only the window [p - D, p + D] of 2D+1
// keys around an aligned position p, and only those keys are scored (the cost grows linearly
// with the number of keys; when the keys are few, every key is scored and the window applied as
// a band, which gives the same weights for less work).
//   local_m: p_t = t, the query's own position (monotonic alignment).
//   local_p: p_t = S · sigmoid(v_pᵀ tanh(W_p h_t)), S the length of the key sequence; the
//            window's softmax weights are multiplied by exp(-(s - p_t)² / (2σ²)), σ = D/2.
//            (As in the paper they are not renormalised, so they sum to at most one.)
// D is the window's half-width (the option `window`), as in the paper; peers that speak of a
// window's width mean 2D+1.
// Legend: B batch (B x H rows when built for H heads), Tq query steps, Tk key steps, W = 2D+1 window
//         keys, Dk key dims, Dv value dims, F feature dims of any rows.

#include "core/options.h"
#include "modules/head_linear.h"
#include "modules/scope.h"

namespace attnlab {

struct LocalScopeOptions {
  LocalScopeOptions(int64_t query_dim, bool predictive) : query_dim_(query_dim), predictive_(predictive) {}
  /// Size of the query vectors (set by the model).
  TORCH_ARG(int64_t, query_dim);
  /// local_p (predicted centre, Gaussian) rather than local_m (centre = query position).
  TORCH_ARG(bool, predictive);
  /// D, the half-width: the window holds the 2D+1 keys around its centre (not a width of D).
  TORCH_ARG(int64_t, window) = 10;
  /// local_p: width of the Gaussian; 0 means D/2, as in the paper.
  TORCH_ARG(double, sigma) = 0.0;
  /// local_p: hidden size of the position predictor W_p.
  TORCH_ARG(int64_t, predictor_hidden) = 64;
  /// H: heads it serves, each with its own position predictor (set by multi_head; 1 elsewhere).
  TORCH_ARG(int64_t, heads) = 1;
};

template <class Fields>
void visit_fields(Fields& f, LocalScopeOptions& o) {
  f("window", o.window(), at_least(0));
  if (o.predictive()) {
    f("sigma", o.sigma(), at_least(0.0));
    f("predictor_hidden", o.predictor_hidden(), at_least(1));
  }
}

class LocalScopeImpl : public ScopeImpl {
 public:
  explicit LocalScopeImpl(const LocalScopeOptions& options);
  AttentionOutput forward(ScoreImpl& score, const AttentionQuery& query, const AttentionMemory& memory,
                          double weight_dropout) override;

  /// The window centre p of each query: [B, Tq] (real-valued for local_p).
  torch::Tensor centres(const AttentionQuery& query, const AttentionMemory& memory);
  /// Whether forward scores every key and applies the window as a band (same result; cheaper
  /// when the keys are few) rather than scoring gathered windows.
  bool scores_every_key(int64_t key_steps) const;
  /// Whether the windows `index` [B, Tq, W] shift by one key per query, from one first key for
  /// every row, so that forward reads them as views (local_m, Tq >= W, not traced).
  bool windows_are_shifted(const torch::Tensor& index) const;

  /// Keys per window key up to which forward scores every key (0: always the windows).
  int64_t dense_keys_per_window = 8;
  /// local_m with windows that shift by one key per query (teacher forcing, self-attention):
  /// read slot w of every window as one view of the keys shifted by w, instead of gathering a
  /// [B, Tq, W, D] copy of the windows (false: always gather; for tests).
  bool windows_as_views = true;

  LocalScopeOptions options;
  HeadLinear predictor_hidden{nullptr};  // W_p (local_p only; one per head)
  HeadLinear predictor_out{nullptr};     // v_p (local_p only; one per head)

 private:
  /// forward over shifted windows: keys, values [B, Tk, *] -> rows of keys first .. first + Tq + W - 2
  /// [B, Tq + W - 1, *]; slot w of every window is rows w .. w + Tq - 1 (a view), scored as
  /// W x [B, Tq, 1] -> [B, Tq, W]; context = Σ_w weights[:, :, w] · values[w .. w + Tq - 1] [B, Tq, Dv].
  AttentionOutput attend_shifted(ScoreImpl& score, const AttentionQuery& query, const AttentionMemory& memory,
                                 const torch::Tensor& index, const torch::Tensor& masked, double weight_dropout);
};

/// rows [B, Tk, F] gathered at index [B, Tq, W] -> [B, Tq, W, F]; index must lie in [0, Tk).
torch::Tensor gather_windows(const torch::Tensor& rows, const torch::Tensor& index);

}  // namespace attnlab
