#include "training/collective.h"

#include <cstring>

namespace attnlab {

bool any_rank(Collective& collective, bool flag) {
  if (collective.world_size() == 1) return flag;
  std::vector<torch::Tensor> count = {torch::tensor(flag ? 1.0 : 0.0, torch::kDouble)};
  collective.all_reduce_sum(count);
  return count[0].item<double>() > 0;
}

std::string broadcast_bytes(Collective& collective, const std::string& bytes) {
  if (collective.world_size() == 1) return bytes;
  std::vector<torch::Tensor> size = {torch::tensor(static_cast<int64_t>(bytes.size()), torch::kLong)};
  collective.broadcast(size);
  const int64_t n = size[0].item<int64_t>();
  std::vector<torch::Tensor> data = {torch::empty({n}, torch::kUInt8)};
  if (collective.is_main()) std::memcpy(data[0].data_ptr(), bytes.data(), bytes.size());
  collective.broadcast(data);
  return std::string(static_cast<const char*>(data[0].data_ptr()), static_cast<size_t>(n));
}

std::vector<std::string> all_gather_bytes(Collective& collective, const std::string& bytes) {
  const int64_t ranks = collective.world_size(), rank = collective.rank();
  if (ranks == 1) return {bytes};
  // The collective only adds: each rank writes its bytes into its own region of zeros.
  std::vector<torch::Tensor> sizes = {torch::zeros({ranks}, torch::kLong)};
  sizes[0][rank] = static_cast<int64_t>(bytes.size());
  collective.all_reduce_sum(sizes);
  std::vector<int64_t> offsets = {0};
  for (int64_t r = 0; r < ranks; ++r) offsets.push_back(offsets.back() + sizes[0][r].item<int64_t>());
  std::vector<torch::Tensor> data = {torch::zeros({offsets.back()}, torch::kUInt8)};
  std::memcpy(static_cast<char*>(data[0].data_ptr()) + offsets[rank], bytes.data(), bytes.size());
  collective.all_reduce_sum(data);
  std::vector<std::string> gathered;
  const char* all = static_cast<const char*>(data[0].data_ptr());
  for (int64_t r = 0; r < ranks; ++r)
    gathered.emplace_back(all + offsets[r], static_cast<size_t>(offsets[r + 1] - offsets[r]));
  return gathered;
}

std::vector<double> broadcast_values(Collective& collective, std::vector<double> values) {
  if (collective.world_size() == 1 || values.empty()) return values;
  std::vector<torch::Tensor> tensor = {torch::tensor(values, torch::kDouble)};
  collective.broadcast(tensor);
  const double* data = tensor[0].data_ptr<double>();
  return std::vector<double>(data, data + values.size());
}

std::pair<int64_t, int64_t> share_of(int64_t size, int64_t rank, int64_t world_size) {
  const int64_t base = size / world_size, larger = size % world_size;
  const int64_t begin = rank * base + std::min(rank, larger);
  return {begin, begin + base + (rank < larger ? 1 : 0)};
}

}  // namespace attnlab
