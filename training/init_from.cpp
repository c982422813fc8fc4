#include "training/init_from.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tokenizers/tokenizer_registry.h"
#include "training/checkpoint.h"

namespace attnlab {

namespace fs = std::filesystem;

namespace {

std::string shape_text(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// The tensor at `dotted` ("encoder.layers.layer_0.norm.weight") of a module archive, if any.
std::optional<torch::Tensor> find_tensor(torch::serialize::InputArchive& archive, const std::string& dotted) {
  const auto dot = dotted.find('.');
  if (dot == std::string::npos) {
    torch::Tensor tensor;
    if (archive.try_read(dotted, tensor, /*is_buffer=*/false) || archive.try_read(dotted, tensor, /*is_buffer=*/true))
      return tensor;
    return std::nullopt;
  }
  torch::serialize::InputArchive child;
  if (!archive.try_read(dotted.substr(0, dot), child)) return std::nullopt;
  return find_tensor(child, dotted.substr(dot + 1));
}

}  // namespace

int64_t init_from_run(torch::nn::Module& model, const Tokenizer& tokenizer, const InitOptions& init) {
  const std::string& run = init.from();
  auto fail = [&](const std::string& message) { return ConfigError("/init/from", "\"" + run + "\": " + message); };
  if (!fs::is_directory(run)) throw fail("no such run directory");
  if (!fs::exists(fs::path(run) / "config.json")) throw fail("not a run directory (no config.json)");
  std::string model_type = "?";
  try {
    std::ifstream config((fs::path(run) / "config.json").string());
    model_type = json::parse(config).at("model").at("type").get<std::string>();
  } catch (const std::exception&) {
    // An unreadable config only loses the model's name in the messages below.
  }
  const std::string checkpoint = (fs::path(run) / "checkpoints" / "best.pt").string();
  if (!fs::exists(checkpoint)) throw fail("has no checkpoints/best.pt (not trained yet?)");

  // The same ids must mean the same pieces, or the copied embeddings mean nothing.
  const std::string tokenizer_directory = (fs::path(run) / "tokenizer").string();
  if (fs::exists(tokenizer_directory)) {
    const auto theirs = load_tokenizer(tokenizer_directory);
    const std::string fix = "; give the data \"tokenizer\": {\"type\": \"saved\", \"directory\": \"" +
                            tokenizer_directory + "\"}";
    if (theirs->vocab_size() != tokenizer.vocab_size())
      throw fail("its tokenizer has " + std::to_string(theirs->vocab_size()) + " pieces, this data's " +
                 std::to_string(tokenizer.vocab_size()) + fix);
    for (int64_t id = 0; id < tokenizer.vocab_size(); ++id)
      if (theirs->piece(id) != tokenizer.piece(id))
        throw fail("its tokenizer has \"" + theirs->piece(id) + "\" at id " + std::to_string(id) + ", this data's \"" +
                   tokenizer.piece(id) + "\"" + fix);
  }
  torch::serialize::InputArchive weights;
  try {
    auto archive = read_checkpoint_payload(checkpoint);  // verified: a damaged file is refused here
    archive.read("model", weights);
  } catch (const CheckpointError& e) {
    throw fail(e.what());
  } catch (const std::exception& e) {
    throw fail("cannot read checkpoints/best.pt: " + error_message(e));
  }
  const std::string prefix = init.part() + ".";
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& p : model.named_parameters()) targets.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) targets.emplace_back(b.key(), b.value());
  int64_t copied = 0;
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : targets) {
    if (name.rfind(prefix, 0) != 0) continue;
    const auto source = find_tensor(weights, name);
    if (!source) throw fail("its model (\"" + model_type + "\") has no " + name);
    if (source->sizes() != tensor.sizes())
      throw fail(name + " is " + shape_text(*source) + " there but " + shape_text(tensor) + " here (its model: \"" +
                 model_type + "\")");
    tensor.copy_(*source);
    ++copied;
  }
  if (copied == 0) throw ConfigError("/init/part", "this model has no part \"" + init.part() + "\"");
  return copied;
}

}  // namespace attnlab
