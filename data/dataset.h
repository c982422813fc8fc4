#pragma once
// What every entry of the data family makes: named splits of examples and the tokenizer of
// their ids. Each task takes the kind of dataset it works on (Seq2SeqData, DocumentData).

#include <memory>
#include <string>
#include <vector>

#include "tokenizers/tokenizer.h"

namespace attnlab {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::vector<std::string> split_names() const = 0;
  std::shared_ptr<Tokenizer> tokenizer;
};

}  // namespace attnlab
