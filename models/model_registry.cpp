#include "models/model_registry.h"

#include "models/bert.h"
#include "models/document_classifier.h"
#include "models/rnn_seq2seq.h"
#include "models/transformer_seq2seq.h"

namespace attnlab {

const ModelRegistry& model_registry() {
  using Product = std::shared_ptr<torch::nn::Module>;
  static const ModelRegistry registry(
      "model", {
                   options_entry<Product, ModelDims>(
                       "rnn_seq2seq", "RNN encoder-decoder (GRU/LSTM), any attention or a fixed context",
                       RnnSeq2SeqOptions(0, 0), [](RnnSeq2SeqOptions o, ModelDims dims) -> Product {
                         o.source_vocab(dims.source_vocab).target_vocab(dims.target_vocab);
                         return std::make_shared<RnnSeq2SeqImpl>(o);
                       }),
                   options_entry<Product, ModelDims>(
                       "transformer", "Transformer encoder-decoder (Vaswani et al. 2017), any attention in each of its three places",
                       TransformerSeq2SeqOptions(0, 0), [](TransformerSeq2SeqOptions o, ModelDims dims) -> Product {
                         o.source_vocab(dims.source_vocab).target_vocab(dims.target_vocab);
                         return std::make_shared<TransformerSeq2SeqImpl>(o);
                       }),
                   options_entry<Product, ModelDims>(
                       "document_classifier",
                       "documents: hierarchical attention network (Yang et al. 2016), flat attention or mean pooling",
                       DocumentClassifierOptions(0, 0), [](DocumentClassifierOptions o, ModelDims dims) -> Product {
                         o.vocab(dims.source_vocab).classes(dims.classes);
                         return std::make_shared<DocumentClassifierImpl>(o);
                       }),
                   options_entry<Product, ModelDims>(
                       "bert",
                       "BERT masked language model (Devlin et al. 2019): Transformer encoder, any self-attention, "
                       "MLM head tied to the token embeddings",
                       BertOptions(0), [](BertOptions o, ModelDims dims) -> Product {
                         o.vocab(dims.source_vocab);
                         return std::make_shared<BertMaskedLMImpl>(o);
                       }),
                   options_entry<Product, ModelDims>(
                       "bert_classifier",
                       "BERT encoder + pooler on [CLS] + linear: documents read as one sequence (fine-tuning)",
                       BertOptions(0), [](BertOptions o, ModelDims dims) -> Product {
                         o.vocab(dims.source_vocab);
                         return std::make_shared<BertClassifierImpl>(o, dims.classes);
                       }),
               });
  return registry;
}

}  // namespace attnlab
