#pragma once
// Text ↔ token ids for the three vocabularies the model loader understands.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor/result.h"

namespace quench::model {

/// Common interface of the llama2.c / GGUF (SentencePiece-style) and tokenizer.json (BPE) tokenizers.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual int vocabSize() const = 0;
  virtual int bosId() const = 0;
  virtual int eosId() const = 0;
  /// Token ids of `text`, with BOS in front and/or EOS at the end when asked.
  virtual std::vector<int> encode(std::string_view text, bool bos, bool eos) const = 0;
  /// Text of `token` when it follows `prev` (−1 at the start); `token` must be in range. Special
  /// tokens (BOS, EOS, unknown) decode to nothing.
  virtual std::string decodePiece(int prev, int token) const = 0;

  /// The text of a whole id sequence; an error names the first id outside the vocabulary.
  Result<std::string> decode(std::span<const int> ids) const {
    std::string out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= vocabSize())
        return makeError("token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                         " is outside the vocabulary [0, " + std::to_string(vocabSize()) + ")");
      out += decodePiece(i ? ids[i - 1] : -1, ids[i]);
    }
    return out;
  }
};

}  // namespace quench::model
