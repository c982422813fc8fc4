#include "modules/attention.h"

#include "modules/masks.h"

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

torch::Tensor dense_weights(const AttentionOutput& output, const torch::Tensor& keys_like) {
  if (!output.positions.defined()) return output.weights;
  TORCH_CHECK(keys_like.dim() == 2 && output.weights.dim() == 3, "dense_weights: needs weights [B, Tq, W] and keys [B, Tk], got ",
              output.weights.sizes(), " and ", keys_like.sizes());
  // [B, Tq, 1] + [B or 1, 1, Tk] -> zeros [B, Tq, Tk], every size taken from the tensors.
  auto zeros = torch::zeros_like(output.weights.narrow(-1, 0, 1)) +
               torch::zeros_like(keys_like, output.weights.options()).unsqueeze(1);
  // Positions outside the keys carry zero weight; send them to index 0, where adding 0 is harmless.
  auto inside = output.positions.ge(0) & output.positions.lt(size_as_tensor(keys_like, 1));
  auto index = output.positions.masked_fill(~inside, 0);
  return zeros.scatter_add(-1, index, output.weights.masked_fill(~inside, 0.0));  // [B, Tq, Tk]
}

torch::Tensor dense_weights(const AttentionOutput& output, int64_t key_steps) {
  if (!output.positions.defined()) return output.weights;
  return dense_weights(output, torch::zeros({1, key_steps}, output.weights.options().dtype(torch::kBool)));
}

torch::Tensor dense_head_weights(const AttentionOutput& output, int64_t key_steps) {
  if (!output.head_weights.defined()) return dense_weights(output, key_steps).unsqueeze(1);  // [B, 1, Tq, Tk]
  const int64_t H = output.head_weights.size(1), W = output.head_weights.size(-1);
  // Windowed heads: multi_head lists the heads' windows side by side, positions [B, Tq, H x W].
  const bool listed = output.positions.defined() && output.positions.size(-1) == H * W;
  TORCH_CHECK(!output.positions.defined() || listed || output.positions.size(-1) == W,
              "dense_head_weights: positions ", output.positions.sizes(), " fit neither ", W, " nor ", H, " x ", W,
              " keys per query");
  std::vector<torch::Tensor> heads;
  for (int64_t h = 0; h < H; ++h) {
    AttentionOutput head;
    head.weights = output.head_weights.select(1, h);                                   // [B, Tq, W]
    head.positions = listed ? output.positions.narrow(-1, h * W, W) : output.positions;  // [B, Tq, W]
    heads.push_back(dense_weights(head, key_steps));                                   // [B, Tq, Tk]
  }
  return torch::stack(heads, 1);  // [B, H, Tq, Tk]
}

namespace {
/// The key_padding_mask of `memory`, or all false [B, Tk] when it has none.
torch::Tensor key_padding_mask_or_none(const AttentionMemory& memory) {
  return memory.key_padding_mask.defined()
             ? memory.key_padding_mask
             : torch::zeros_like(memory.keys.select(-1, 0), memory.keys.options().dtype(torch::kBool));  // [B, Tk]
}
}  // namespace

void append_tensors(const AttentionMemory& memory, std::vector<torch::Tensor>& out) {
  out.push_back(memory.keys);
  out.push_back(memory.values);
  // No mask stays no mask (an all-false one would cost a masked softmax at every step).
  out.push_back(memory.key_padding_mask.defined() ? memory.key_padding_mask
                                                  : torch::zeros({0}, memory.keys.options().dtype(torch::kBool)));
}

AttentionMemory memory_from_tensors(const torch::Tensor& keys, const torch::Tensor& values, const torch::Tensor& mask) {
  const bool none = mask.dim() == 1 && mask.numel() == 0;
  return {keys, values, none ? torch::Tensor() : mask};
}

AttentionMemory concat_memory(const AttentionMemory& earlier, const AttentionMemory& later) {
  if (!earlier.keys.defined()) return later;
  torch::Tensor mask;
  if (earlier.key_padding_mask.defined() || later.key_padding_mask.defined())
    mask = torch::cat({key_padding_mask_or_none(earlier), key_padding_mask_or_none(later)}, 1);  // [B, Tk1 + Tk2]
  return {torch::cat({earlier.keys, later.keys}, 1), torch::cat({earlier.values, later.values}, 1), mask};
}

torch::Tensor weight_entropy(const torch::Tensor& weights) {
  auto safe = weights.clamp_min(1e-30);
  return -(weights * safe.log()).sum(-1);
}

}  // namespace attnlab
