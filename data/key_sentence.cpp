#include "data/key_sentence.h"

#include <random>

#include "core/special_tokens.h"
#include "tokenizers/symbol_tokenizer.h"

namespace attnlab {

void validate_options(const KeySentenceOptions& o, const std::string& pointer) {
  for (const char* key : {"sentences", "sentence_length"}) {
    const auto& range = std::string(key) == "sentences" ? o.sentences() : o.sentence_length();
    if (range.size() != 2 || range[0] > range[1])
      throw ConfigError(pointer_join(pointer, key), "must be [min, max] with min <= max");
  }
}

std::shared_ptr<DocumentData> make_key_sentence_data(const KeySentenceOptions& o) {
  validate_options(o, "");
  const int64_t C = o.classes(), key = C;
  auto data = std::make_shared<DocumentData>();
  data->tokenizer = std::make_shared<SymbolTokenizer>(SymbolTokenizerOptions().symbols(C + 1 + o.fillers()));
  for (int64_t c = 0; c < C; ++c) data->labels.push_back("class-" + std::to_string(c));
  auto id = [](int64_t symbol) { return kNumSpecialTokens + symbol; };

  std::mt19937_64 rng(static_cast<uint64_t>(o.seed()));
  auto uniform = [&](int64_t low, int64_t high) { return std::uniform_int_distribution<int64_t>(low, high)(rng); };
  auto sentence = [&](int64_t marker, bool with_key) {
    const int64_t length = uniform(o.sentence_length()[0], o.sentence_length()[1]);
    std::vector<int64_t> words(length);
    for (auto& w : words) w = id(C + 1 + uniform(0, o.fillers() - 1));
    const int64_t marker_at = uniform(0, length - 1);
    words[marker_at] = id(marker);
    if (with_key) {
      int64_t key_at = uniform(0, length - 2);  // any position but the marker's
      if (key_at >= marker_at) ++key_at;
      words[key_at] = id(key);
    }
    return words;
  };
  auto document = [&] {
    Document d;
    const int64_t n = uniform(o.sentences()[0], o.sentences()[1]);
    d.label = uniform(0, C - 1);
    d.key_sentence = uniform(0, n - 1);
    for (int64_t s = 0; s < n; ++s)
      d.sentences.push_back(s == d.key_sentence ? sentence(d.label, true) : sentence(uniform(0, C - 1), false));
    return d;
  };
  for (const auto& [name, size] : {std::pair<std::string, int64_t>{"train", o.train_size()},
                                   {"valid", o.valid_size()}, {"test", o.test_size()}}) {
    auto& split = data->splits[name];
    for (int64_t i = 0; i < size; ++i) split.push_back(document());
  }
  return data;
}

}  // namespace attnlab
