#include "data/document_data.h"

#include <algorithm>
#include <stdexcept>

#include "core/options.h"
#include "core/special_tokens.h"

namespace attnlab {

const std::vector<Document>& DocumentData::split(const std::string& name) const {
  auto it = splits.find(name);
  if (it == splits.end()) throw std::invalid_argument("unknown split \"" + name + "\"; known: " + join(split_names()));
  return it->second;
}

std::vector<std::string> DocumentData::split_names() const {
  std::vector<std::string> names;
  for (const auto& s : splits) names.push_back(s.first);
  return names;
}

DocumentBatch make_document_batch(const std::vector<Document>& documents, const std::vector<int64_t>& indices) {
  TORCH_CHECK(!indices.empty(), "make_document_batch: no documents");
  const int64_t B = static_cast<int64_t>(indices.size());
  int64_t N = 1, W = 1, L = 1;
  for (int64_t i : indices) {
    const Document& d = documents.at(i);
    TORCH_CHECK(!d.sentences.empty(), "make_document_batch: document ", i, " has no sentence");
    N = std::max<int64_t>(N, d.sentences.size());
    int64_t total = 0;
    for (const auto& s : d.sentences) {
      TORCH_CHECK(!s.empty(), "make_document_batch: document ", i, " has an empty sentence");
      W = std::max<int64_t>(W, s.size());
      total += static_cast<int64_t>(s.size());
    }
    L = std::max(L, total);
  }
  // Filled on the host, then turned into tensors in one copy each.
  std::vector<int64_t> words(B * N * W, kPad), sentence_lengths(B * N, 0), counts(B), flat(B * L, kPad),
      flat_lengths(B, 0), labels(B), keys(B);
  for (int64_t b = 0; b < B; ++b) {
    const Document& d = documents[indices[b]];
    counts[b] = static_cast<int64_t>(d.sentences.size());
    labels[b] = d.label;
    keys[b] = d.key_sentence;
    for (size_t n = 0; n < d.sentences.size(); ++n) {
      const auto& s = d.sentences[n];
      sentence_lengths[b * N + n] = static_cast<int64_t>(s.size());
      std::copy(s.begin(), s.end(), words.begin() + (b * N + n) * W);
      std::copy(s.begin(), s.end(), flat.begin() + b * L + flat_lengths[b]);
      flat_lengths[b] += static_cast<int64_t>(s.size());
    }
  }
  auto tensor = [](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong); };
  return {tensor(words).view({B, N, W}), tensor(sentence_lengths).view({B, N}), tensor(counts),
          tensor(flat).view({B, L}), tensor(flat_lengths), tensor(labels), tensor(keys)};
}

}  // namespace attnlab
