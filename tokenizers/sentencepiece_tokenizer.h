#pragma once
// SentencePiece (Kudo & Richardson 2018) through the SentencePiece library: a unigram or BPE
// model trained on raw text, whose ids are attnlab's ids: the special tokens are trained in at
// their fixed ids ([PAD]=0 [UNK]=1 [BOS]=2 [EOS]=3 as SentencePiece's control pieces, [CLS]
// [SEP] [MASK] as user-defined pieces 4-6, so "[MASK]" in text encodes to kMask). A model file
// written by save() is an ordinary SentencePiece model: spm_encode gives the same pieces and ids.
// The library runs in a helper process, attnlab-sentencepiece (see sentencepiece_service.cpp
// for why it cannot share a process with LibTorch); this class holds the vocabulary itself and
// asks the helper to encode and decode, a line per call.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/options.h"
#include "tokenizers/subprocess.h"
#include "tokenizers/tokenizer.h"

namespace attnlab {

struct SentencePieceOptions {
  /// "unigram" or "bpe".
  TORCH_ARG(std::string, model_type) = "unigram";
  /// Pieces in the vocabulary, special tokens included.
  TORCH_ARG(int64_t, vocab_size) = 8000;
  /// Share of characters the model must cover (rarer ones become [UNK]); 1.0 for alphabetic
  /// languages, ~0.9995 for large scripts.
  TORCH_ARG(double, character_coverage) = 1.0;
  /// Sentences sampled from the training text (0: all).
  TORCH_ARG(int64_t, max_sentences) = 1000000;
  /// Seed of that sampling.
  TORCH_ARG(int64_t, seed) = 1;
};

template <class Fields>
void visit_fields(Fields& f, SentencePieceOptions& o) {
  f("model_type", o.model_type(), one_of({"unigram", "bpe"}));
  f("vocab_size", o.vocab_size(), at_least(kNumSpecialTokens + 1));
  f("character_coverage", o.character_coverage(), in_range(0.5, 1.0));
  f("max_sentences", o.max_sentences(), at_least(0));
  f("seed", o.seed(), at_least(0));
}

class SentencePieceTokenizer : public Tokenizer {
 public:
  /// Trains a model on `sentences`; throws std::runtime_error with SentencePiece's message.
  static std::shared_ptr<SentencePieceTokenizer> train(const std::vector<std::string>& sentences,
                                                       const SentencePieceOptions& options);
  /// Loads a model file; throws std::runtime_error naming the file.
  static std::shared_ptr<SentencePieceTokenizer> load(const std::string& model_path);

  ~SentencePieceTokenizer() override = default;
  std::vector<int64_t> encode(const std::string& text) const override;
  std::vector<std::string> encode_pieces(const std::string& text) const override;
  std::vector<int64_t> word_of_piece(const std::string& text) const override;
  /// Special tokens are left out.
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::string piece(int64_t id) const override;
  int64_t piece_id(const std::string& piece) const override;
  int64_t vocab_size() const override;
  /// The serialized model (what a .model file holds).
  const std::string& serialized_model() const { return model_; }

 private:
  /// Starts the helper on the serialized model and reads the vocabulary; `origin` names the
  /// model in errors.
  SentencePieceTokenizer(std::string model, const std::string& origin);
  /// One request to the helper and its answer; throws std::runtime_error on an error answer.
  std::string ask(const std::string& request) const;
  /// The helper's next line; throws std::runtime_error naming the model if the helper stopped.
  std::string read_answer() const;

  std::string model_;
  std::string origin_;  // the model file, or "sentencepiece" for a model trained here
  std::vector<std::string> pieces_;  // by id
  std::unordered_map<std::string, int64_t> ids_;
  std::unique_ptr<LineProcess> service_;
};

/// The helper program: attnlab-sentencepiece beside the running executable, else where the
/// build put it.
std::string sentencepiece_service_path();

}  // namespace attnlab
