// attnlab-sentencepiece: the SentencePiece library in a process of its own.
//
// Why a process: Debian's libsentencepiece (0.1.97) carries a private copy of protobuf 3.14
// whose symbols are exported, while LibTorch loads the system's libprotobuf 3.21. In one
// process one copy serves both, and either order fails: with libsentencepiece first,
// protobuf's static initialisation crashes before main(); with libprotobuf first,
// SentencePiece refuses to run ("compiled against version 3.14.0"). This program links
// SentencePiece and nothing of LibTorch, and SentencePieceTokenizer speaks to it by lines.
//
//   attnlab-sentencepiece train MODEL_OUT SEED ARGS   sentences on stdin (a line each); writes
//                                                     the serialized model to MODEL_OUT
//   attnlab-sentencepiece serve MODEL                 prints "ok N" and the N pieces (a line
//                                                     each), then answers, a line per request:
//       e TEXT   -> the ids, space-separated          d IDS -> the text
//     an error answers "! message". It ends at the end of its input; it ignores SIGINT and
//     SIGTERM, which its parent handles (a Ctrl-C reaches the whole process group).

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

class StdinSentences : public sentencepiece::SentenceIterator {
 public:
  StdinSentences() { Next(); }
  bool done() const override { return done_; }
  void Next() override { done_ = !std::getline(std::cin, line_); }
  const std::string& value() const override { return line_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  std::string line_;
  bool done_ = false;
};

/// Holds back what is written to stderr while it lives; released() gives it back. The trainer
/// logs its whole command line at INFO before it reads --minloglevel, so a successful training
/// stays silent and a failed one shows its log.
class HeldStderr {
 public:
  HeldStderr() : held_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    if (held_ && saved_ >= 0) dup2(fileno(held_), STDERR_FILENO);
  }
  ~HeldStderr() { std::string unused = released(); }
  HeldStderr(const HeldStderr&) = delete;
  HeldStderr& operator=(const HeldStderr&) = delete;

  std::string released() {
    std::string text;
    if (saved_ < 0) return text;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
    if (!held_) return text;
    std::rewind(held_);
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, held_)) > 0;) text.append(buffer, n);
    std::fclose(held_);
    held_ = nullptr;
    return text;
  }

 private:
  std::FILE* held_;
  int saved_;
};

int train(const std::string& model_out, const std::string& seed, const std::string& args) {
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned int>(std::stoul(seed)));
  StdinSentences sentences;
  std::string model;
  HeldStderr log;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &sentences, &model);
  const std::string trainer_log = log.released();
  if (!status.ok()) {
    std::cerr << trainer_log << "sentencepiece: training failed: " << status.ToString() << "\n";
    return 1;
  }
  std::ofstream out(model_out, std::ios::binary | std::ios::trunc);
  out << model;
  out.close();
  if (!out) {
    std::cerr << model_out << ": cannot write\n";
    return 1;
  }
  return 0;
}

int serve(const std::string& model_path) {
  sentencepiece::SentencePieceProcessor processor;
  const auto loaded = processor.Load(model_path);
  if (!loaded.ok()) {
    std::cout << "! " << model_path << ": cannot load the SentencePiece model: " << loaded.ToString() << std::endl;
    return 1;
  }
  std::cout << "ok " << processor.GetPieceSize() << "\n";
  for (int id = 0; id < processor.GetPieceSize(); ++id) std::cout << processor.IdToPiece(id) << "\n";
  std::cout.flush();
  for (std::string line; std::getline(std::cin, line);) {
    const std::string request = line.substr(0, 2), body = line.size() > 2 ? line.substr(2) : "";
    if (request == "e ") {
      std::vector<int> ids;
      const auto status = processor.Encode(body, &ids);
      if (!status.ok()) {
        std::cout << "! " << status.ToString() << std::endl;
        continue;
      }
      std::string answer;
      for (int id : ids) answer += (answer.empty() ? "" : " ") + std::to_string(id);
      std::cout << answer << std::endl;
    } else if (request == "d ") {
      std::vector<int> ids;
      std::istringstream items(body);
      for (int id; items >> id;) ids.push_back(id);
      std::string text;
      const auto status = processor.Decode(ids, &text);
      if (!status.ok()) std::cout << "! " << status.ToString() << std::endl;
      else std::cout << text << std::endl;
    } else {
      std::cout << "! unknown request \"" << line << "\"" << std::endl;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "train" && argc == 5) return train(argv[2], argv[3], argv[4]);
  if (mode == "serve" && argc == 3) return serve(argv[2]);
  std::cerr << "usage: attnlab-sentencepiece train MODEL_OUT SEED ARGS | serve MODEL (a helper of attnlab)\n";
  return 2;
}
