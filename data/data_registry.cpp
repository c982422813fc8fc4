#include "data/data_registry.h"

#include "data/key_sentence.h"
#include "data/labelled_text.h"
#include "data/monolingual_text.h"
#include "data/parallel_text.h"
#include "data/synthetic.h"

namespace attnlab {

namespace {
DataRegistry::Entry synthetic_entry(const char* name, const char* description, SyntheticKind kind) {
  return options_entry<std::shared_ptr<Dataset>, const DataContext&>(
      name, description, SyntheticOptions{}, [kind](const SyntheticOptions& o, const DataContext&) -> std::shared_ptr<Dataset> {
        return make_synthetic_data(kind, o);
      });
}
}  // namespace

const DataRegistry& data_registry() {
  static const DataRegistry registry(
      "data", {
                  synthetic_entry("copy", "synthetic: output the input symbols unchanged", SyntheticKind::kCopy),
                  synthetic_entry("reverse", "synthetic: output the input symbols in reverse order",
                                  SyntheticKind::kReverse),
                  synthetic_entry("sort", "synthetic: output the input symbols sorted (stable)",
                                  SyntheticKind::kSort),
                  options_entry<std::shared_ptr<Dataset>, const DataContext&>(
                      "parallel_text",
                      "translation pairs from TSV files (source<TAB>target), a shared tokenizer trained on the "
                      "training pairs, optional gold word alignments",
                      ParallelTextOptions{},
                      [](const ParallelTextOptions& o, const DataContext& context) -> std::shared_ptr<Dataset> {
                        return make_parallel_text_data(o, context);
                      }),
                  options_entry<std::shared_ptr<Dataset>, const DataContext&>(
                      "labelled_text",
                      "documents for classification from TSV files (label<TAB>text, sentences split by a "
                      "separator), a tokenizer trained on the training documents",
                      LabelledTextOptions{},
                      [](const LabelledTextOptions& o, const DataContext& context) -> std::shared_ptr<Dataset> {
                        return make_labelled_text_data(o, context);
                      }),
                  options_entry<std::shared_ptr<Dataset>, const DataContext&>(
                      "monolingual_text",
                      "one segment per line from train/valid/test files, packed into [CLS] … [SEP] sequences "
                      "(masked LM), a tokenizer trained on the training lines",
                      MonolingualTextOptions{},
                      [](const MonolingualTextOptions& o, const DataContext& context) -> std::shared_ptr<Dataset> {
                        return make_monolingual_text_data(o, context);
                      }),
                  options_entry<std::shared_ptr<Dataset>, const DataContext&>(
                      "key_sentence",
                      "synthetic documents: the class is the marker in the one sentence that holds the key "
                      "symbol, among distractor sentences with other markers",
                      KeySentenceOptions{},
                      [](const KeySentenceOptions& o, const DataContext&) -> std::shared_ptr<Dataset> {
                        return make_key_sentence_data(o);
                      }),
              });
  return registry;
}

}  // namespace attnlab
