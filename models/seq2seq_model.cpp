#include "models/seq2seq_model.h"

namespace attnlab {

std::vector<torch::Tensor> DecoderState::tensors() const {
  TORCH_CHECK(false, "this decoder state cannot be exported as tensors");
}

std::unique_ptr<DecoderState> Seq2SeqModelImpl::state_from_tensors(const std::vector<torch::Tensor>& /*tensors*/) {
  TORCH_CHECK(false, "this model cannot read its decoder state from tensors");
}

StateTensorReader::StateTensorReader(const std::vector<torch::Tensor>& tensors, std::string model)
    : tensors_(tensors), model_(std::move(model)) {}

torch::Tensor StateTensorReader::next() {
  TORCH_CHECK(at_ < tensors_.size(), model_, ": the decoder state has ", tensors_.size(),
              " tensors, fewer than this model's options need");
  return tensors_[at_++];
}

AttentionMemory StateTensorReader::memory() {
  auto keys = next(), values = next();
  return memory_from_tensors(keys, values, next());
}

void StateTensorReader::expect_end() const {
  TORCH_CHECK(at_ == tensors_.size(), model_, ": the decoder state has ", tensors_.size(), " tensors, this model's options read ",
              at_);
}

}  // namespace attnlab
