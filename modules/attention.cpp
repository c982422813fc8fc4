#include "modules/attention.h"

namespace attnlab {

void check_attention_shapes(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& values,
                            const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(query.dim() == 3 && keys.dim() == 3 && values.dim() == 3,
              "attention: query, keys and values must be [B, T, D]; got ", query.sizes(), ", ", keys.sizes(),
              ", ", values.sizes());
  TORCH_CHECK(query.size(0) == keys.size(0) && keys.size(0) == values.size(0),
              "attention: batch sizes differ: query ", query.size(0), ", keys ", keys.size(0), ", values ",
              values.size(0));
  TORCH_CHECK(keys.size(1) == values.size(1), "attention: keys have ", keys.size(1), " steps, values ",
              values.size(1));
  if (key_padding_mask.defined()) {
    TORCH_CHECK(key_padding_mask.scalar_type() == torch::kBool, "attention: key_padding_mask must be bool");
    TORCH_CHECK(key_padding_mask.dim() == 2 && key_padding_mask.size(0) == keys.size(0) &&
                    key_padding_mask.size(1) == keys.size(1),
                "attention: key_padding_mask must be [B, Tk] = [", keys.size(0), ", ", keys.size(1), "], got ",
                key_padding_mask.sizes());
  }
}

}  // namespace attnlab
