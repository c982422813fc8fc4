#include "models/torchscript_export.h"

#include <cctype>
#include <functional>

#include <torch/csrc/jit/frontend/tracer.h>

#include "core/special_tokens.h"
#include "models/bert.h"
#include "models/classifier.h"
#include "models/seq2seq_model.h"
#include "models/torchscript_decoding.h"

namespace attnlab {

namespace jit = torch::jit;

namespace {

/// A torch::jit::Module holding `model`'s own tensors (same storage) under the same names,
/// child by child. `type_name` is unique per path, so no two module types share a name.
jit::Module mirror(const std::string& type_name, torch::nn::Module& model) {
  jit::Module mirrored(type_name);
  mirrored.register_attribute("training", c10::BoolType::get(), false);
  for (auto& parameter : model.named_parameters(/*recurse=*/false))
    mirrored.register_parameter(parameter.key(), parameter.value(), /*is_buffer=*/false);
  for (auto& buffer : model.named_buffers(/*recurse=*/false)) mirrored.register_buffer(buffer.key(), buffer.value());
  for (auto& child : model.named_children())
    mirrored.register_module(child.key(), mirror(type_name + "_" + child.key(), *child.value()));
  return mirrored;
}

/// Traces `fn` on `inputs` with `module` as self (parameters read as self.<path>, not baked in
/// as constants) and adds the graph to `module` as method `name`.
void add_traced_method(jit::Module& module, const std::string& name, jit::Stack inputs,
                       const std::function<jit::Stack(jit::Stack)>& fn) {
  auto traced = jit::tracer::trace(
      std::move(inputs), fn, [](const torch::autograd::Variable&) { return std::string(); },
      /*strict=*/false, /*force_outplace=*/false, &module);
  auto function = module._ivalue()->compilation_unit()->create_function(
      c10::QualifiedName(*module.type()->name(), name), traced.first->graph);
  module.type()->addMethod(function);
}

std::vector<torch::Tensor> tensors_of(const c10::IValue& list) {
  auto tensors = list.toTensorList();
  return {tensors.begin(), tensors.end()};
}

c10::List<torch::Tensor> list_of(const std::vector<torch::Tensor>& tensors) { return c10::List<torch::Tensor>(tensors); }

/// An empty [B, 0] stand-in for weights a model does not have (a method returns tensors only).
torch::Tensor none_like_rows(const torch::Tensor& rows) { return rows.narrow(1, 0, 0); }

/// Example inputs for the traces; the contract test runs the exports at other sizes.
torch::Tensor example_tokens(int64_t rows, int64_t steps) { return torch::full({rows, steps}, kUnk, torch::kLong); }

ExportedModule export_seq2seq(Seq2SeqModelImpl& model, jit::Module module) {
  auto source = example_tokens(2, 5);
  auto source_lengths = torch::tensor(std::vector<int64_t>{5, 3});
  const auto state = model.start_decoding(source, source_lengths)->tensors();

  add_traced_method(module, "encode", {source, source_lengths}, [&](jit::Stack in) -> jit::Stack {
    return {list_of(model.start_decoding(in[0].toTensor(), in[1].toTensor())->tensors())};
  });
  // decode_step hands out log-probabilities (beam search, and callers that score); greedy takes
  // the argmax of decode_step_logits, as the eager greedy does, without the log-softmax.
  auto step_method = [&](bool log_probs) {
    return [&model, log_probs](jit::Stack in) -> jit::Stack {
      auto decoder_state = model.state_from_tensors(tensors_of(in[1]));
      auto step = model.decode_next(*decoder_state, in[0].toTensor());
      auto scores = log_probs ? torch::log_softmax(step.logits, -1) : step.logits;  // [R, V]
      auto attention = step.attention.defined() ? step.attention : none_like_rows(scores);
      return {c10::ivalue::Tuple::create(scores, attention, list_of(decoder_state->tensors()))};
    };
  };
  const jit::Stack step_inputs{torch::full({2}, kBos, torch::kLong), list_of(state)};
  add_traced_method(module, "decode_step", step_inputs, step_method(true));
  add_traced_method(module, "decode_step_logits", step_inputs, step_method(false));
  add_traced_method(module, "reorder_state", {list_of(state), torch::tensor(std::vector<int64_t>{1, 0, 1})},
                    [&](jit::Stack in) -> jit::Stack {
                      auto decoder_state = model.state_from_tensors(tensors_of(in[0]));
                      decoder_state->select_rows(in[1].toTensor());
                      return {list_of(decoder_state->tensors())};
                    });
  module.define(torchscript_decoding_source(kPad, kBos, kEos));
  return {module, "seq2seq", {"encode", "decode_step", "decode_step_logits", "reorder_state", "greedy", "beam_search"}};
}

ExportedModule export_classifier(ClassifierImpl& model, jit::Module module) {
  // Two documents of 3 sentences of up to 4 words (12 words flat).
  auto words = torch::full({2, 3, 4}, kUnk, torch::kLong);
  auto sentence_lengths = torch::tensor(std::vector<int64_t>{4, 2, 1, 3, 4, 0}).view({2, 3});
  auto sentence_counts = torch::tensor(std::vector<int64_t>{3, 2});
  auto flat_words = example_tokens(2, 7);
  auto flat_lengths = torch::tensor(std::vector<int64_t>{7, 7});
  add_traced_method(module, "forward", {words, sentence_lengths, sentence_counts, flat_words, flat_lengths},
                    [&](jit::Stack in) -> jit::Stack {
                      DocumentInput input{in[0].toTensor(), in[1].toTensor(), in[2].toTensor(), in[3].toTensor(),
                                          in[4].toTensor()};
                      auto out = model.forward(input);
                      auto none = none_like_rows(out.log_probs);
                      return {c10::ivalue::Tuple::create(out.log_probs,
                                                         out.word_weights.defined() ? out.word_weights : none,
                                                         out.sentence_weights.defined() ? out.sentence_weights : none)};
                    });
  return {module, "classifier", {"forward"}};
}

ExportedModule export_masked_lm(BertMaskedLMImpl& model, jit::Module module) {
  auto ids = example_tokens(2, 6);
  add_traced_method(module, "forward", {ids, torch::zeros_like(ids)}, [&](jit::Stack in) -> jit::Stack {
    return {model.forward(in[0].toTensor(), in[1].toTensor())};
  });
  return {module, "masked_lm", {"forward"}};
}

}  // namespace

ExportedModule export_torchscript(torch::nn::Module& model) {
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  std::string type_name = "attnlab_" + model.name();  // e.g. attnlab_attnlab::BertMaskedLMImpl
  for (auto& c : type_name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  auto module = mirror(type_name, model);
  auto restore = [&] { model.train(was_training); };
  try {
    ExportedModule exported;
    if (auto* seq2seq = dynamic_cast<Seq2SeqModelImpl*>(&model)) exported = export_seq2seq(*seq2seq, module);
    else if (auto* classifier = dynamic_cast<ClassifierImpl*>(&model)) exported = export_classifier(*classifier, module);
    else if (auto* masked_lm = dynamic_cast<BertMaskedLMImpl*>(&model)) exported = export_masked_lm(*masked_lm, module);
    else TORCH_CHECK(false, "export: ", model.name(), " is not a model kind that exports");
    restore();
    return exported;
  } catch (...) {
    restore();
    throw;
  }
}

}  // namespace attnlab
