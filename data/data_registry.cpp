#include "data/data_registry.h"

#include "data/key_sentence.h"
#include "data/synthetic.h"

namespace attnlab {

namespace {
DataRegistry::Entry synthetic_entry(const char* name, const char* description, SyntheticKind kind) {
  return options_entry<std::shared_ptr<Dataset>>(
      name, description, SyntheticOptions{},
      [kind](const SyntheticOptions& o) -> std::shared_ptr<Dataset> { return make_synthetic_data(kind, o); });
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
                  options_entry<std::shared_ptr<Dataset>>(
                      "key_sentence",
                      "synthetic documents: the class is the marker in the one sentence that holds the key "
                      "symbol, among distractor sentences with other markers",
                      KeySentenceOptions{},
                      [](const KeySentenceOptions& o) -> std::shared_ptr<Dataset> { return make_key_sentence_data(o); }),
              });
  return registry;
}

}  // namespace attnlab
