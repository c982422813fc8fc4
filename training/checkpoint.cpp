#include "training/checkpoint.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/options.h"
#include "training/atomic_file.h"

namespace attnlab {

namespace {

// 1: a LibTorch archive of "manifest" + "payload" records; 2: attnlab's own container (checkpoint.h).
constexpr int kFormat = 2;

void write_int(torch::serialize::OutputArchive& archive, const std::string& key, int64_t value) {
  archive.write(key, torch::tensor(value, torch::kLong));
}
int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  archive.read(key, t);
  return t.item<int64_t>();
}
void write_real(torch::serialize::OutputArchive& archive, const std::string& key, double value) {
  archive.write(key, torch::tensor(value, torch::kDouble));
}
double read_real(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  archive.read(key, t);
  return t.item<double>();
}

/// The first line of a reader's complaint (error_message) about damaged bytes, which it may
/// quote: no control or non-ASCII bytes, at most 160 characters.
std::string complaint(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return line.size() > 160 ? line.substr(0, 157) + "..." : line;
}

/// Every tensor a model saves: parameters, then buffers, by their dotted names.
std::vector<std::pair<std::string, torch::Tensor>> model_tensors(torch::nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : model.named_parameters()) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) tensors.emplace_back(b.key(), b.value());
  return tensors;
}

std::string shape_text(const std::vector<int64_t>& sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + std::to_string(sizes[i]);
  return out + "]";
}

json describe_model(torch::nn::Module& model) {
  json tensors = json::array();
  for (const auto& [name, tensor] : model_tensors(model))
    tensors.push_back({{"name", name}, {"shape", tensor.sizes().vec()}, {"dtype", std::string(c10::toString(tensor.scalar_type()))}});
  return tensors;
}

/// The first way `model` differs from the tensors `recorded` in a manifest, or nothing.
std::optional<std::string> first_mismatch(torch::nn::Module& model, const json& recorded) {
  std::map<std::string, json> theirs;
  for (const auto& t : recorded) theirs[t.at("name").get<std::string>()] = t;
  const auto ours = model_tensors(model);
  for (const auto& [name, tensor] : ours) {
    auto it = theirs.find(name);
    if (it == theirs.end()) return "holds no tensor " + name + ", which this model has (another model?)";
    const auto shape = it->second.at("shape").get<std::vector<int64_t>>();
    if (shape != tensor.sizes().vec())
      return "tensor " + name + ": this model expects " + shape_text(tensor.sizes().vec()) + ", the file holds " +
             shape_text(shape);
    const auto dtype = it->second.at("dtype").get<std::string>();
    if (dtype != c10::toString(tensor.scalar_type()))
      return "tensor " + name + ": this model expects " + c10::toString(tensor.scalar_type()) + ", the file holds " + dtype;
    theirs.erase(it);
  }
  if (!theirs.empty()) return "holds tensor " + theirs.begin()->first + ", which this model does not have (another model?)";
  return std::nullopt;
}

/// A checkpoint file opened and verified: its manifest (null for a file of LibTorch's format
/// without one) and its payload archive.
struct OpenedCheckpoint {
  json manifest;
  torch::serialize::InputArchive payload;
};

constexpr const char* kHeaderMagic = "attnlab checkpoint";
constexpr const char* kTrustOldCheckpoints = "ATTNLAB_TRUST_OLD_CHECKPOINTS";

/// 16 hex digits as a number; nullopt for anything else.
std::optional<uint64_t> parse_hex64(const std::string& text) {
  if (text.size() != 16 || text.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
  return std::stoull(text, nullptr, 16);
}

/// The manifest's fields have the types load_checkpoint reads them as.
void check_manifest_fields(const json& manifest) {
  if (!manifest.is_object()) throw std::runtime_error("manifest: not an object");
  for (const char* key : {"payload_bytes", "checksum", "config_hash", "model"})
    if (!manifest.contains(key)) throw std::runtime_error(std::string("manifest: no \"") + key + "\"");
  if (!manifest["payload_bytes"].is_number_unsigned()) throw std::runtime_error("manifest: bad payload_bytes");
  if (!manifest["checksum"].is_string() || !manifest["config_hash"].is_string() || !manifest["model"].is_array())
    throw std::runtime_error("manifest: bad checksum, config_hash or model");
  for (const auto& tensor : manifest["model"]) {
    const bool whole = tensor.is_object() && tensor.contains("name") && tensor["name"].is_string() &&
                       tensor.contains("dtype") && tensor["dtype"].is_string() && tensor.contains("shape") &&
                       tensor["shape"].is_array();
    if (!whole) throw std::runtime_error("manifest: a model tensor without name, shape or dtype");
    for (const auto& size : tensor["shape"])
      if (!size.is_number_unsigned()) throw std::runtime_error("manifest: a shape of other than sizes");
  }
}

/// A file of earlier attnlab versions: a LibTorch archive, read by LibTorch as it is.
OpenedCheckpoint open_libtorch_checkpoint(const std::string& path) {
  auto damaged = [&](const std::string& why) { return CheckpointError(path + ": damaged checkpoint: " + why, true); };
  torch::serialize::InputArchive file;
  try {
    file.load_from(path);
  } catch (const std::exception& e) {
    throw damaged("cannot be read (" + complaint(error_message(e)) + ")");
  }
  OpenedCheckpoint opened;
  c10::IValue manifest_text;
  if (!file.try_read("manifest", manifest_text)) {
    opened.payload = std::move(file);  // written before manifests: the payload itself, unchecked
    return opened;
  }
  torch::Tensor bytes;
  try {
    opened.manifest = json::parse(manifest_text.toStringRef());
    check_manifest_fields(opened.manifest);
    if (!file.try_read("payload", bytes) || bytes.scalar_type() != torch::kByte || bytes.dim() != 1)
      throw std::runtime_error("no payload record");
    const auto size = opened.manifest.at("payload_bytes").get<int64_t>();
    if (bytes.numel() != size)
      throw std::runtime_error("payload of " + std::to_string(bytes.numel()) + " bytes, " + std::to_string(size) +
                               " written");
    const std::string written = opened.manifest.at("checksum").get<std::string>();
    const std::string found = content_hash(bytes.data_ptr(), static_cast<size_t>(bytes.numel()));
    if (found != written) throw std::runtime_error("checksum " + found + ", " + written + " written");
    opened.payload.load_from(static_cast<const char*>(bytes.data_ptr()), static_cast<size_t>(bytes.numel()));
  } catch (const std::exception& e) {
    throw damaged(complaint(error_message(e)));
  }
  return opened;
}

OpenedCheckpoint open_checkpoint_bytes(const std::string& file, const std::string& path);

OpenedCheckpoint open_checkpoint(const std::string& path) {
  auto damaged = [&](const std::string& why) { return CheckpointError(path + ": damaged checkpoint: " + why, true); };
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw CheckpointError(path + ": is a directory, not a checkpoint", false);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw damaged("cannot be read");
  return open_checkpoint_bytes(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), path);
}

/// `file`: a checkpoint's bytes; `path` names it in messages (and is where a LibTorch archive is read from).
OpenedCheckpoint open_checkpoint_bytes(const std::string& file, const std::string& path) {
  auto damaged = [&](const std::string& why) { return CheckpointError(path + ": damaged checkpoint: " + why, true); };
  if (file.rfind("PK\x03\x04", 0) == 0) {  // a zip file: LibTorch's archive, as earlier attnlab versions wrote
    const char* trusted = std::getenv(kTrustOldCheckpoints);
    if (trusted && std::string(trusted) == "1") return open_libtorch_checkpoint(path);
    throw CheckpointError(path + ": a checkpoint of an earlier attnlab version, which LibTorch reads unchecked (it crashes "
                                 "on damaged files); if you trust this file, set " + kTrustOldCheckpoints + "=1",
                          false);
  }

  // Header line: magic, format, manifest checksum.
  const auto header_end = file.find('\n');
  const auto manifest_end = header_end == std::string::npos ? header_end : file.find('\n', header_end + 1);
  if (file.rfind(std::string(kHeaderMagic) + " ", 0) != 0 || manifest_end == std::string::npos)
    throw damaged("not an attnlab checkpoint (no header)");
  std::istringstream header(file.substr(strlen(kHeaderMagic), header_end - strlen(kHeaderMagic)));
  std::string format_text, checksum_text, rest;
  header >> format_text >> checksum_text >> rest;
  if (format_text.empty() || format_text.size() > 9 || format_text.find_first_not_of("0123456789") != std::string::npos ||
      !rest.empty())
    throw damaged("not an attnlab checkpoint (bad header)");
  if (std::stoi(format_text) > kFormat)
    throw CheckpointError(path + ": written by a newer attnlab (checkpoint format " + format_text + ")", false);
  const auto manifest_checksum = parse_hex64(checksum_text);
  if (std::stoi(format_text) != kFormat || !manifest_checksum) throw damaged("not an attnlab checkpoint (bad header)");

  const char* manifest_text = file.data() + header_end + 1;
  const size_t manifest_size = manifest_end - header_end - 1;
  if (content_checksum(manifest_text, manifest_size) != *manifest_checksum)
    throw damaged("the manifest does not match its checksum");
  OpenedCheckpoint opened;
  try {
    opened.manifest = json::parse(manifest_text, manifest_text + manifest_size);
    check_manifest_fields(opened.manifest);
  } catch (const std::exception& e) {
    throw damaged(complaint(error_message(e)));
  }
  const char* payload = file.data() + manifest_end + 1;
  const size_t payload_size = file.size() - manifest_end - 1;
  const auto written_size = opened.manifest["payload_bytes"].get<uint64_t>();
  if (payload_size != written_size)
    throw damaged("payload of " + std::to_string(payload_size) + " bytes, " + std::to_string(written_size) +
                  " written (truncated?)");
  const auto written_checksum = parse_hex64(opened.manifest["checksum"].get<std::string>());
  const uint64_t found_checksum = content_checksum(payload, payload_size);
  if (!written_checksum || found_checksum != *written_checksum)
    throw damaged("checksum " + content_hash(payload, payload_size) + ", " +
                  complaint(opened.manifest["checksum"].get<std::string>()) + " written");
  try {
    opened.payload.load_from(payload, payload_size);
  } catch (const std::exception& e) {
    throw damaged("payload cannot be read (" + complaint(error_message(e)) + ")");
  }
  return opened;
}

}  // namespace

uint64_t content_checksum(const void* data, size_t size) {
  // Words mixed in one at a time by bijective steps (xor, odd multiply, rotate): any change to
  // one word changes the result. Then the tail bytes and the length.
  constexpr uint64_t kPrime = 0x9E3779B97F4A7C15ull;
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t h = 0xCBF29CE484222325ull;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    h = (h ^ word) * kPrime;
    h = (h << 29) | (h >> 35);
  }
  for (; i < size; ++i) h = (h ^ bytes[i]) * kPrime;
  h = (h ^ size) * kPrime;
  h ^= h >> 32;
  return h;
}

std::string content_hash(const void* data, size_t size) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(content_checksum(data, size)));
  return text;
}

std::string checkpoint_bytes(torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                             const TrainerState* state, const std::string& config_hash) {
  torch::serialize::OutputArchive payload, model_archive;
  model.save(model_archive);
  payload.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    payload.write("optimizer", optimizer_archive);
  }
  if (state) {
    torch::serialize::OutputArchive s;
    write_int(s, "step", state->step);
    write_int(s, "epoch", state->epoch);
    write_int(s, "batch_in_epoch", state->batch_in_epoch);
    write_int(s, "tokens", state->tokens);
    write_real(s, "train_seconds", state->train_seconds);
    write_real(s, "elapsed_seconds", state->elapsed_seconds);
    write_int(s, "finished", state->finished);
    write_real(s, "best_metric", state->best_metric);
    write_int(s, "best_step", state->best_step);
    write_int(s, "evals_without_improvement", state->evals_without_improvement);
    write_int(s, "skipped_steps", state->skipped_steps);
    s.write("rng_state", state->rng_state);
    payload.write("trainer", s);
  }
  std::ostringstream buffer;
  payload.save_to(buffer);
  const std::string bytes = buffer.str();
  const std::string manifest = json{{"payload_bytes", bytes.size()},
                                    {"checksum", content_hash(bytes.data(), bytes.size())},
                                    {"config_hash", config_hash},
                                    {"model", describe_model(model)}}
                                   .dump();
  const std::string header = std::string(kHeaderMagic) + " " + std::to_string(kFormat) + " " +
                             content_hash(manifest.data(), manifest.size()) + "\n";
  return header + manifest + "\n" + bytes;
}

void save_checkpoint(const std::string& path, torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                     const TrainerState* state, const std::string& config_hash) {
  write_file_atomically(path, checkpoint_bytes(model, optimizer, state, config_hash));
}

bool is_attnlab_checkpoint(const std::string& path) {
  const std::string magic = std::string(kHeaderMagic) + " ";
  std::string start(magic.size(), '\0');
  std::ifstream in(path, std::ios::binary);
  return in.read(start.data(), static_cast<std::streamsize>(start.size())) && start == magic;
}

torch::serialize::InputArchive read_checkpoint_payload(const std::string& path) {
  return std::move(open_checkpoint(path).payload);
}

namespace {

void load_opened_checkpoint(OpenedCheckpoint opened, const std::string& path, torch::nn::Module& model,
                            torch::optim::Optimizer* optimizer, TrainerState* state, const std::string& config_hash) {
  auto misfit = [&](const std::string& why) { return CheckpointError(path + ": " + why, false); };
  if (!opened.manifest.is_null()) {
    // open_checkpoint checked the manifest's fields (check_manifest_fields): these reads cannot throw.
    if (auto mismatch = first_mismatch(model, opened.manifest.at("model"))) throw misfit(*mismatch);
    const auto written = opened.manifest.at("config_hash").get<std::string>();
    if (!config_hash.empty() && !written.empty() && written != config_hash)
      throw misfit("written by a run of another config (config hash " + written + ", this run's " + config_hash + ")");
  }
  auto& archive = opened.payload;
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    if (state) {
      torch::serialize::InputArchive s;
      archive.read("trainer", s);
      state->step = read_int(s, "step");
      state->epoch = read_int(s, "epoch");
      state->batch_in_epoch = read_int(s, "batch_in_epoch");
      state->tokens = read_int(s, "tokens");
      state->train_seconds = read_real(s, "train_seconds");
      state->elapsed_seconds = read_real(s, "elapsed_seconds");
      state->finished = read_int(s, "finished") != 0;
      state->best_metric = read_real(s, "best_metric");
      state->best_step = read_int(s, "best_step");
      state->evals_without_improvement = read_int(s, "evals_without_improvement");
      torch::Tensor skipped;  // absent from checkpoints older than train.non_finite
      state->skipped_steps = s.try_read("skipped_steps", skipped) ? skipped.item<int64_t>() : 0;
      s.read("rng_state", state->rng_state);
    }
  } catch (const c10::Error& e) {
    throw misfit("cannot be loaded into this model (" + complaint(error_message(e)) + ")");
  }
}

}  // namespace

void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     TrainerState* state, const std::string& config_hash) {
  load_opened_checkpoint(open_checkpoint(path), path, model, optimizer, state, config_hash);
}

void load_checkpoint_bytes(const std::string& bytes, const std::string& name, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer, TrainerState* state, const std::string& config_hash) {
  if (bytes.rfind("PK\x03\x04", 0) == 0) throw CheckpointError(name + ": not an attnlab checkpoint", true);
  load_opened_checkpoint(open_checkpoint_bytes(bytes, name), name, model, optimizer, state, config_hash);
}

}  // namespace attnlab
