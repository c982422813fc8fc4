// The tokenizer family: fixed special ids, round trips, word mapping, saving with a run, and
// agreement with Debian's spm_encode on a model trained here.

#include <algorithm>
#include <cstdlib>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tokenizers/sentencepiece_tokenizer.h"
#include "tokenizers/tokenizer_registry.h"
#include "tokenizers/vocabulary_tokenizer.h"

namespace attnlab {
namespace {

using test_util::read_text;
using test_util::TempDir;
using test_util::write_text;

/// 400 sentences of 3-12 words drawn from a small Spanish word list (deterministic).
std::vector<std::string> spanish_like_sentences() {
  const std::vector<std::string> words = {
      "en", "el", "principio", "creó", "Dios", "los", "cielos", "y", "la", "tierra", "estaba", "desordenada",
      "vacía", "tinieblas", "sobre", "faz", "del", "abismo", "espíritu", "se", "movía", "las", "aguas", "dijo",
      "sea", "luz", "fue", "vió", "que", "era", "buena", "apartó", "de", "llamó", "día", "noche"};
  std::mt19937 random(7);
  std::vector<std::string> sentences;
  for (int s = 0; s < 400; ++s) {
    std::string sentence;
    const int n = 3 + static_cast<int>(random() % 10);
    for (int w = 0; w < n; ++w) sentence += (w ? " " : "") + words[random() % words.size()];
    sentences.push_back(sentence + (s % 3 == 0 ? "." : ","));
  }
  return sentences;
}

std::shared_ptr<Tokenizer> make(const json& spec, const std::vector<std::string>& texts) {
  return tokenizer_registry().create(tokenizer_registry().resolve(spec, ""), texts);
}

TEST(Tokenizers, EveryTypeHasTheSpecialTokensAtTheirFixedIds) {
  const auto texts = spanish_like_sentences();
  for (const json spec : {json("symbols"), json{{"type", "sentencepiece"}, {"vocab_size", 60}}, json("word"),
                          json("char"), json{{"type", "sentencepiece"}, {"model_type", "bpe"}, {"vocab_size", 60}}}) {
    auto tokenizer = make(spec, texts);
    for (int64_t id = 0; id < kNumSpecialTokens; ++id) EXPECT_EQ(tokenizer->piece(id), kSpecialTokenNames[id]) << spec;
  }
  auto sentencepiece = make(json{{"type", "sentencepiece"}, {"vocab_size", 60}}, texts);
  const auto ids = sentencepiece->encode("Dios [MASK] luz");
  EXPECT_NE(std::find(ids.begin(), ids.end(), kMask), ids.end());  // [MASK] in text is the mask token
}

TEST(Tokenizers, SentencePieceRoundTripsNormalisedText) {
  const auto texts = spanish_like_sentences();
  for (const char* type : {"unigram", "bpe"}) {
    auto tokenizer = make(json{{"type", "sentencepiece"}, {"model_type", type}, {"vocab_size", 60}}, texts);
    EXPECT_EQ(tokenizer->vocab_size(), 60) << type;
    for (const std::string text : {texts[0], texts[1], std::string("la luz creó el abismo."), std::string("vacía")})
      EXPECT_EQ(tokenizer->decode(tokenizer->encode(text)), text) << type;
    // Words and pieces: every piece of "la luz" maps back to its word.
    const auto words = tokenizer->word_of_piece("faz del abismo");
    ASSERT_EQ(words.size(), tokenizer->encode("faz del abismo").size());
    EXPECT_EQ(words.front(), 0);
    EXPECT_EQ(words.back(), 2);
    EXPECT_TRUE(std::is_sorted(words.begin(), words.end()));
  }
}

TEST(Tokenizers, SentencePieceAgreesWithSpmEncode) {
  TempDir dir;
  const auto texts = spanish_like_sentences();
  const json spec = tokenizer_registry().resolve(json{{"type", "sentencepiece"}, {"vocab_size", 60}}, "");
  auto tokenizer = tokenizer_registry().create(spec, texts);
  save_tokenizer(*tokenizer, spec, dir.path().string());
  std::string input;
  for (int i = 0; i < 20; ++i) input += texts[static_cast<size_t>(i)] + "\n";
  input += "Dios vió la luz de noche\n";
  write_text(dir.file("input.txt"), input);
  for (const std::string format : {"piece", "id"}) {
    const std::string out = dir.file(format + ".txt");
    const std::string command = "spm_encode --model=" + dir.file("tokenizer.model") + " --output_format=" + format +
                                " < " + dir.file("input.txt") + " > " + out;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::istringstream expected_lines(read_text(out)), input_lines(input);
    std::string expected, line;
    while (std::getline(input_lines, line) && std::getline(expected_lines, expected)) {
      std::string ours;
      if (format == "piece") {
        for (const auto& p : tokenizer->encode_pieces(line)) ours += (ours.empty() ? "" : " ") + p;
      } else {
        for (int64_t id : tokenizer->encode(line)) ours += (ours.empty() ? "" : " ") + std::to_string(id);
      }
      EXPECT_EQ(ours, expected) << line;
    }
  }
}

TEST(Tokenizers, WordSplitsPunctuationAndKnowsEachPiecesWord) {
  auto tokenizer = make(json{{"type", "word"}, {"min_count", 1}}, {"Dios, y la tierra.", "la luz"});
  EXPECT_EQ(tokenizer->encode_pieces("Dios, y la tierra."),
            (std::vector<std::string>{"Dios", "##,", "y", "la", "tierra", "##."}));
  EXPECT_EQ(tokenizer->word_of_piece("  Dios, y  ¿la tierra?"), (std::vector<int64_t>{0, 0, 1, 2, 2, 3, 3}));
  // "la" (twice) first, then the rest by count and byte order.
  EXPECT_EQ(tokenizer->piece(kNumSpecialTokens), "la");
  EXPECT_EQ(tokenizer->encode("la Dios mar"), (std::vector<int64_t>{kNumSpecialTokens, tokenizer->encode("Dios")[0], kUnk}));
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("Dios, y la tierra.")), "Dios, y la tierra.");
  EXPECT_EQ(make("word", {"¿la , tierra?"})->encode_pieces("¿la , tierra?"),
            (std::vector<std::string>{"¿", "##la", ",", "tierra", "##?"}));
  EXPECT_EQ(tokenizer->encode_pieces("la mar"), (std::vector<std::string>{"la", "[UNK]"}));  // as encode() sees them
  auto limited = make(json{{"type", "word"}, {"min_count", 2}}, {"Dios, y la tierra.", "la luz"});
  EXPECT_EQ(limited->vocab_size(), kNumSpecialTokens + 1);  // only "la" is seen twice
  auto capped = make(json{{"type", "word"}, {"max_size", 3}}, {"Dios, y la tierra.", "la luz"});
  EXPECT_EQ(capped->vocab_size(), kNumSpecialTokens + 3);
}

TEST(Tokenizers, CharKeepsOneSpaceBetweenWords) {
  auto tokenizer = make("char", {"ab c", "día"});
  EXPECT_EQ(tokenizer->encode_pieces(" ab   c "), (std::vector<std::string>{"a", "b", " ", "c"}));
  EXPECT_EQ(tokenizer->word_of_piece("ab c"), (std::vector<int64_t>{0, 0, -1, 1}));
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("día ab")), "día ab");
  EXPECT_EQ(tokenizer->encode("x")[0], kUnk);
}

TEST(Tokenizers, SavedTokenizersLoadAndEncodeTheSame) {
  const auto texts = spanish_like_sentences();
  for (const json& spec : {json("symbols"), json{{"type", "sentencepiece"}, {"vocab_size", 60}}, json("word"),
                           json("char")}) {
    TempDir dir;
    const json resolved = tokenizer_registry().resolve(spec, "");
    auto tokenizer = tokenizer_registry().create(resolved, texts);
    save_tokenizer(*tokenizer, resolved, dir.path().string());
    auto loaded = load_tokenizer(dir.path().string());
    EXPECT_EQ(saved_tokenizer_spec(dir.path().string()), resolved);
    EXPECT_EQ(loaded->vocab_size(), tokenizer->vocab_size()) << spec;
    for (const auto& text : {texts[3], std::string("3 1 4")}) EXPECT_EQ(loaded->encode(text), tokenizer->encode(text)) << spec;
  }
  TempDir broken;
  write_text(broken.file("tokenizer.json"), "{\"spec\": ");
  try {
    load_tokenizer(broken.path().string());
    FAIL() << "a truncated tokenizer.json loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(broken.file("tokenizer.json")), std::string::npos) << e.what();
  }
}

/// load_tokenizer's error for a tokenizer.json of `text`, or "" when it loads.
std::string load_error(const std::string& text) {
  TempDir dir;
  write_text(dir.file("tokenizer.json"), text);
  try {
    load_tokenizer(dir.path().string());
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    return message.substr(message.find("tokenizer.json: ") + 16);  // without the temporary path
  }
  return "";
}

TEST(Tokenizers, SavedFilesThatWouldNotReadBackAreRefusedNamingTheEntry) {
  // Found by tools/fuzz.sh tokenizer (tests/fuzz/regressions/tokenizer).
  const std::string word = R"({"spec": {"type": "word"}, "kind": "word", "vocab_size": 9, "vocabulary": )";
  EXPECT_EQ(load_error(word + R"(["a", "b"]})"), "");
  EXPECT_EQ(load_error(word + R"(["a", "a"]})"), "/vocabulary/1: \"a\" is there twice (or is a special token's name)");
  EXPECT_EQ(load_error(word + R"(["[MASK]", "b"]})"),
            "/vocabulary/0: \"[MASK]\" is there twice (or is a special token's name)");
  EXPECT_EQ(load_error(word + R"(["a", ""]})"), "/vocabulary/1: \"\" is empty");
  EXPECT_EQ(load_error(R"({"spec": {"type": "word"}, "kind": "word", "vocabulary": []})"), "key 'vocab_size' not found");
  EXPECT_EQ(load_error(R"({"spec": {"type": "sentencepiece"}, "kind": "symbol\ns", "vocab_size": 9})"),
            "unknown tokenizer kind \"symbol\\ns\" (a \"symbols\" spec: kind symbols); known: sentencepiece, word, "
            "char, symbols");
}

}  // namespace
}  // namespace attnlab
