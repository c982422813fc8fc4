#include "tokenizers/sentencepiece_tokenizer.h"

#include "tokenizers/binary_file.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace attnlab {

namespace fs = std::filesystem;

namespace {

constexpr const char* kWordStart = "\xe2\x96\x81";  // U+2581, SentencePiece's word-start mark

/// A file in the temp directory, removed when this goes away.
class TemporaryFile {
 public:
  TemporaryFile() {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/attnlab-sentencepiece-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error(pattern + ": cannot create a temporary file");
    ::close(fd);
    path_ = pattern;
  }
  ~TemporaryFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// One line of text for the helper: line breaks inside become spaces.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

}  // namespace

std::string sentencepiece_service_path() {
  std::error_code error;
  const fs::path beside = fs::read_symlink("/proc/self/exe", error).parent_path() / "attnlab-sentencepiece";
  if (!error && fs::exists(beside)) return beside.string();
  return ATTNLAB_SENTENCEPIECE_SERVICE;
}

SentencePieceTokenizer::SentencePieceTokenizer(std::string model, const std::string& origin)
    : model_(std::move(model)), origin_(origin) {
  {
    TemporaryFile file;  // the helper reads the model once, at its start
    write_binary_file(file.path(), model_);
    service_ = std::make_unique<LineProcess>(std::vector<std::string>{sentencepiece_service_path(), "serve", file.path()});
    const std::string header = read_answer();
    const std::string size = header.substr(std::min<size_t>(3, header.size()));
    if (header.rfind("ok ", 0) != 0 || size.empty() || size.size() > 9 || size.find_first_not_of("0123456789") != std::string::npos)
      throw std::runtime_error(origin + ": " + (header.rfind("! ", 0) == 0 ? header.substr(2) : header));
    for (int64_t id = 0; id < std::stoll(size); ++id) pieces_.push_back(read_answer());
  }
  for (int64_t id = 0; id < kNumSpecialTokens; ++id)
    if (static_cast<int64_t>(pieces_.size()) <= id || pieces_[static_cast<size_t>(id)] != kSpecialTokenNames[id])
      throw std::runtime_error(origin + ": not an attnlab SentencePiece model: id " + std::to_string(id) + " is not " +
                               kSpecialTokenNames[id]);
  for (size_t id = 0; id < pieces_.size(); ++id) ids_.emplace(pieces_[id], static_cast<int64_t>(id));
}

std::shared_ptr<SentencePieceTokenizer> SentencePieceTokenizer::train(const std::vector<std::string>& sentences,
                                                                      const SentencePieceOptions& o) {
  if (sentences.empty()) throw std::runtime_error("sentencepiece: no training text");
  // The special tokens at attnlab's fixed ids (core/special_tokens.h).
  static_assert(kPad == 0 && kUnk == 1 && kBos == 2 && kEos == 3 && kCls == 4 && kSep == 5 && kMask == 6);
  const std::string args =
      "--model_type=" + o.model_type() + " --vocab_size=" + std::to_string(o.vocab_size()) +
      " --character_coverage=" + std::to_string(o.character_coverage()) +
      " --input_sentence_size=" + std::to_string(o.max_sentences()) +
      " --shuffle_input_sentence=true --num_threads=1 --minloglevel=1"
      " --pad_id=0 --unk_id=1 --bos_id=2 --eos_id=3"
      " --pad_piece=[PAD] --unk_piece=[UNK] --bos_piece=[BOS] --eos_piece=[EOS]"
      " --user_defined_symbols=[CLS],[SEP],[MASK]";
  TemporaryFile model;
  LineProcess trainer({sentencepiece_service_path(), "train", model.path(), std::to_string(o.seed()), args});
  for (const auto& sentence : sentences) trainer.write_line(one_line(sentence));
  if (trainer.finish() != 0) throw std::runtime_error("sentencepiece: training failed (its message is above)");
  return std::shared_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(read_binary_file(model.path()), "sentencepiece"));
}

std::shared_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& model_path) {
  return std::shared_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(read_binary_file(model_path), model_path));
}

std::string SentencePieceTokenizer::read_answer() const {
  try {
    return service_->read_line();
  } catch (const std::runtime_error& e) {  // the helper died: name the model it serves
    throw std::runtime_error(origin_ + ": " + e.what());
  }
}

std::string SentencePieceTokenizer::ask(const std::string& request) const {
  try {
    service_->write_line(request);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(origin_ + ": " + e.what());
  }
  std::string answer = read_answer();
  if (answer.rfind("! ", 0) == 0) throw std::runtime_error("sentencepiece: " + answer.substr(2));
  return answer;
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const {
  std::istringstream answer(ask("e " + one_line(text)));
  std::vector<int64_t> ids;
  for (int64_t id; answer >> id;) ids.push_back(id);
  return ids;
}

std::vector<std::string> SentencePieceTokenizer::encode_pieces(const std::string& text) const {
  std::vector<std::string> pieces;
  for (int64_t id : encode(text)) pieces.push_back(piece(id));
  return pieces;
}

std::vector<int64_t> SentencePieceTokenizer::word_of_piece(const std::string& text) const {
  // A piece starting with ▁ starts the next whitespace-separated word (the normalizer folds
  // runs of whitespace, so words and ▁ marks correspond).
  std::vector<int64_t> words;
  int64_t word = -1;
  for (const auto& p : encode_pieces(text)) {
    if (p.rfind(kWordStart, 0) == 0) ++word;
    words.push_back(std::max<int64_t>(word, 0));
  }
  return words;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string request = "d";
  for (int64_t id : ids)
    if (id >= kNumSpecialTokens && id < vocab_size()) request += " " + std::to_string(id);
  if (request == "d") return "";
  return ask(request);
}

std::string SentencePieceTokenizer::piece(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return kSpecialTokenNames[kUnk];
  return pieces_[static_cast<size_t>(id)];
}

int64_t SentencePieceTokenizer::piece_id(const std::string& piece) const {
  auto found = ids_.find(piece);
  return found == ids_.end() ? kUnk : found->second;
}

int64_t SentencePieceTokenizer::vocab_size() const { return static_cast<int64_t>(pieces_.size()); }

}  // namespace attnlab
