// Checkpoints that prove themselves (issue 15): a damaged file, another model's file or another
// config's file is refused with one line naming the file and the first mismatch, and the model
// keeps its weights.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/test_support.h"
#include "training/checkpoint.h"

namespace attnlab {
namespace {

using test_util::flip_byte;
using test_util::TempDir;

struct TwoLayers : torch::nn::Module {
  TwoLayers(int64_t in, int64_t hidden) {
    first = register_module("first", torch::nn::Linear(in, hidden));
    second = register_module("second", torch::nn::Linear(hidden, 3));
    register_buffer("counts", torch::arange(hidden, torch::kLong));
  }
  torch::nn::Linear first{nullptr}, second{nullptr};
};

std::vector<torch::Tensor> tensors_of(torch::nn::Module& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model.parameters()) out.push_back(p.detach().clone());
  for (const auto& b : model.buffers()) out.push_back(b.clone());
  return out;
}

void expect_same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
}

/// The CheckpointError load_checkpoint throws, as (message, damaged); ("", false) when it loads.
std::pair<std::string, bool> load_error(const std::string& path, torch::nn::Module& model,
                                        const std::string& config_hash = "") {
  try {
    load_checkpoint(path, model, nullptr, nullptr, config_hash);
  } catch (const CheckpointError& e) {
    return {e.what(), e.damaged()};
  }
  return {"", false};
}

TEST(Checkpoint, RoundTripsModelOptimizerAndState) {
  TempDir dir;
  torch::manual_seed(1);
  TwoLayers saved(6, 5);
  torch::optim::Adam optimizer(saved.parameters(), 0.1);
  torch::stack({saved.first->weight.sum(), saved.first->bias.sum(), saved.second->weight.sum(),
                saved.second->bias.sum()}).sum().backward();
  optimizer.step();
  TrainerState state;
  state.step = 17;
  state.best_metric = 0.25;
  state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  save_checkpoint(dir.file("c.pt"), saved, &optimizer, &state, "abc");

  torch::manual_seed(2);
  TwoLayers loaded(6, 5);
  torch::optim::Adam loaded_optimizer(loaded.parameters(), 0.1);
  TrainerState loaded_state;
  load_checkpoint(dir.file("c.pt"), loaded, &loaded_optimizer, &loaded_state, "abc");
  expect_same(tensors_of(saved), tensors_of(loaded));
  EXPECT_EQ(loaded_state.step, 17);
  EXPECT_EQ(loaded_state.best_metric, 0.25);
  EXPECT_TRUE(torch::equal(loaded_state.rng_state, state.rng_state));
  EXPECT_EQ(loaded_optimizer.state().size(), optimizer.state().size());
  EXPECT_EQ(loaded_optimizer.state().size(), 4u);
}

TEST(Checkpoint, BytesAreTheFileAndLoadAsTheFileDoes) {
  // What a data-parallel run's rank 0 sends the other ranks: the checkpoint file's bytes.
  TempDir dir;
  torch::manual_seed(1);
  TwoLayers saved(6, 5);
  torch::optim::Adam optimizer(saved.parameters(), 0.1);
  saved.first->weight.sum().backward();
  optimizer.step();
  TrainerState state;
  state.step = 3;
  state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  save_checkpoint(dir.file("c.pt"), saved, &optimizer, &state, "abc");
  const std::string bytes = checkpoint_bytes(saved, &optimizer, &state, "abc");
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes, test_util::read_text(dir.file("c.pt")));

  torch::manual_seed(2);
  TwoLayers loaded(6, 5);
  torch::optim::Adam loaded_optimizer(loaded.parameters(), 0.1);
  TrainerState loaded_state;
  load_checkpoint_bytes(bytes, "rank 0's state", loaded, &loaded_optimizer, &loaded_state, "abc");
  expect_same(tensors_of(saved), tensors_of(loaded));
  EXPECT_EQ(loaded_state.step, 3);
  EXPECT_EQ(loaded_optimizer.state().size(), optimizer.state().size());

  std::string damaged = bytes;
  damaged[damaged.size() / 2] ^= 0x40;
  try {
    load_checkpoint_bytes(damaged, "rank 0's state", loaded, nullptr, nullptr);
    ADD_FAILURE() << "damaged bytes loaded";
  } catch (const CheckpointError& e) {
    EXPECT_TRUE(e.damaged());
    EXPECT_EQ(std::string(e.what()).rfind("rank 0's state: damaged checkpoint", 0), 0u) << e.what();
  }
}

TEST(Checkpoint, AFlippedByteAnywhereInThePayloadIsRefusedAndTheModelKeepsItsWeights) {
  TempDir dir;
  torch::manual_seed(1);
  TwoLayers saved(40, 30);
  save_checkpoint(dir.file("good.pt"), saved, nullptr, nullptr);
  const std::string good = test_util::read_text(dir.file("good.pt"));
  ASSERT_GT(good.size(), 4 * 40 * 30u);
  const auto saved_tensors = tensors_of(saved);
  torch::manual_seed(2);
  TwoLayers model(40, 30);
  const auto before = tensors_of(model);
  // Bytes spread over the file (header, manifest, the weights among the payload): each flip is
  // refused, whatever it hits, and leaves the model as it was.
  int refused = 0, tried = 0;
  for (size_t offset = 0; offset < good.size(); offset += good.size() / 37) {
    SCOPED_TRACE("offset " + std::to_string(offset));
    test_util::write_text(dir.file("bad.pt"), good);
    flip_byte(dir.file("bad.pt"), offset);
    for (auto& p : model.parameters()) p.data().copy_(before[0].new_zeros({}).fill_(0.5));  // neither set of weights
    const auto filler = tensors_of(model);
    const auto [message, damaged] = load_error(dir.file("bad.pt"), model);
    ++tried;
    if (message.empty()) {
      expect_same(saved_tensors, tensors_of(model));
      continue;
    }
    ++refused;
    EXPECT_TRUE(damaged) << message;
    EXPECT_EQ(message.rfind(dir.file("bad.pt") + ": damaged checkpoint: ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    expect_same(filler, tensors_of(model));
  }
  EXPECT_EQ(tried, 38);
  EXPECT_EQ(refused, tried);

  // A flip inside the first layer's weights: the checksum names it.
  const float probe = saved.first->weight[7][3].item<float>();
  const auto at = good.find(std::string(reinterpret_cast<const char*>(&probe), sizeof probe));
  ASSERT_NE(at, std::string::npos);
  test_util::write_text(dir.file("bad.pt"), good);
  flip_byte(dir.file("bad.pt"), at + 1);
  const auto unchanged = tensors_of(model);
  const auto [message, damaged] = load_error(dir.file("bad.pt"), model);
  EXPECT_TRUE(damaged);
  EXPECT_NE(message.find(": damaged checkpoint: checksum "), std::string::npos) << message;
  expect_same(unchanged, tensors_of(model));

  // Truncated: damaged too.
  test_util::write_text(dir.file("short.pt"), good.substr(0, good.size() / 2));
  EXPECT_TRUE(load_error(dir.file("short.pt"), model).second);
  EXPECT_NE(load_error(dir.file("short.pt"), model).first.find("damaged checkpoint: payload of "), std::string::npos);
}

TEST(Checkpoint, ArchivesOfEarlierVersionsAreReadOnlyWhenTrusted) {
  // Before its own container, attnlab wrote LibTorch archives, which LibTorch's reader crashes on
  // when damaged (tests/fuzz/regressions/checkpoint).
  TempDir dir;
  torch::manual_seed(1);
  TwoLayers saved(6, 5);
  torch::serialize::OutputArchive old_file, weights;
  saved.save(weights);
  old_file.write("model", weights);
  old_file.save_to(dir.file("old.pt"));
  TwoLayers model(6, 5);
  const auto before = tensors_of(model);
  const auto [message, damaged] = load_error(dir.file("old.pt"), model);
  EXPECT_FALSE(damaged);
  EXPECT_EQ(message, dir.file("old.pt") + ": a checkpoint of an earlier attnlab version, which LibTorch reads "
                                          "unchecked (it crashes on damaged files); if you trust this file, set "
                                          "ATTNLAB_TRUST_OLD_CHECKPOINTS=1");
  expect_same(before, tensors_of(model));
  setenv("ATTNLAB_TRUST_OLD_CHECKPOINTS", "1", 1);
  EXPECT_EQ(load_error(dir.file("old.pt"), model).first, "");
  unsetenv("ATTNLAB_TRUST_OLD_CHECKPOINTS");
  expect_same(tensors_of(saved), tensors_of(model));
}

TEST(Checkpoint, TheFileIsAHeaderAManifestLineAndThePayload) {
  TempDir dir;
  TwoLayers model(6, 4);
  save_checkpoint(dir.file("c.pt"), model, nullptr, nullptr, "1111");
  const std::string file = test_util::read_text(dir.file("c.pt"));
  const auto header_end = file.find('\n'), manifest_end = file.find('\n', header_end + 1);
  ASSERT_NE(manifest_end, std::string::npos);
  const std::string header = file.substr(0, header_end), manifest = file.substr(header_end + 1, manifest_end - header_end - 1);
  EXPECT_EQ(header, "attnlab checkpoint 2 " + content_hash(manifest.data(), manifest.size()));
  const json parsed = json::parse(manifest);
  EXPECT_EQ(parsed["config_hash"], "1111");
  EXPECT_EQ(parsed["payload_bytes"].get<size_t>(), file.size() - manifest_end - 1);
  EXPECT_EQ(parsed["checksum"], content_hash(file.data() + manifest_end + 1, file.size() - manifest_end - 1));
  ASSERT_EQ(parsed["model"].size(), 5u);  // first.weight, first.bias, second.weight, second.bias, counts
  EXPECT_EQ(parsed["model"][0], json({{"name", "first.weight"}, {"shape", {4, 6}}, {"dtype", "Float"}}));
}

TEST(Checkpoint, AnotherModelsCheckpointIsRefusedNamingTheFirstMismatchingTensor) {
  TempDir dir;
  TwoLayers smaller(6, 4), larger(6, 5);
  save_checkpoint(dir.file("smaller.pt"), smaller, nullptr, nullptr);
  const auto before = tensors_of(larger);
  auto [message, damaged] = load_error(dir.file("smaller.pt"), larger);
  EXPECT_FALSE(damaged);
  EXPECT_EQ(message, dir.file("smaller.pt") + ": tensor first.weight: this model expects [5, 6], the file holds [4, 6]");
  expect_same(before, tensors_of(larger));

  torch::nn::Linear other(6, 4);
  std::tie(message, damaged) = load_error(dir.file("smaller.pt"), *other);
  EXPECT_EQ(message, dir.file("smaller.pt") + ": holds no tensor weight, which this model has (another model?)");
}

TEST(Checkpoint, AnotherConfigsCheckpointIsRefusedWhenTheCallerGivesItsHash) {
  TempDir dir;
  TwoLayers model(6, 4);
  save_checkpoint(dir.file("c.pt"), model, nullptr, nullptr, "1111");
  EXPECT_EQ(load_error(dir.file("c.pt"), model, "1111").first, "");
  EXPECT_EQ(load_error(dir.file("c.pt"), model, "").first, "");
  EXPECT_EQ(load_error(dir.file("c.pt"), model, "2222").first,
            dir.file("c.pt") + ": written by a run of another config (config hash 1111, this run's 2222)");
}

TEST(Checkpoint, ContentHashChangesWithAnySingleByte) {
  std::string bytes(1003, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  const std::string base = content_hash(bytes.data(), bytes.size());
  ASSERT_EQ(base.size(), 16u);
  std::set<std::string> seen{base};
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 1);
    seen.insert(content_hash(changed.data(), changed.size()));
  }
  EXPECT_EQ(seen.size(), bytes.size() + 1);
  EXPECT_NE(content_hash(bytes.data(), bytes.size() - 1), base);
}

}  // namespace
}  // namespace attnlab
