#pragma once
// Text ↔ token ids for every vocabulary the model loader understands: llama2.c tokenizer.bin,
// GGUF tokenizer.ggml.* (SentencePiece "llama" and byte-level BPE "gpt2") and Hugging Face
// tokenizer.json (SentencePiece-style and byte-level BPE).
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor/result.h"

namespace quench::model {

/// How a tokenizer is built from its file.
struct TokenizerOptions {
  /// false: never put a space in front of the text (SentencePiece's "▁" from tokenizer.json's
  /// Prepend normalizer or Metaspace pre-tokenizer, GGUF's add_space_prefix, llama2.c's dummy
  /// prefix, ByteLevel's add_prefix_space) and never strip one when decoding. For models trained
  /// without it whose file says otherwise, such as TinyStories-656K (../shared/data/README.md).
  bool prefixSpace = true;
  /// GGUF: control and unknown-type tokens written in the text become their ids (llama.cpp's
  /// parse_special). Off by default, as llama.cpp's tokenizer tests, llama-perplexity and
  /// llama-tokenize run; user-defined tokens are matched either way. tokenizer.json files always
  /// match their added tokens, special or not, as Hugging Face tokenizers does.
  bool parseSpecial = false;
};

/// Common interface of the tokenizers.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual int vocabSize() const = 0;
  /// BOS / EOS ids; −1 when the vocabulary has none (encode then adds nothing for it).
  virtual int bosId() const = 0;
  virtual int eosId() const = 0;
  /// Whether the file asks for BOS in front / EOS at the end of an encoded text.
  virtual bool addsBos() const { return bosId() >= 0; }
  virtual bool addsEos() const { return false; }
  /// What the tokenizer is, for people: "GGUF byte-level BPE, pre-tokenizer llama-bpe", ...
  virtual std::string describe() const { return "tokenizer"; }
  /// Token ids of `text` (any bytes: invalid UTF-8 never fails), with BOS in front and/or EOS at
  /// the end when asked and the vocabulary has them.
  virtual std::vector<int> encode(std::string_view text, bool bos, bool eos) const = 0;
  /// Text of `token` when it follows `prev` (−1 at the start); `token` must be in range. Special
  /// tokens (BOS, EOS, control, unknown) decode to nothing.
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
