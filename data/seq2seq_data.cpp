#include "data/seq2seq_data.h"

#include <algorithm>
#include <stdexcept>

#include "core/options.h"
#include "core/special_tokens.h"

namespace attnlab {

const std::vector<Seq2SeqExample>& Seq2SeqData::split(const std::string& name) const {
  auto it = splits.find(name);
  if (it == splits.end()) {
    std::vector<std::string> known;
    for (const auto& s : splits) known.push_back(s.first);
    throw std::invalid_argument("unknown split \"" + name + "\"; known: " + join(known));
  }
  return it->second;
}

std::vector<std::string> Seq2SeqData::split_names() const {
  std::vector<std::string> names;
  for (const auto& s : splits) names.push_back(s.first);
  return names;
}

int64_t Seq2SeqBatch::target_tokens() const { return target_lengths.sum().item<int64_t>(); }

Seq2SeqBatch make_batch(const std::vector<Seq2SeqExample>& examples, const std::vector<int64_t>& indices) {
  TORCH_CHECK(!indices.empty(), "make_batch: no examples");
  const int64_t batch = static_cast<int64_t>(indices.size());
  int64_t max_source = 1, max_target = 1;
  for (int64_t i : indices) {
    max_source = std::max<int64_t>(max_source, examples.at(i).source.size());
    max_target = std::max<int64_t>(max_target, examples.at(i).target.size() + 1);
  }
  // Filled on the host, then turned into tensors in one copy each.
  std::vector<int64_t> source(batch * max_source, kPad), target_in(batch * max_target, kPad),
      target_out(batch * max_target, kPad), alignment(batch * max_target, -1), source_lengths(batch),
      target_lengths(batch);
  for (int64_t b = 0; b < batch; ++b) {
    const Seq2SeqExample& ex = examples[indices[b]];
    const int64_t n = static_cast<int64_t>(ex.target.size());
    source_lengths[b] = static_cast<int64_t>(ex.source.size());
    target_lengths[b] = n + 1;
    std::copy(ex.source.begin(), ex.source.end(), source.begin() + b * max_source);
    target_in[b * max_target] = kBos;
    std::copy(ex.target.begin(), ex.target.end(), target_in.begin() + b * max_target + 1);
    std::copy(ex.target.begin(), ex.target.end(), target_out.begin() + b * max_target);
    target_out[b * max_target + n] = kEos;
    std::copy(ex.alignment.begin(), ex.alignment.end(), alignment.begin() + b * max_target);
  }
  auto to_tensor = [](std::vector<int64_t>& v, std::vector<int64_t> shape) {
    return torch::from_blob(v.data(), shape, torch::kLong).clone();
  };
  return {to_tensor(source, {batch, max_source}),      to_tensor(source_lengths, {batch}),
          to_tensor(target_in, {batch, max_target}),   to_tensor(target_out, {batch, max_target}),
          to_tensor(target_lengths, {batch}),          to_tensor(alignment, {batch, max_target})};
}

}  // namespace attnlab
