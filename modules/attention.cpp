#include "modules/attention.h"

namespace attnlab {

void check_attention_shapes(const AttentionQuery& q, const AttentionMemory& m) {
  const auto& query = q.query;
  const auto& keys = m.keys;
  const auto& values = m.values;
  TORCH_CHECK(query.dim() == 3 && keys.dim() == 3 && values.dim() == 3,
              "attention: query, keys and values must be [B, T, D]; got ", query.sizes(), ", ", keys.sizes(),
              ", ", values.sizes());
  TORCH_CHECK(query.size(0) == keys.size(0) && keys.size(0) == values.size(0),
              "attention: batch sizes differ: query ", query.size(0), ", keys ", keys.size(0), ", values ",
              values.size(0));
  TORCH_CHECK(keys.size(1) == values.size(1), "attention: keys have ", keys.size(1), " steps, values ",
              values.size(1));
  const int64_t B = keys.size(0), Tq = query.size(1), Tk = keys.size(1);
  if (m.key_padding_mask.defined()) {
    TORCH_CHECK(m.key_padding_mask.scalar_type() == torch::kBool, "attention: key_padding_mask must be bool");
    TORCH_CHECK(m.key_padding_mask.dim() == 2 && m.key_padding_mask.size(0) == B && m.key_padding_mask.size(1) == Tk,
                "attention: key_padding_mask must be [B, Tk] = [", B, ", ", Tk, "], got ", m.key_padding_mask.sizes());
  }
  if (q.attn_mask.defined()) {
    const auto& a = q.attn_mask;
    TORCH_CHECK(a.scalar_type() == torch::kBool, "attention: attn_mask must be bool");
    const bool shared = a.dim() == 2 && a.size(0) == Tq && a.size(1) == Tk;
    const bool per_batch = a.dim() == 3 && a.size(0) == B && a.size(1) == Tq && a.size(2) == Tk;
    TORCH_CHECK(shared || per_batch, "attention: attn_mask must be [Tq, Tk] = [", Tq, ", ", Tk,
                "] or [B, Tq, Tk], got ", a.sizes());
  }
  if (q.positions.defined()) {
    const auto& p = q.positions;
    TORCH_CHECK(p.scalar_type() == torch::kLong, "attention: query positions must be int64");
    TORCH_CHECK((p.dim() == 1 && p.size(0) == Tq) || (p.dim() == 2 && p.size(0) == B && p.size(1) == Tq),
                "attention: query positions must be [Tq] = [", Tq, "] or [B, Tq], got ", p.sizes());
  }
}

torch::Tensor dense_weights(const AttentionOutput& output, int64_t key_steps) {
  if (!output.positions.defined()) return output.weights;
  auto sizes = output.weights.sizes().vec();
  sizes.back() = key_steps;
  // Positions outside the keys carry zero weight; send them to index 0, where adding 0 is harmless.
  auto inside = output.positions.ge(0) & output.positions.lt(key_steps);
  auto index = output.positions.masked_fill(~inside, 0);
  return torch::zeros(sizes, output.weights.options())
      .scatter_add(-1, index, output.weights.masked_fill(~inside, 0.0));  // [..., Tq, Tk]
}

AttentionMemory concat_memory(const AttentionMemory& earlier, const AttentionMemory& later) {
  if (!earlier.keys.defined()) return later;
  torch::Tensor mask;
  if (earlier.key_padding_mask.defined() || later.key_padding_mask.defined()) {
    auto or_none = [](const AttentionMemory& m) {
      return m.key_padding_mask.defined()
                 ? m.key_padding_mask
                 : torch::zeros({m.keys.size(0), m.keys.size(1)}, m.keys.options().dtype(torch::kBool));
    };
    mask = torch::cat({or_none(earlier), or_none(later)}, 1);  // [B, Tk1 + Tk2]
  }
  return {torch::cat({earlier.keys, later.keys}, 1), torch::cat({earlier.values, later.values}, 1), mask};
}

torch::Tensor weight_entropy(const torch::Tensor& weights) {
  auto safe = weights.clamp_min(1e-30);
  return -(weights * safe.log()).sum(-1);
}

}  // namespace attnlab
