#include "models/document_classifier.h"

#include "core/special_tokens.h"
#include "modules/masks.h"

namespace attnlab {

void validate_options(const DocumentClassifierOptions& o, const std::string& pointer) {
  if (o.encoder() == "gru" && o.hidden() % 2 != 0)
    throw ConfigError(pointer_join(pointer, "hidden"),
                      "must be even with encoder \"gru\" (H/2 units per direction), got " + std::to_string(o.hidden()));
}

namespace {
DocumentStructure document_structure(const std::string& name) {
  if (name == "hierarchical") return DocumentStructure::kHierarchical;
  if (name == "flat") return DocumentStructure::kFlat;
  TORCH_CHECK(name == "mean_pool", "document classifier: structure must be hierarchical, flat or mean_pool, got ",
              name);
  return DocumentStructure::kMeanPool;
}
}  // namespace

DocumentClassifierImpl::DocumentClassifierImpl(const DocumentClassifierOptions& options_)
    : options(options_), structure(document_structure(options_.structure())) {
  const auto& o = options;
  TORCH_CHECK(o.vocab() > 0 && o.classes() > 1, "document classifier: needs a vocabulary and two classes or more");
  validate_options(o, "");
  const int64_t E = o.embedding(), H = o.hidden();
  embedding = register_module("embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(o.vocab(), E).padding_idx(kPad)));
  dropout = register_module("dropout", Dropout(o.dropout()));
  auto encoder = [&](int64_t input) {
    return SequenceEncoder(SequenceEncoderOptions(input, H)
                               .kind(o.encoder())
                               .dropout(o.dropout())
                               .layers(o.self_attention_layers())
                               .self_attention(o.self_attention())
                               .feed_forward(4 * H));
  };
  auto pooling = [&](const json& spec) {
    return AttentionPooling(H, attention_registry().create(spec, AttentionDims{H, H}));
  };
  if (structure != DocumentStructure::kMeanPool) {
    word_encoder = register_module("word_encoder", encoder(E));
    word_pooling = register_module("word_pooling", pooling(o.word_pooling()));
  }
  if (structure == DocumentStructure::kHierarchical) {
    sentence_encoder = register_module("sentence_encoder", encoder(H));
    sentence_pooling = register_module("sentence_pooling", pooling(o.sentence_pooling()));
  }
  output = register_module("output", torch::nn::Linear(structure == DocumentStructure::kMeanPool ? E : H, o.classes()));
}

DocumentOutput DocumentClassifierImpl::forward(const DocumentInput& in) {
  DocumentOutput out;
  torch::Tensor document;  // [B, H] (or [B, E] for mean_pool)
  if (structure == DocumentStructure::kMeanPool) {
    auto real = in.flat_words.ne(kPad).unsqueeze(-1).to(torch::kFloat);   // [B, L, 1]
    auto summed = (embedding(in.flat_words) * real).sum(1);                // [B, E]
    document = summed / in.flat_lengths.clamp_min(1).unsqueeze(1).to(summed.scalar_type());
  } else if (structure == DocumentStructure::kFlat) {
    auto h = word_encoder(dropout(embedding(in.flat_words)), in.flat_lengths);  // [B, L, H]
    auto pooled = word_pooling(h, key_padding_mask_like(in.flat_lengths, h));
    document = pooled.pooled;
    out.word_weights = pooled.weights;  // [B, L]
  } else {
    auto words = in.words.flatten(0, 1);                     // [B x N, W]
    auto lengths = in.sentence_lengths.flatten();            // [B x N]
    auto h = word_encoder(dropout(embedding(words)), lengths);  // [B x N, W, H]
    auto by_word = word_pooling(h, key_padding_mask_like(lengths, h));
    auto sentences = unflatten_like(by_word.pooled, in.words);        // [B, N, H]
    out.word_weights = unflatten_like(by_word.weights, in.words);     // [B, N, W]
    auto s = sentence_encoder(sentences, in.sentence_counts);  // [B, N, H]
    auto by_sentence = sentence_pooling(s, key_padding_mask_like(in.sentence_counts, s));
    document = by_sentence.pooled;
    out.sentence_weights = by_sentence.weights;  // [B, N]
  }
  out.log_probs = torch::log_softmax(output(dropout(document)), -1);  // [B, C]
  return out;
}

}  // namespace attnlab
