#include "data/data_registry.h"

#include "data/synthetic.h"

namespace attnlab {

namespace {
Seq2SeqDataRegistry::Entry synthetic_entry(const char* name, const char* description, SyntheticKind kind) {
  return options_entry<std::shared_ptr<Seq2SeqData>>(
      name, description, SyntheticOptions{},
      [kind](const SyntheticOptions& o) { return make_synthetic_data(kind, o); });
}
}  // namespace

const Seq2SeqDataRegistry& seq2seq_data_registry() {
  static const Seq2SeqDataRegistry registry(
      "data", {
                  synthetic_entry("copy", "synthetic: output the input symbols unchanged", SyntheticKind::kCopy),
                  synthetic_entry("reverse", "synthetic: output the input symbols in reverse order",
                                  SyntheticKind::kReverse),
                  synthetic_entry("sort", "synthetic: output the input symbols sorted (stable)",
                                  SyntheticKind::kSort),
              });
  return registry;
}

}  // namespace attnlab
