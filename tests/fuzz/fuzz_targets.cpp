#include "tests/fuzz/fuzz_targets.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <typeinfo>

#include <torch/torch.h>

#include "core/options.h"
#include "core/special_tokens.h"
#include "data/monolingual_text.h"
#include "data/text_files.h"
#include "data/word_alignment.h"
#include "tokenizers/tokenizer_registry.h"
#include "tokenizers/vocabulary_tokenizer.h"
#include "training/checkpoint.h"
#include "training/experiment.h"

namespace attnlab::fuzz {

namespace fs = std::filesystem;

namespace {

/// Where inputs become files: one directory per process, under /dev/shm when there is one
/// (a fuzzer writes a file per execution), removed at exit.
class Scratch {
 public:
  Scratch() {
    const std::string base = fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path().string();
    std::string pattern = base + "/attnlab-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot make a scratch directory in " + base);
    directory_ = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
  /// `name` in the scratch directory holding `bytes` (a subdirectory "d/f" is made on the way).
  std::string write(const std::string& name, const std::string& bytes) const {
    const fs::path path = fs::path(directory_) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path.string();
  }
  std::string path(const std::string& name) const { return (fs::path(directory_) / name).string(); }
  /// Empties the scratch directory (a target's files of the previous input must not linger).
  void clear() const {
    for (const auto& entry : fs::directory_iterator(directory_)) fs::remove_all(entry.path());
  }

 private:
  std::string directory_;
};

const Scratch& scratch() {
  static const Scratch instance;
  return instance;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void require(bool condition, const std::string& what) {
  if (!condition) throw FuzzFinding(what);
}

/// A documented error's message must be one line without control characters, name one of
/// `files` and carry no library's tag that the input did not hold.
void check_message(const std::string& message, const std::vector<std::string>& files, const std::string& input) {
  require(std::none_of(message.begin(), message.end(), [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f; }),
          "an error with control characters (several lines?): " + message);
  require(std::any_of(files.begin(), files.end(), [&](const std::string& f) { return message.find(f) != std::string::npos; }),
          "an error that does not name " + files.front() + ": " + message);
  require(message.find("[json.exception") == std::string::npos || input.find("[json.exception") != std::string::npos,
          "a raw nlohmann message: " + message);
}

/// Runs `read` on `input` (written to `files`), letting through only `Documented` with a message
/// that check_message accepts.
template <class Documented, class Read>
void expect_clean(const std::vector<std::string>& files, const std::string& input, Read read) {
  try {
    read();
  } catch (const FuzzFinding&) {
    throw;
  } catch (const Documented& e) {
    check_message(e.what(), files, input);
  } catch (const std::exception& e) {
    throw FuzzFinding(std::string("undocumented exception ") + typeid(e).name() + ": " + e.what());
  }
}

/// The bytes before and after the first ASCII record separator (0x1e): two files in one input.
std::pair<std::string, std::string> split_in_two(const std::string& bytes) {
  const auto at = bytes.find('\x1e');
  if (at == std::string::npos) return {bytes, ""};
  return {bytes.substr(0, at), bytes.substr(at + 1)};
}

// ---- experiment files -------------------------------------------------------------------------

void run_experiment(const std::string& bytes) {
  scratch().clear();
  const std::string path = scratch().write("experiment.json", bytes);
  expect_clean<ExperimentError>({path}, bytes, [&] {
    const Experiment experiment = load_experiment(path);
    require(!experiment.variants.empty(), "an experiment of no variants was accepted");
    for (const auto& v : experiment.variants) require(v.resolved.is_object(), "variant " + v.name + " resolved to a non-object");
  });
}

std::vector<std::string> experiment_seeds() {
  return {R"({"data": {"type": "reverse", "symbols": 4, "train_lengths": [2, 5], "test_lengths": [2, 8]},
 "model": {"type": "rnn_seq2seq", "embedding": 8, "hidden": 16, "attention": "none"},
 "train": {"optimizer": {"type": "adam", "lr": 0.01}, "batch_size": 16, "max_steps": 40},
 "seeds": [1, 2], "threads": 1,
 "variants": {"none": {}, "bahdanau": {"model": {"attention": {"type": "bahdanau", "hidden": 8}}}}})",
          R"({"data": {"type": "reverse"}, "model": {"type": "transformer", "d_model": 16, "heads": 2},
 "variants": {"a": {"model": {"layers": 1}}, "b": null}})",
          "{\"data\": 1e400}", "{\"a\": {\"a\": [[[[1]]]]}, \"a\": 2}", ""};
}

// ---- data files -------------------------------------------------------------------------------

void run_parallel_tsv(const std::string& bytes) {
  const std::string path = scratch().write("pairs.tsv", bytes);
  expect_clean<DataFileError>({path}, bytes, [&] {
    for (const auto& pair : read_parallel_tsv(path))
      require(pair.source.find('\t') == std::string::npos && pair.target.find('\t') == std::string::npos,
              "a pair kept a tab");
  });
}

std::vector<std::string> parallel_tsv_seeds() {
  return {"En el principio\tIn the beginning\nY dijo Dios\tAnd God said\r\n", "a\tb\tc\n", "only one column\n",
          "\xc3\x28\tinvalid UTF-8\n", "\n\n"};
}

void run_parallel_files(const std::string& bytes) {
  const auto [source, target] = split_in_two(bytes);
  const std::string source_path = scratch().write("source.txt", source);
  const std::string target_path = scratch().write("target.txt", target);
  expect_clean<DataFileError>({source_path, target_path}, bytes, [&] {
    require(!read_parallel_files(source_path, target_path).empty(), "no pairs from files that were accepted");
  });
}

std::vector<std::string> parallel_files_seeds() {
  return {"En el principio\nY dijo Dios\n\x1eIn the beginning\nAnd God said\n", "one\ntwo\n\x1eone\n",
          "no separator\n"};
}

void run_labelled_tsv(const std::string& bytes) {
  const std::string path = scratch().write("labelled.tsv", bytes);
  expect_clean<DataFileError>({path}, bytes, [&] {
    for (const auto& document : read_labelled_tsv(path, "|||")) {
      require(!document.label.empty(), "a document without a label was accepted");
      for (const auto& sentence : document.sentences) require(!sentence.empty(), "an empty sentence was kept");
    }
  });
}

std::vector<std::string> labelled_tsv_seeds() {
  return {"art\tA fortune. ||| Its second sentence.\nwisdom\tOnly one.\n", "\tno label\n", "label\t ||| \n",
          "x\ty\tz\n"};
}

/// Monolingual text, then what the masked LM makes of it: a word vocabulary and packed sequences.
void run_monolingual(const std::string& bytes) {
  const std::string path = scratch().write("text.txt", bytes);
  std::vector<std::string> lines;
  expect_clean<DataFileError>({path}, bytes, [&] { lines = read_text_lines(path); });
  if (lines.empty()) return;
  WordTokenizer tokenizer;
  tokenizer.build(lines, VocabularyOptions().min_count(1).max_size(64));
  std::vector<std::vector<int64_t>> ids, words;
  for (const auto& line : lines) {
    ids.push_back(tokenizer.encode(line));
    words.push_back(tokenizer.word_of_piece(line));
    require(ids.back().size() == words.back().size(), "word_of_piece and encode disagree in length on: " + line);
  }
  for (const bool pairs : {false, true}) {
    for (const auto& sequence : pack_lines(ids, words, 8, pairs)) {
      const size_t n = sequence.ids.size();
      require(n >= 2 && n <= 8, "a packed sequence of " + std::to_string(n) + " tokens (max 8)");
      require(sequence.segments.size() == n && sequence.word_start.size() == n, "packed fields of unequal lengths");
      require(sequence.ids.front() == kCls && sequence.ids.back() == kSep, "a sequence not framed by [CLS] … [SEP]");
      for (int64_t id : sequence.ids)
        require(id >= 0 && id < tokenizer.vocab_size(), "id " + std::to_string(id) + " outside the vocabulary");
    }
  }
}

std::vector<std::string> monolingual_seeds() {
  return {"In the beginning God created the heavens and the earth.\n\nAnd the earth was without form, and void;\n",
          "¿Qué? ¡Sí! «Dios» …\r\n", "[MASK] [CLS]\n", "   \n"};
}

void run_alignments(const std::string& bytes) {
  const std::string path = scratch().write("alignments.txt", bytes);
  size_t lines = static_cast<size_t>(std::count(bytes.begin(), bytes.end(), '\n'));
  if (!bytes.empty() && bytes.back() != '\n') ++lines;
  expect_clean<DataFileError>({path}, bytes, [&] {
    const auto alignments = read_alignments(path, lines);
    require(alignments.size() == lines, "read " + std::to_string(alignments.size()) + " alignments of " +
                                            std::to_string(lines) + " lines");
    for (const auto& links : alignments) {
      for (const auto& [i, j] : links) require(i >= 0 && j >= 0, "a negative word index was accepted");
      require(parse_pharaoh(to_pharaoh(links)) == links, "Pharaoh text does not read back: " + to_pharaoh(links));
    }
  });
}

std::vector<std::string> alignments_seeds() { return {"0-0 1-2 2-1\n\n3-3\n", "0-0 1-x\n", "-1-2\n", "0-0"}; }

// ---- tokenizer files --------------------------------------------------------------------------

/// tokenizer.json, then (after a 0x1e byte, if any) tokenizer.model.
void run_tokenizer(const std::string& bytes) {
  scratch().clear();
  const auto [json_text, model] = split_in_two(bytes);
  const std::string directory = scratch().path("tokenizer");
  scratch().write("tokenizer/tokenizer.json", json_text);
  if (!model.empty()) scratch().write("tokenizer/tokenizer.model", model);
  expect_clean<std::runtime_error>({directory}, bytes, [&] {
    const auto tokenizer = load_tokenizer(directory);
    const int64_t size = tokenizer->vocab_size();
    require(size >= kNumSpecialTokens, "a vocabulary of " + std::to_string(size) + " pieces was accepted");
    for (int64_t id = 0; id < std::min<int64_t>(size, 4096); ++id)
      require(tokenizer->piece_id(tokenizer->piece(id)) == id,
              "piece " + std::to_string(id) + " (\"" + tokenizer->piece(id) + "\") reads back as another id");
    const std::string text = "In the beginning [MASK] créó 3 1 «Dios», 神.";
    const auto ids = tokenizer->encode(text);
    for (int64_t id : ids) require(id >= 0 && id < size, "encode gave id " + std::to_string(id) + " outside the vocabulary");
    require(tokenizer->word_of_piece(text).size() == ids.size(), "word_of_piece and encode disagree in length");
    tokenizer->decode(ids);
  });
}

std::vector<std::string> tokenizer_seeds() {
  std::vector<std::string> seeds;
  const std::vector<std::string> texts = {"In the beginning God created", "the heaven and the earth.", "créó «Dios»"};
  for (const char* type : {"word", "char"}) {
    const json spec = tokenizer_registry().resolve(json{{"type", type}}, "");
    const auto tokenizer = tokenizer_registry().create(spec, texts);
    scratch().clear();
    fs::create_directories(scratch().path("saved"));
    save_tokenizer(*tokenizer, spec, scratch().path("saved"));
    seeds.push_back(read_bytes(scratch().path("saved/tokenizer.json")));
  }
  seeds.push_back(R"({"spec": {"type": "symbols", "symbols": 5}, "kind": "symbols", "vocab_size": 12})");
  {  // a real SentencePiece model: tokenizer.json, 0x1e, tokenizer.model
    std::vector<std::string> verses;
    for (int i = 0; i < 40; ++i) verses.push_back(texts[i % 3] + " " + std::to_string(i) + " and the waters");
    const json spec = tokenizer_registry().resolve(json{{"type", "sentencepiece"}, {"vocab_size", 48}}, "");
    const auto tokenizer = tokenizer_registry().create(spec, verses);
    scratch().clear();
    fs::create_directories(scratch().path("saved"));
    save_tokenizer(*tokenizer, spec, scratch().path("saved"));
    seeds.push_back(read_bytes(scratch().path("saved/tokenizer.json")) + "\x1e" +
                    read_bytes(scratch().path("saved/tokenizer.model")));
  }
  return seeds;
}

// ---- checkpoints ------------------------------------------------------------------------------

/// What a checkpoint is loaded into: a linear layer and a buffer, with Adam's state.
struct TinyModelImpl : torch::nn::Module {
  TinyModelImpl() {
    linear = register_module("linear", torch::nn::Linear(3, 2));
    register_buffer("counts", torch::zeros({2}, torch::kLong));
  }
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(TinyModel);

void run_checkpoint(const std::string& bytes) {
  const std::string path = scratch().write("latest.pt", bytes);
  TinyModel model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.01));
  TrainerState state;
  expect_clean<CheckpointError>({path}, bytes, [&] {
    load_checkpoint(path, *model, &optimizer, &state, "0123456789abcdef");
    require(model->linear->weight.sizes() == torch::IntArrayRef({2, 3}) && model->linear->bias.sizes() == torch::IntArrayRef({2}),
            "a checkpoint changed the model's shapes");
    require(state.rng_state.defined() && state.rng_state.scalar_type() == torch::kByte,
            "a trainer state without a generator state was accepted");
  });
}

std::vector<std::string> checkpoint_seeds() {
  torch::manual_seed(1);
  TinyModel model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.01));
  model->linear(torch::ones({4, 3})).sum().backward();
  optimizer.step();
  TrainerState state;
  state.step = 1;
  state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  std::vector<std::string> seeds;
  scratch().clear();
  save_checkpoint(scratch().path("full.pt"), *model, &optimizer, &state, "0123456789abcdef");
  seeds.push_back(read_bytes(scratch().path("full.pt")));
  save_checkpoint(scratch().path("model.pt"), *model, nullptr, nullptr);
  seeds.push_back(read_bytes(scratch().path("model.pt")));
  // A checkpoint from before manifests: the payload archive alone.
  torch::serialize::OutputArchive legacy, weights;
  model->save(weights);
  legacy.write("model", weights);
  std::ostringstream buffer;
  legacy.save_to(buffer);
  seeds.push_back(buffer.str());
  return seeds;
}

}  // namespace

const std::vector<FuzzTarget>& fuzz_targets() {
  static const std::vector<FuzzTarget> targets = {
      {"experiment", "an experiment file (JSON), loaded and resolved", run_experiment, experiment_seeds},
      {"parallel_tsv", "parallel text, TSV source<TAB>target", run_parallel_tsv, parallel_tsv_seeds},
      {"parallel_files", "two line-aligned files, split at the first 0x1e byte", run_parallel_files,
       parallel_files_seeds},
      {"labelled_tsv", "labelled documents, TSV label<TAB>text with ||| between sentences", run_labelled_tsv,
       labelled_tsv_seeds},
      {"monolingual", "monolingual text, then a word vocabulary and packed MLM sequences", run_monolingual,
       monolingual_seeds},
      {"alignments", "Pharaoh word alignments, one line per pair", run_alignments, alignments_seeds},
      {"tokenizer", "a saved tokenizer: tokenizer.json, then tokenizer.model after a 0x1e byte", run_tokenizer,
       tokenizer_seeds},
      {"checkpoint", "a checkpoint file, loaded into a small model with its optimizer and trainer state",
       run_checkpoint, checkpoint_seeds},
  };
  return targets;
}

const FuzzTarget& fuzz_target(const std::string& name) {
  std::string known;
  for (const auto& target : fuzz_targets()) {
    if (target.name == name) return target;
    known += (known.empty() ? "" : ", ") + target.name;
  }
  throw std::invalid_argument("no fuzz target \"" + name + "\"; known: " + known);
}

}  // namespace attnlab::fuzz
