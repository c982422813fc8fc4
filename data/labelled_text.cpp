#include "data/labelled_text.h"

#include <algorithm>
#include <set>

#include "core/special_tokens.h"
#include "data/text_files.h"

namespace attnlab {

std::shared_ptr<DocumentData> make_labelled_text_data(const LabelledTextOptions& o, const DataContext& context) {
  // Every file is read (and checked) before a tokenizer is trained or stored.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"train", o.files().train}, {"valid", o.files().valid}, {"test", o.files().test}};
  std::map<std::string, std::vector<LabelledText>> texts;
  for (const auto& [split, path] : files) texts[split] = read_labelled_tsv(path, o.sentence_separator());

  auto data = std::make_shared<DocumentData>();
  std::set<std::string> labels;
  for (const auto& document : texts["train"]) labels.insert(document.label);
  data->labels.assign(labels.begin(), labels.end());
  for (const auto& [split, path] : files) {
    const auto& documents = texts[split];
    for (size_t i = 0; i < documents.size(); ++i)
      if (!labels.count(documents[i].label))
        throw DataFileError(path, i + 1, "label \"" + documents[i].label + "\" is not in the training file " + o.files().train);
  }

  auto training_texts = [&] {
    std::vector<std::string> sentences;
    for (const auto& document : texts["train"])
      sentences.insert(sentences.end(), document.sentences.begin(), document.sentences.end());
    return sentences;
  };
  data->tokenizer =
      obtain_tokenizer(o.tokenizer(), tokenizer_key(write_options(o), {o.files().train}), training_texts, context);
  for (const auto& [split, path] : files) {
    auto& documents = data->splits[split];
    for (const auto& text : texts[split]) {
      Document document;
      document.label = std::lower_bound(data->labels.begin(), data->labels.end(), text.label) - data->labels.begin();
      for (const auto& sentence : text.sentences) {
        if (static_cast<int64_t>(document.sentences.size()) >= o.max_sentences()) break;
        auto ids = data->tokenizer->encode(sentence);
        if (ids.empty()) continue;
        if (static_cast<int64_t>(ids.size()) > o.max_sentence_length()) ids.resize(o.max_sentence_length());
        document.sentences.push_back(std::move(ids));
      }
      if (document.sentences.empty()) document.sentences.push_back({kUnk});  // nothing the tokenizer keeps
      documents.push_back(std::move(document));
    }
  }
  return data;
}

}  // namespace attnlab
